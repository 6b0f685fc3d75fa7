"""The benchmark harness: its bulk loader leaves the schema the migrations made and totals
that agree with the ledger; its bare page renders the captured HTML back unchanged; its
webhook events pay each prepared donation once, and its batch loader sends each one once,
freshly signed."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from benchmarks.bare_app import create_bare_app, make_template
from benchmarks.dataset import bench_app, build, fresh_postgres, fresh_sqlite
from benchmarks.loadgen import LoadOptions, parse_wrk, post_each
from benchmarks.webhooks import (
    WEBHOOK_SECRET,
    latency_ms,
    payment_problems,
    prepare_events,
    sign,
    stripe_app,
)
from campaigns.extensions import db
from campaigns.models import Campaign, CampaignTotals, Donation, LedgerKind
from campaigns.services.books.ledger import post_entry, verify_totals
from tests.fake_stripe import FakeStripe

pytestmark = pytest.mark.benchmarks


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


def test_webhook_events_pay_each_prepared_donation_once(fresh_url):
    dataset = build(fresh_url, 20, say=lambda _: None)
    with FakeStripe() as fake:
        app = stripe_app(fresh_url, fake)
        batch = prepare_events(app, fake, dataset.full_slug, 4, say=lambda _: None)

        assert payment_problems(app, batch) == [
            "0 of 4 donations paid",
            "0 ledger entries for 4 donations",
        ]
        client = app.test_client()
        answers = [
            client.post("/webhooks/stripe", data=payload, headers=sign(payload))
            for payload in [*batch.payloads, batch.payloads[0]]
        ]
        assert [(a.status_code, a.json["result"]) for a in answers] == [(200, "processed")] * 4 + [
            (200, "duplicate")
        ]
        assert payment_problems(app, batch) == []
    with app.app_context():
        assert totals_of(dataset.full_slug).donations == 24
        db.session.remove()
        db.engine.dispose()


class _Recorder(BaseHTTPRequestHandler):
    """Answers 204, or 500 to a body saying "refuse"; keeps what it was sent."""

    protocol_version = "HTTP/1.1"
    received: list[tuple[str, str, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.received.append((self.path, body, self.headers["Stripe-Signature"]))
        self.send_response(500 if body == "refuse" else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args) -> None:
        """Quiet."""


def test_batch_loader_posts_each_body_once_signed():
    bodies = ["one", "two", "refuse", "four", "five"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = post_each(
            "127.0.0.1",
            server.server_address[1],
            "/webhooks/stripe",
            bodies,
            sign,
            LoadOptions(threads=1, connections=2),
        )
    finally:
        server.shutdown()
        server.server_close()

    assert sorted(body for _, body, _ in _Recorder.received) == sorted(bodies)
    assert {path for path, _, _ in _Recorder.received} == {"/webhooks/stripe"}
    for _, body, signature in _Recorder.received:
        assert stripe.WebhookSignature.verify_header(body, signature, WEBHOOK_SECRET, 300)
    assert (len(result.latencies), result.failures, result.succeeded) == (5, 1, 4)
    assert result.per_second == 4 / result.seconds


def test_latency_percentiles_in_milliseconds():
    assert latency_ms([n / 1000 for n in range(100, 0, -1)]) == {
        "p50": 50.5,
        "p95": 95.1,
        "max": 100.0,
    }
    assert latency_ms([0.0123]) == {"p50": 12.3, "p95": 12.3, "max": 12.3}


def test_bank_import_benchmark_pays_each_pledge_once(fresh_url):
    from benchmarks.bank_import import bank_app, import_once, import_problems, prepare

    build(fresh_url, 0, say=lambda _: None)
    app = bank_app(fresh_url)
    batch = prepare(app, 20, say=lambda _: None)
    assert import_problems(app, batch) == [
        "0 of 10 pledges paid",
        "0 lines waiting, not 10",
        "0 ledger entries for 10 pledges",
    ]
    assert import_once(app, batch) > 0
    assert import_problems(app, batch) == []
    import_once(app, batch)  # the same statement again changes nothing
    assert import_problems(app, batch) == []
