"""Shared fixtures: one app and schema per test session (built by the real migrations),
every table emptied after each test so tests may commit, as the real app does.

Set TEST_DATABASE_URL to run everything against PostgreSQL; the default is a SQLite file.
"""

from __future__ import annotations

import itertools
import os
from datetime import date, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from campaigns import create_app
from campaigns.extensions import db, limiter
from campaigns.filters import local_today
from campaigns.models import (
    ActivityReport,
    Campaign,
    DonationOption,
    LedgerKind,
    ReportFigure,
    ReportImage,
)
from campaigns.models.campaign import CampaignStatus
from campaigns.services.books.ledger import post_entry
from campaigns.settings import Settings

# fake_stripe: the project's own Stripe-compatible server (tests/fake_stripe/).
pytest_plugins = [
    "tests.fake_stripe.fixtures",
    "tests.payments_fixtures",
    "tests.mail_fixtures",
    "tests.staff_fixtures",
    "tests.qurban_fixtures",
    "tests.bank_fixtures",
]


# Tests marked postgres that ran on SQLite: they pass there, but prove nothing of what
# they are about (SQLite serialises writers, so no update is lost and no row lock waits).
_RAN_ON_SQLITE: list[str] = []
# Read once at the start: tests may change the environment while they run.
ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> None:
    if call.when == "call" and not ON_POSTGRES and item.get_closest_marker("postgres"):
        item.user_properties.append(("database", "sqlite"))
        _RAN_ON_SQLITE.append(item.nodeid)


def pytest_terminal_summary(terminalreporter) -> None:
    if _RAN_ON_SQLITE:
        terminalreporter.section("postgres-marked tests that ran on SQLite")
        terminalreporter.line(
            f"{len(_RAN_ON_SQLITE)} test(s) marked postgres ran on SQLite, which cannot show "
            "what they test (lost updates, FOR UPDATE, NOWAIT); set TEST_DATABASE_URL to a "
            "PostgreSQL database for that:"
        )
        for nodeid in _RAN_ON_SQLITE:
            terminalreporter.line(f"  {nodeid} ran on SQLite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ["TEST_DATABASE_URL"] = database_url
    os.environ["UPLOAD_FOLDER"] = str(tmp_path_factory.mktemp("uploads"))
    app = create_app("testing")
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def empty_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        # DELETE beats TRUNCATE by far on the few rows a test leaves behind.
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    limiter.reset()  # rate-limit counts (memory storage) must not leak into the next test
    app.extensions["page_cache"].clear()
    app.extensions["statement_cache"].clear()
    # Modules marked shared_data share rows loaded once by a module fixture, which
    # empties the tables itself when the module is done.
    if request.node.get_closest_marker("shared_data") is None:
        empty_tables(app)


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def settings(app) -> Settings:
    """The app's settings, as the edge passes them to the services."""
    return app.extensions["settings"]


@pytest.fixture
def configure(app, monkeypatch):
    """``configure(KEY=value, ...)`` for one test, as a restart with that config would do:
    it changes ``app.config`` and the Settings the edge hands the services, and returns
    the new Settings (both are put back after the test)."""

    def change(**config) -> Settings:
        for key, value in config.items():
            monkeypatch.setitem(app.config, key, value)
        changed = Settings.of(app.config, app.extensions["settings"].urls)
        monkeypatch.setitem(app.extensions, "settings", changed)
        return changed

    return change


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def is_postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


@pytest.fixture
def make_campaign(app_ctx):
    """Build and commit a campaign: make_campaign(slug="food", currency="TRY", ...)."""

    def make(slug: str = "food-aid", **fields) -> Campaign:
        defaults = {
            "title": slug.replace("-", " ").title(),
            "summary": f"Summary of {slug}",
            "story": "A story.",
            "currency": "TRY",
            "goal_amount": 1_000_000_00,
            "status": CampaignStatus.ACTIVE,
            "starts_on": local_today() - timedelta(days=10),
            "ends_on": local_today() + timedelta(days=20),
        }
        campaign = Campaign(slug=slug, **(defaults | fields))
        db.session.add(campaign)
        db.session.commit()
        return campaign

    return make


@pytest.fixture
def make_option(app_ctx):
    def make(campaign: Campaign, label: str = "Food parcel", **fields) -> DonationOption:
        defaults = {"unit_price": 1500_00, "units": 1}
        option = DonationOption(campaign=campaign, label=label, **(defaults | fields))
        db.session.add(option)
        db.session.commit()
        return option

    return make


_gift_references = itertools.count(1)


@pytest.fixture
def post_gift(app_ctx):
    """Post a paid gift through the ledger and commit: post_gift(campaign, 50_00, units=1)."""

    def post(campaign: Campaign, amount: int, *, units: int = 0, email: str = "a@example.org"):
        post_entry(
            db.session,
            campaign=campaign,
            kind=LedgerKind.PAYMENT,
            amount=amount,
            currency=campaign.currency,
            reference=f"ch_test_{next(_gift_references)}",
            units=units,
            donor_email=email,
        )
        db.session.commit()

    return post


@pytest.fixture
def make_report(app_ctx):
    """Build and commit an activity report: make_report("wells-done", campaigns=[c], ...).

    ``figures`` are (label, value) pairs, ``images`` (file name, alt text) pairs.
    """

    def make(slug: str, campaigns=(), figures=(), images=(), **fields) -> ActivityReport:
        defaults = {
            "title": slug.replace("-", " ").title(),
            "summary": f"Summary of {slug}",
            "body": "What we did.",
            "place": "Hatay",
            "happened_on": date(2026, 3, 1),
            "published": True,
        }
        report = ActivityReport(slug=slug, campaigns=list(campaigns), **(defaults | fields))
        report.figures = [ReportFigure(label=label, value=value) for label, value in figures]
        report.images = [ReportImage(filename=name, alt=alt) for name, alt in images]
        db.session.add(report)
        db.session.commit()
        return report

    return make
