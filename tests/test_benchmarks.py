"""The benchmark harness: its bulk loader leaves the schema the migrations made and totals
that agree with the ledger; its bare page renders the captured HTML back unchanged; its
webhook events pay each prepared donation once (the load generators: test_loadgen.py);
its bare webhook does its one insert and one totals update; its ratios and
exit codes judge as the issue says; and one whole run of every group at a tiny size."""

from __future__ import annotations

import io
import json
from datetime import UTC

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from benchmarks import run
from benchmarks.bare_app import create_bare_app, make_template
from benchmarks.bare_webhook import create_bare_webhook, create_tables
from benchmarks.dataset import bench_app, build, fresh_postgres, fresh_sqlite
from benchmarks.report import report
from benchmarks.scenario import (
    Measurement,
    Ratio,
    Scenario,
    measure_all,
    measured_by_pair,
    paired,
)
from benchmarks.webhooks import (
    payment_problems,
    prepare_events,
    sign,
    stripe_app,
    stripe_settings,
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


def test_bare_webhook_verifies_asks_stripe_once_and_adds_up(fresh_url):
    dataset = build(fresh_url, 10, say=lambda _: None)
    with FakeStripe() as fake:
        batch = prepare_events(
            stripe_app(fresh_url, fake), fake, dataset.full_slug, 3, say=lambda _: None
        )
        create_tables(fresh_url)
        settings = stripe_settings(fake)
        app = create_bare_webhook(
            fresh_url,
            settings["STRIPE_SECRET_KEY"],
            settings["STRIPE_WEBHOOK_SECRET"],
            settings["STRIPE_API_BASE"],
        )
        client = app.test_client()
        retrieved = len(fake.requests)
        answers = [
            client.post("/webhooks/stripe", data=p, headers=sign(p)).status_code
            for p in batch.payloads
        ]
        forged = client.post(
            "/webhooks/stripe",
            data=batch.payloads[0],
            headers={"Stripe-Signature": "t=1,v1=00"},
        )
        app.extensions["engine"].dispose()
        assert len(fake.requests) - retrieved == 3  # one API round trip per event

    assert answers == [200] * 3
    assert forged.status_code == 400
    amounts = [json.loads(p)["data"]["object"]["amount_total"] for p in batch.payloads]
    app = bench_app(fresh_url)
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM bare_event").scalar() == 3
            totals = conn.exec_driver_sql("SELECT raised, donations FROM bare_totals").one()
        assert tuple(totals) == (sum(amounts), 3)
        assert verify_totals(db.session) == []  # the app's own books untouched
        db.session.remove()
        db.engine.dispose()


def scenario(key: str, values: list[float], **kwargs) -> Scenario:
    measured = Scenario(key, key, "ms", lambda _s: Measurement(0), **kwargs)
    measured.results = [Measurement(v, extra={"peak_rss_mb": v * 2}) for v in values]
    return measured


SETUP = {
    "donations": 10,
    "database": "SQLite",
    "workers": 1,
    "worker_class": "gthread",
    "load_generator": "Python",
    "rounds": 3,
    "duration": 1,
    "cpus": 2,
}


def test_ratios_judge_both_ways_and_skip_what_was_not_available():
    items = [
        scenario("first", [130, 100, 120]),
        scenario("bare", [100, 90, 110]),
        scenario("again", [3, 2, 4]),
        scenario("xlsx", [], unavailable="/staff/donations.xlsx answered 404"),
    ]
    targets = [
        Ratio("first / bare", "first", "bare", 1.3, at_most=True),
        Ratio("again / first", "again", "first", 0.02, at_most=True),
        Ratio("bare / again", "bare", "again", 5),
        Ratio("peak", "first.peak_rss_mb", None, 150, at_most=True),
        Ratio("xlsx peak", "xlsx.peak_rss_mb", None, 150, at_most=True),
    ]
    table = report(items, targets, SETUP, say=lambda _: None)

    rows = {r["label"]: r for r in table["ratios"]}
    assert {k: rows["first / bare"][k] for k in ("numerator", "denominator", "target")} == {
        "numerator": "first",
        "denominator": "bare",
        "target": 1.3,
    }
    assert (rows["first / bare"]["value"], rows["first / bare"]["passed"]) == (1.2, True)
    assert (rows["again / first"]["value"], rows["again / first"]["passed"]) == (0.025, False)
    assert (rows["bare / again"]["value"], rows["bare / again"]["passed"]) == (33.333, True)
    assert (rows["peak"]["value"], rows["peak"]["passed"]) == (240, False)
    assert (rows["xlsx peak"]["value"], rows["xlsx peak"]["passed"]) == (None, None)
    xlsx = table["scenarios"][3]
    assert (xlsx["key"], xlsx["available"]) == ("xlsx", False)
    assert table["scenarios"][0]["peak_rss_mb"] == 240


def test_exit_code_fails_checks_and_misses_only_when_strict():
    table = {
        "scenarios": [{"errors": 0}, {"available": False}],
        "checks": [{"passed": True}],
        "ratios": [{"passed": True}, {"passed": None}],
    }
    assert run.exit_code(table, strict=True) == 0  # not available is no miss
    table["ratios"].append({"passed": False})
    assert run.exit_code(table, strict=False) == 0
    assert run.exit_code(table, strict=True) == 1
    table["checks"].append({"passed": False})
    assert run.exit_code(table, strict=False) == 1


def test_only_takes_known_groups():
    assert run.parse_args(["--only", "receipts, csv"]).only == ["receipts", "csv"]
    assert run.parse_args([]).only == list(run.GROUPS)
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "receipts,nonsense"])


