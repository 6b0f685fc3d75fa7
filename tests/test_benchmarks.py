"""The benchmark harness: its bulk loader leaves the schema the migrations made and totals
that agree with the ledger; its bare page renders the captured HTML back unchanged; its
webhook events pay each prepared donation once, and its batch loader sends each one once,
freshly signed; its bare webhook does its one insert and one totals update; its ratios and
exit codes judge as the issue says; and one whole run of every group at a tiny size."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from benchmarks import run
from benchmarks.bare_app import create_bare_app, make_template
from benchmarks.bare_webhook import create_bare_webhook, create_tables
from benchmarks.dataset import bench_app, build, fresh_postgres, fresh_sqlite
from benchmarks.loadgen import (
    BatchResult,
    LoadOptions,
    LoadResult,
    Window,
    _start_load_process,
    generate_load,
    parse_wrk,
    percentile_ms,
    post_alternating,
    post_each,
)
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
    WEBHOOK_SECRET,
    latency_ms,
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
    """Answers 204, or 500 to a body saying "refuse"; keeps what it was sent, and when."""

    protocol_version = "HTTP/1.1"
    received: list[tuple[str, str, str]] = []
    arrived: list[float] = []  # each POST's time.time()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.arrived.append(time.time())
        self.received.append((self.path, body, self.headers["Stripe-Signature"]))
        self.send_response(500 if body == "refuse" else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args) -> None:
        """Quiet."""


def test_a_probe_with_a_window_says_it_runs_and_ends_when_told():
    """The probe under load: it is running before the load beside it starts, and it ends
    when that load ends, not after its own duration (here a minute)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    window = Window.new()
    results: list[LoadResult] = []
    probe = threading.Thread(
        target=lambda: results.append(
            generate_load(
                "127.0.0.1",
                server.server_address[1],
                "/",
                LoadOptions(duration=60, threads=1, connections=2, tool="python"),
                window,
            )
        )
    )
    try:
        probe.start()
        assert window.running.wait(30)
        told = time.time()
        time.sleep(0.5)
        window.stop.set()
        probe.join(30)
    finally:
        server.shutdown()
        server.server_close()

    (result,) = results
    assert not probe.is_alive()
    assert time.time() - told < 15  # long before its 60 s
    assert result.requests > 0 and result.errors == 0
    assert result.latencies_between(told, told + 0.5)  # it answered while the load ran
    assert result.requests_per_second == pytest.approx(result.requests / 0.5, rel=0.9)
    with pytest.raises(ValueError):
        generate_load("127.0.0.1", 1, "/", LoadOptions(tool="wrk"), window)


def _post_to_recorder(bodies: list[str], options: LoadOptions) -> BatchResult:
    """``post_each`` of ``bodies`` to a fresh _Recorder server."""
    _Recorder.received.clear()
    _Recorder.arrived.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return post_each(
            "127.0.0.1", server.server_address[1], "/webhooks/stripe", bodies, sign, options
        )
    finally:
        server.shutdown()
        server.server_close()


def test_batch_loader_posts_each_body_once_signed():
    bodies = ["one", "two", "refuse", "four", "five"]
    sent_before = time.time()
    result = _post_to_recorder(bodies, LoadOptions(threads=1, connections=2))

    assert sorted(body for _, body, _ in _Recorder.received) == sorted(bodies)
    assert {path for path, _, _ in _Recorder.received} == {"/webhooks/stripe"}
    for _, body, signature in _Recorder.received:
        assert stripe.WebhookSignature.verify_header(body, signature, WEBHOOK_SECRET, 300)
    assert (len(result.latencies), result.failures, result.succeeded) == (5, 1, 4)
    assert result.per_second == 4 / result.seconds
    assert sent_before < result.started_at < result.started_at + result.seconds < time.time()


