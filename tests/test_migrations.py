"""The migrations build the models' schema on an empty database and tear it down again."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import UTC, datetime

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from campaigns import create_app
from campaigns.extensions import db


@pytest.fixture
def empty_database_url(database_url, is_postgres, tmp_path):
    """A brand-new database of the kind the suite runs on: a fresh PostgreSQL database
    beside the test one (dropped afterwards), or a new SQLite file."""
    if not is_postgres:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_migr_{secrets.token_hex(4)}"
    server = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_app(empty_database_url, monkeypatch):
    monkeypatch.setenv("TEST_DATABASE_URL", empty_database_url)
    app = create_app("testing")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_upgrade_builds_every_table_on_an_empty_database(fresh_app):
    assert table_names() == set()
    upgrade()
    assert table_names() == {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}


def test_migrations_match_the_models(fresh_app):
    upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_downgrade_to_base_removes_every_table(fresh_app):
    upgrade()
    downgrade(revision="base")
    assert table_names() <= {"alembic_version"}
    upgrade()
    assert "ledger_entry" in table_names()


def test_upgrade_stores_existing_donor_addresses_normalised(fresh_app):
    """Rows written before addresses were normalised (as typed) are matched after it."""
    upgrade(revision="0002")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    typed = ["Ümit.Çelik@Example.org", unicodedata.normalize("NFD", "ümit@example.org"), "a@b.c"]
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO campaign (id, slug, title, summary, story, cover_alt, currency,"
                " goal_amount, status, designations, created_at) VALUES (1, 'c', 'C', '', '',"
                " '', 'TRY', 100, 'active', 'general', :now)"
            ),
            {"now": now},
        )
        for n, email in enumerate(typed, start=1):
            conn.execute(
                text(
                    "INSERT INTO donation (id, token, campaign_id, quantity, units, amount,"
                    " currency, frequency, designation, donor_name, donor_email, anonymous,"
                    " updates_opt_in, dedication, on_behalf, locale, provider, status,"
                    " refunded_amount, note, created_at, updated_at) VALUES (:n, :token, 1,"
                    " 1, 0, 100, 'TRY', 'once', 'general', 'A', :email, false, false, '',"
                    " '[]', 'en', 'demo', 'paid', 0, '', :now, :now)"
                ),
                {"n": n, "token": f"t{n}", "email": email, "now": now},
            )

    upgrade()

    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT donor_email FROM donation ORDER BY id")).scalars()
        assert list(stored) == ["ümit.çelik@example.org", "ümit@example.org", "a@b.c"]