def test_rounds_interleave_and_once_scenarios_run_last_unavailable_never():
    calls = []

    def measured(key: str, **kwargs) -> Scenario:
        return Scenario(
            key, key, "ms", lambda s: calls.append((key, s)) or Measurement(1), **kwargs
        )

    items = [
        measured("once", once=True),
        measured("a"),
        measured("b"),
        measured("gone", unavailable="404"),
    ]
    measure_all(items, rounds=2, seconds=5, warmup=1, say=lambda _: None)

    assert calls == [("a", 1), ("b", 1), ("a", 5), ("b", 5), ("b", 5), ("a", 5), ("once", 5)]


def test_a_measurement_that_fails_fails_its_check_and_the_run_goes_on():
    """A download that times out on a slow machine must not lose the whole report."""

    def timed_out(_seconds: float) -> Measurement:
        raise TimeoutError("timed out")

    stalled = Scenario("xlsx_export", "XLSX export", "rows/s", timed_out, once=True)
    fine = Scenario("csv_export", "CSV export", "rows/s", lambda _s: Measurement(7.5), once=True)
    measure_all([stalled, fine], rounds=1, seconds=5, warmup=1, say=lambda _: None)

    assert fine.results == [Measurement(7.5)]
    peak = Ratio("xlsx peak", "xlsx_export.peak_rss_mb", None, 150, at_most=True)
    table = report([stalled, fine], [peak], SETUP, say=lambda _: None)
    assert table["scenarios"][0]["median"] is None
    assert table["ratios"][0]["passed"] is None
    assert table["checks"] == [
        {
            "label": "XLSX export: measured once without failing",
            "passed": False,
            "problems": ["TimeoutError('timed out')"],
        }
    ]
    assert run.exit_code(table, strict=False) == 1