def test_a_paced_batch_is_sent_on_schedule_however_fast_it_is_answered():
    """At a rate, post_each is an open loop: 10 bodies at 20 a second over 2 connections go
    50 ms apart, though each is answered at once (sent as answered, all would arrive
    within a few ms)."""
    bodies = [f"gift {n}" for n in range(10)]
    result = _post_to_recorder(bodies, LoadOptions(threads=1, connections=2, rate=20))

    assert sorted(body for _, body, _ in _Recorder.received) == sorted(bodies)
    assert (result.succeeded, result.failures) == (10, 0)
    times = sorted(_Recorder.arrived)
    # Never early (late is allowed: a busy machine); the last at 450 ms.
    for number, at in enumerate(times):
        assert at - times[0] >= number / 20 - 0.02
    assert times[-1] - times[0] < 3
    assert result.per_second < 25


def test_a_load_process_of_its_own_session_is_outside_the_harness_session():
    """The probe's processes (own_session): not in the session of the harness and its
    other load, so the kernel's autogroup shares the CPU with them as with another machine."""
    context = multiprocessing.get_context("spawn")
    for own, expected in ((True, "its own"), (False, "the harness's")):
        with ProcessPoolExecutor(
            1, mp_context=context, initializer=_start_load_process, initargs=(None, own)
        ) as pool:
            pid = pool.submit(os.getpid).result()
            session = pool.submit(os.getsid, 0).result()
        found = "its own" if session == pid else "the harness's" if session == os.getsid(0) else ""
        assert found == expected


def test_alternating_segments_go_to_their_servers_in_turn_each_body_once():
    """The app's and the floor's parts of a webhook measurement: each segment to its own
    server, answered whole before the next starts, one result per segment."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Recorder) for _ in range(2)]
    ports = [server.server_address[1] for server in servers]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.received.clear()
    segments = [
        (ports[0], ["a1", "a2", "a3"]),
        (ports[1], ["b1", "refuse"]),
        (ports[0], ["a4", "a5", "a6"]),
    ]
    try:
        results = post_alternating("127.0.0.1", "/webhooks/stripe", segments, sign, 2)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()

    arrived = [body for _, body, _ in _Recorder.received]
    assert [sorted(arrived[:3]), sorted(arrived[3:5]), sorted(arrived[5:])] == [
        ["a1", "a2", "a3"],
        ["b1", "refuse"],
        ["a4", "a5", "a6"],
    ]
    assert [(len(r.latencies), r.failures) for r in results] == [(3, 0), (2, 1), (3, 0)]
    assert results[0].started_at + results[0].seconds <= results[1].started_at
    assert results[1].started_at + results[1].seconds <= results[2].started_at


def test_the_p99_under_load_counts_only_the_requests_made_while_the_load_ran():
    """The probe keeps each request's start: the window of the webhooks' delivery picks
    the requests that met it, its edges included."""
    result = LoadResult(4.0, 4, 0, [0.001, 0.050, 0.060, 0.002], [100.0, 101.0, 102.5, 103.0])
    assert result.latencies_between(101.0, 102.5) == [0.050, 0.060]
    assert result.latencies_between(103.5, 110.0) == []


def test_latency_percentiles_in_milliseconds():
    assert latency_ms([n / 1000 for n in range(100, 0, -1)]) == {
        "p50": 50.5,
        "p95": 95.1,
        "max": 100.0,
    }
    assert latency_ms([0.0123]) == {"p50": 12.3, "p95": 12.3, "max": 12.3}


def test_percentiles_in_milliseconds():
    latencies = [n / 1000 for n in range(1, 101)]
    assert percentile_ms(latencies, 99) == pytest.approx(99.01)
    assert percentile_ms([0.004], 99) == 4.0


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
    }
    measured = [s for s in table["scenarios"] if s["available"]]
    assert all(s["median"] > 0 and s["errors"] == 0 for s in measured)
    assert {c["label"]: c["passed"] for c in table["checks"]} == dict.fromkeys(
        [c["label"] for c in table["checks"]], True
    )
    assert len(table["checks"]) >= 4  # webhooks, under load, the CSV's lines, the bank import
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
