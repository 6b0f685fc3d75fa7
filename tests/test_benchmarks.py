"""The benchmark harness: its bulk loader leaves the schema the migrations made and totals
that agree with the ledger; its bare page renders the captured HTML back unchanged."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from benchmarks.bare_app import create_bare_app, make_template
from benchmarks.dataset import bench_app, build, fresh_postgres, fresh_sqlite
from benchmarks.loadgen import parse_wrk
from campaigns.extensions import db
from campaigns.models import Campaign, CampaignTotals, Donation, LedgerKind
from campaigns.services.ledger import post_entry, verify_totals


@pytest.fixture
def fresh_url(database_url, is_postgres):
    """An empty database of the kind the suite runs on, removed afterwards."""
    if is_postgres:
        admin = make_url(database_url).set(database="postgres")
        with fresh_postgres(admin.render_as_string(hide_password=False)) as url:
            yield url
    else:
        with fresh_sqlite() as url:
            yield url


def totals_of(slug: str) -> CampaignTotals:
    return db.session.scalars(
        select(CampaignTotals).join(Campaign.totals).where(Campaign.slug == slug)
    ).one()


def test_bulk_load_gives_totals_the_ledger_agrees_with(fresh_url):
    dataset = build(fresh_url, 300, say=lambda _: None)

    app = bench_app(fresh_url)
    with app.app_context():
        full = totals_of(dataset.full_slug)
        assert full.donations == 300
        assert full.donors == 200  # three gifts for every two donors
        assert full.raised == db.session.scalar(select(func.sum(Donation.amount)))
        assert full.units_funded > 0
        empty = totals_of(dataset.empty_slug)
        assert (empty.raised, empty.donations, empty.donors) == (0, 0, 0)
        assert verify_totals(db.session) == []
        db.session.remove()
        db.engine.dispose()


def test_bulk_load_leaves_the_schema_the_migrations_made(fresh_url):
    build(fresh_url, 50, say=lambda _: None)

    app = bench_app(fresh_url)
    with app.app_context():
        # Dropped indexes and constraints are all back (PostgreSQL re-creates them).
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
        # Ids were written explicitly; the next entry posted by the app gets a fresh one.
        campaign = db.session.scalars(select(Campaign).order_by(Campaign.id)).first()
        entry = post_entry(
            db.session,
            campaign=campaign,
            kind=LedgerKind.PAYMENT,
            amount=10_00,
            currency=campaign.currency,
            reference="ch_after_the_load",
        )
        assert entry.id == 51
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_bare_template_renders_the_captured_page_back():
    # As Jinja escapes them: & and " in the title are entities in the page.
    html = (
        "<title>Wells &amp; &#34;water&#34; · Relief</title><h1>Wells &amp; &#34;water&#34;</h1>"
        "<p>{{ not a variable }} {% not a tag %} {# nor a comment #}</p>"
        '<a href="/campaigns/wells">wells</a>'
    )
    variables = {"title": 'Wells & "water"', "slug": "/campaigns/wells"}
    template = make_template(html, variables)

    assert template.count("{{ title }}") == 2
    assert template.count("{{ slug }}") == 1
    response = create_bare_app(template, variables).test_client().get("/")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == html


WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/campaigns/x
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.02ms    3.12ms  40.10ms   80.00%
    Req/Sec   571.10     40.20   650.00     70.00%
  11422 requests in 10.01s, 140.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1141.06
Transfer/sec:     14.00MB
"""


def test_wrk_report_is_read_with_its_errors():
    result = parse_wrk(WRK_OUTPUT)

    assert result.requests_per_second == 1141.06
    assert result.requests == 11422
    assert result.errors == 7