def test_the_xlsx_check_counts_every_sheets_rows_and_reads_each_to_its_end(monkeypatch):
    from benchmarks.exports import xlsx_problems
    from campaigns.services.books import xlsx

    monkeypatch.setattr(xlsx, "SHEET_ROWS", 3)  # a header and 2 gifts a sheet
    rows = [[n, f"gift {n}"] for n in range(5)]
    data = b"".join(xlsx.stream_xlsx("d", ["id", "name"], [8, 8], [rows], UTC))
    assert xlsx_problems(io.BytesIO(data), 5) == []
    assert xlsx_problems(io.BytesIO(data), 6) == ["8 rows in 3 sheets"]
    assert xlsx_problems(io.BytesIO(data[:-30]), 5) == ["BadZipFile('File is not a zip file')"]
    sheet = data.index(b"sheet1.xml") + 200  # inside the first sheet's compressed bytes
    broken = data[:sheet] + bytes([data[sheet] ^ 0xFF]) + data[sheet + 1 :]
    assert xlsx_problems(io.BytesIO(broken), 5) != []


def test_paired_scenarios_are_measured_together_whichever_a_round_asks_first():
    """Rounds shift the order, so the floor may be asked first: each pair of asks runs the
    side-by-side measurement once, and each side gets its own figure from it."""
    runs = []

    def run(seconds: float) -> tuple[Measurement, Measurement]:
        runs.append(seconds)
        return Measurement(10 * len(runs)), Measurement(10 * len(runs) + 1)

    app = Scenario("app", "app", "ms", measured_by_pair)
    floor = Scenario("floor", "floor", "ms", measured_by_pair)
    paired(app, floor, run)
    measure_all([app, floor], rounds=2, seconds=5, warmup=1, say=lambda _: None)

    assert runs == [1, 5, 5]
    # Round 1 asks the app first, round 2 the floor: each still gets its own side.
    assert [m.value for m in app.results] == [20, 30]
    assert [m.value for m in floor.results] == [21, 31]
    with pytest.raises(RuntimeError):
        measured_by_pair(1)


def test_a_whole_run_of_every_group_at_a_tiny_size(fresh_url, tmp_path):
    code = run.main(
        [
            "--database-url",
            fresh_url,
            "--donations",
            "40",
            "--webhook-events",
            "6",
            "--webhook-connections",
            "2",
            "--bank-lines",
            "8",
            "--duration",
            "0.5",
            "--warmup",
            "0.2",
            "--rounds",
            "1",
            "--connections",
            "2",
            "--threads",
            "1",
            "--workers",
            "1",
            "--load-generator",
            "python",
            "--output",
            str(tmp_path),
        ]
    )

    table = json.loads((tmp_path / "latest.json").read_text())
    assert code == 0, table
    keys = {s["key"] for s in table["scenarios"]}
    assert keys >= {
        "receipt_first",
        "receipt_bare",
        "receipt_again",
        "statement",
        "csv_export",
        "xlsx_export",
        "webhook",
        "webhook_bare",
        "gift_start_limited",
        "gift_start_serial",
        "page_under_load",
        "page_idle",
        "static_under_load",
        "static_aside_under_load",
    }
    measured = [s for s in table["scenarios"] if s["available"]]
    assert all(s["median"] > 0 and s["errors"] == 0 for s in measured)
    assert {c["label"]: c["passed"] for c in table["checks"]} == dict.fromkeys(
        [c["label"] for c in table["checks"]], True
    )
    # webhooks, under load, the CSV's lines, the .xlsx's rows, the bank import
    assert len(table["checks"]) >= 5
    csv = next(s for s in table["scenarios"] if s["key"] == "csv_export")
    assert 0 < csv["peak_rss_mb"] < 1000
    judged = {(r["numerator"], r["denominator"]) for r in table["ratios"]}
    assert {
        ("receipt_first", "receipt_bare"),
        ("receipt_again", "receipt_first"),
        ("webhook", "webhook_bare"),
        ("gift_start_limited", "gift_start_serial"),
        ("page_under_load", "page_idle"),
        ("page_under_load", "static_under_load"),
        ("csv_export.peak_rss_mb", None),
        ("xlsx_export.peak_rss_mb", None),
    } <= judged


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
