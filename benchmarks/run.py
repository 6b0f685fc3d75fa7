"""The benchmark, in one run: ``python -m benchmarks.run`` (``make bench``).

1. A fresh database (by default ``bench_<pid>`` on the local PostgreSQL, dropped at the
   end) built by the real migrations, with one campaign holding N paid donations and
   their ledger entries, and one campaign with none.
2. The app under gunicorn, and a bare Flask app rendering a template as large as the
   campaign page with no database, also under gunicorn, with the same worker settings.
3. Each scenario loaded from a second process (wrk, or a Python load generator), in
   interleaved rounds; the median of each is reported, then the ratios against targets.
4. Webhooks: K signed checkout.session.completed events for distinct pending donations
   (started through the app's giving service against a fake Stripe), POSTed once each to
   the app on the Stripe provider, after the rounds; events/s, latency, and the check
   that every donation was paid exactly once.

The table is printed and written to bench-output/latest.json. More scenarios are added as
Scenario objects in ``scenarios()``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from benchmarks import bank_import, giving, webhooks
from benchmarks.bare_app import make_template
from benchmarks.dataset import Dataset, build, fresh_postgres, fresh_sqlite
from benchmarks.loadgen import LoadOptions, LoadResult, generate_load, post_each
from benchmarks.servers import ROOT, Server, ServerOptions, gunicorn
from tests.fake_stripe import FakeStripe

OUTPUT_DIR = ROOT / "bench-output"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CPU_NOTE = (
    "Note: this machine has {cpus} CPU(s), shared by the load generator and the servers "
    "(and anything else running); absolute figures are lower and noisier than on a real "
    "server. The ratios are what the targets judge."
)
WEBHOOK_NOTE = (
    "Each webhook event is handled as in production: signature verified, event stored, "
    "the Checkout Session re-read from the (fake) Stripe API, one API round trip per event, "
    "then the donation paid, its ledger entry posted, receipt number issued and thank-you "
    "e-mail queued in one transaction (the e-mail and its receipt PDF are written when it is "
    "sent, not here)."
)


@dataclass
class Scenario:
    """One figure in the table: what is measured, in which unit, and how.

    ``measure(seconds)`` pushes load for that long and returns what got through; it is
    called once to warm up, then once per round, interleaved with the other scenarios.
    A ``once`` scenario's load is a fixed batch that changes the data (webhook events):
    it is measured once, after the rounds, with no warm-up, and ignores ``seconds``.
    """

    key: str
    label: str
    unit: str
    measure: Callable[[float], LoadResult]
    detail: dict = field(default_factory=dict)  # shown in the JSON (path, page size, ...)
    once: bool = False
    notes: list[str] = field(default_factory=list)  # printed under the table
    # label -> what is wrong (an empty list passes); printed PASS/FAIL, and FAIL exits 1
    checks: dict[str, list[str]] = field(default_factory=dict)
    results: list[LoadResult] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r.requests_per_second for r in self.results)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.results)


@dataclass(frozen=True)
class Ratio:
    """A target: scenario ``numerator`` / scenario ``denominator`` >= ``target``."""

    label: str
    numerator: str
    denominator: str
    target: float


@dataclass
class Bench:
    """What the scenarios are built from: the data, the settings, and a stack that stops
    every server and drops the database when the run ends, however it ends."""

    dataset: Dataset
    load: LoadOptions
    servers: ServerOptions
    stack: contextlib.ExitStack
    page: str  # the campaign page's path, "{slug}" standing for the campaign's slug
    webhook_events: int = 0  # 0: no webhook scenario
    webhook_load: LoadOptions = field(default_factory=LoadOptions)


def scenarios(bench: Bench) -> list[Scenario]:
    """Every scenario of the run, in the order of each round. Add new ones here."""
    return (
        page_scenarios(bench)
        + gift_scenarios(bench)
        + webhook_scenarios(bench)
        + bank_import.bank_scenarios(bench)
    )


def ratios(dataset: Dataset) -> list[Ratio]:
    return [
        Ratio(
            f"{dataset.donations:,} donations / 0 donations", "campaign_full", "campaign_empty", 0.9
        ),
        Ratio("campaign page / bare Flask page", "campaign_full", "bare", 0.5),
        # A row lock held across Stripe's 300 ms would serialise every start on the option
        # (ratio <= 1); 8 donors could reach 8. 2.0 leaves room for 2 shared CPUs.
        Ratio(
            f"gift starts, {giving.CLIENTS} donors / 1 donor",
            "gift_start_limited",
            "gift_start_serial",
            2.0,
        ),
    ]


def page_scenarios(bench: Bench) -> list[Scenario]:
    """The campaign page with N donations, with 0, and the bare page of the same size."""
    data = bench.dataset
    env = {"DATABASE_URL": data.database_url, "FLASK_CONFIG": "development", "FLASK_DEBUG": "0"}
    logs = OUTPUT_DIR / "logs"
    app = bench.stack.enter_context(
        gunicorn("app", "wsgi:app", env, bench.servers, "/healthz", logs)
    )
    full_path = bench.page.format(slug=data.full_slug)
    empty_path = bench.page.format(slug=data.empty_slug)
    full_html = _page(app, full_path)
    empty_html = _page(app, empty_path)

    # The baseline renders the empty campaign's own HTML with its title and slug as variables.
    template = OUTPUT_DIR / "bare_template.html"
    variables = {"title": data.empty_title, "slug": data.empty_slug}
    template.write_text(make_template(empty_html.decode(), variables))
    bare_env = {"BENCH_BARE_TEMPLATE": str(template), "BENCH_BARE_VARIABLES": json.dumps(variables)}
    bare = bench.stack.enter_context(
        gunicorn("bare", "benchmarks.bare_app:app", bare_env, bench.servers, "/healthz", logs)
    )
    bare_html = _page(bare, "/")
    return [
        _http_scenario(
            "campaign_full",
            f"campaign page, {data.donations:,} donations",
            app,
            full_path,
            full_html,
            bench,
        ),
        _http_scenario(
            "campaign_empty", "campaign page, 0 donations", app, empty_path, empty_html, bench
        ),
        _http_scenario("bare", "bare Flask page, same HTML", bare, "/", bare_html, bench),
    ]


def gift_scenarios(bench: Bench) -> list[Scenario]:
    """Donation starts per second on one limited option, Stripe (a FakeStripe in this
    process) answering each Checkout Session after 300 ms: with ``giving.CLIENTS`` donors
    at once, and with one (the serial floor)."""
    data = bench.dataset
    option_id = giving.add_limited_campaign(data.database_url)
    fake = bench.stack.enter_context(FakeStripe())
    giving.slow_checkouts(fake)
    env = {
        "DATABASE_URL": data.database_url,
        "FLASK_CONFIG": "development",
        "FLASK_DEBUG": "0",
        **webhooks.stripe_settings(fake),
        **giving.SETTINGS,
    }
    server = bench.stack.enter_context(
        gunicorn("app-giving", "wsgi:app", env, bench.servers, "/healthz", OUTPUT_DIR / "logs")
    )
    path = f"/campaigns/{giving.SLUG}/donate"

    def scenario(key: str, label: str, clients: int) -> Scenario:
        def measure(seconds: float) -> LoadResult:
            return giving.start_gifts(server.host, server.port, option_id, clients, seconds)

        detail = {
            "path": path,
            "clients": clients,
            "provider_delay_ms": giving.PROVIDER_DELAY * 1000,
        }
        return Scenario(key, label, "gifts/s", measure, detail)

    return [
        scenario(
            "gift_start_limited",
            f"gift starts, limited option, {giving.CLIENTS} donors",
            giving.CLIENTS,
        ),
        scenario("gift_start_serial", "gift starts, limited option, 1 donor", 1),
    ]


def webhook_scenarios(bench: Bench) -> list[Scenario]:
    """Signed checkout.session.completed events for K distinct pending donations of the
    busy campaign, each POSTed once to the app on the Stripe provider (at a FakeStripe in
    this process), from a second process; then every donation must be paid exactly once."""
    count = bench.webhook_events
    if not count:
        return []
    data = bench.dataset
    fake = bench.stack.enter_context(FakeStripe())
    print(f"Starting {count:,} pending donations through the giving service ...", flush=True)
    started = time.perf_counter()
    app = webhooks.stripe_app(data.database_url, fake)
    batch = webhooks.prepare_events(app, fake, data.full_slug, count)
    print(f"  {'prepared in':<22} {time.perf_counter() - started:8.1f} s", flush=True)
    env = {
        "DATABASE_URL": data.database_url,
        "FLASK_CONFIG": "development",
        "FLASK_DEBUG": "0",
        **webhooks.stripe_settings(fake),
    }
    server = bench.stack.enter_context(
        gunicorn("app-stripe", "wsgi:app", env, bench.servers, "/healthz", OUTPUT_DIR / "logs")
    )
    load = bench.webhook_load

    def measure(_seconds: float) -> LoadResult:
        sent = post_each(
            server.host, server.port, webhooks.WEBHOOK_PATH, batch.payloads, webhooks.sign, load
        )
        latency = webhooks.latency_ms(sent.latencies)
        scenario.detail |= {"seconds": round(sent.seconds, 1), "latency_ms": latency}
        scenario.notes.append(
            f"{scenario.label}: {count:,} events in {sent.seconds:.1f} s over "
            f"{load.connections} connections; latency p50 {latency['p50']:.0f} ms, "
            f"p95 {latency['p95']:.0f} ms, max {latency['max']:.0f} ms; "
            f"{sent.failures} non-2xx"
        )
        scenario.checks[
            f"webhooks: {count:,} donations paid once, {count:,} ledger entries, totals verified"
        ] = webhooks.payment_problems(app, batch)
        return LoadResult(sent.per_second, sent.succeeded, sent.failures)

    scenario = Scenario(
        "webhooks",
        "webhook checkout.session.completed",
        "events/s",
        measure,
        {"path": webhooks.WEBHOOK_PATH, "events": count, "connections": load.connections},
        once=True,
    )
    return [scenario]


def _page(server: Server, path: str) -> bytes:
    status, body = server.get(path)
    if status != 200:
        raise SystemExit(
            f"GET {path} on {server.name} answered {status}, not 200; nothing to measure"
        )
    return body


def _http_scenario(
    key: str, label: str, server: Server, path: str, body: bytes, bench: Bench
) -> Scenario:
    def measure(seconds: float) -> LoadResult:
        options = dataclasses.replace(bench.load, duration=seconds)
        return generate_load(server.host, server.port, path, options)

    return Scenario(key, label, "requests/s", measure, {"path": path, "page_bytes": len(body)})


def measure_all(items: list[Scenario], rounds: int, load: LoadOptions, warmup: float) -> None:
    """Warm each scenario up, then run ``rounds`` rounds, each scenario once per round, so
    a noisy neighbour on this shared machine hurts all of them alike. Each round starts one
    scenario later than the one before, so no scenario always runs first or last.
    ``once`` scenarios follow, one run each."""
    once = [s for s in items if s.once]
    items = [s for s in items if not s.once]
    for scenario in items:
        print(f"  warming up {scenario.label} ({warmup:.0f} s)", flush=True)
        scenario.measure(warmup)
    for number in range(1, rounds + 1):
        shift = (number - 1) % len(items)
        for scenario in items[shift:] + items[:shift]:
            result = scenario.measure(load.duration)
            scenario.results.append(result)
            errors = f", {result.errors} errors" if result.errors else ""
            print(
                f"  round {number}/{rounds}: {scenario.label:<40} "
                f"{result.requests_per_second:10.1f} {scenario.unit}{errors}",
                flush=True,
            )
    for scenario in once:
        print(f"  once: {scenario.label} ...", flush=True)
        result = scenario.measure(load.duration)
        scenario.results.append(result)
        errors = f", {result.errors} errors" if result.errors else ""
        print(
            f"  once: {scenario.label:<40} {result.requests_per_second:10.1f} "
            f"{scenario.unit}{errors}",
            flush=True,
        )


def report(items: list[Scenario], targets: list[Ratio], setup: dict) -> dict:
    """Print the table and return it as a dict (written to latest.json)."""
    by_key = {s.key: s for s in items}
    print()
    print(
        f"{setup['donations']:,} donations on {setup['database']}; gunicorn {setup['workers']} "
        f"{setup['worker_class']} workers; {setup['load_generator']}; "
        f"median of {setup['rounds']} interleaved rounds of {setup['duration']:.0f} s"
        + ("; webhooks: one run after them" if any(s.once for s in items) else "")
    )
    print()
    print(f"  {'scenario':<44} {'median':>12}  {'unit':<12} rounds")
    for s in items:
        rounds = " ".join(f"{r.requests_per_second:.1f}" for r in s.results)
        errors = f"  ({s.errors} errors!)" if s.errors else ""
        print(f"  {s.label:<44} {s.median:12.1f}  {s.unit:<12} {rounds}{errors}")
    print()
    print(f"  {'ratio':<44} {'value':>12}  {'target':<12} result")
    ratio_rows = []
    for ratio in targets:
        value = by_key[ratio.numerator].median / by_key[ratio.denominator].median
        passed = value >= ratio.target
        ratio_rows.append({**asdict(ratio), "value": round(value, 3), "passed": passed})
        target = f">= {ratio.target:.2f}"
        print(f"  {ratio.label:<44} {value:12.2f}  {target:<12} {'PASS' if passed else 'FAIL'}")
    check_rows = [
        {"label": label, "passed": not problems, "problems": problems}
        for s in items
        for label, problems in s.checks.items()
    ]
    if check_rows:
        print()
        print(f"  {'check':<86} result")
        for row in check_rows:
            print(f"  {row['label']:<86} {'PASS' if row['passed'] else 'FAIL'}")
            for problem in row["problems"]:
                print(f"      {problem}")
    notes = [note for s in items for note in s.notes]
    if notes:
        print()
        for note in notes:
            print(note)
    if any(s.once for s in items):
        notes.append(WEBHOOK_NOTE)
        print(WEBHOOK_NOTE)
    print()
    print(CPU_NOTE.format(cpus=setup["cpus"]))
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": setup,
        "scenarios": [
            {
                "key": s.key,
                "label": s.label,
                "unit": s.unit,
                "median": round(s.median, 1),
                "rounds": [round(r.requests_per_second, 1) for r in s.results],
                "errors": s.errors,
                **s.detail,
            }
            for s in items
        ],
        "ratios": ratio_rows,
        "checks": check_rows,
        "notes": notes,
        "note": CPU_NOTE.format(cpus=setup["cpus"]),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--donations",
        type=int,
        default=1_000_000,
        help="paid donations to load (default 1,000,000)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url",
        help="an existing, empty database to use (kept afterwards); default: a fresh PostgreSQL "
        "database created and dropped by the run",
    )
    where.add_argument(
        "--sqlite", action="store_true", help="use a fresh SQLite file instead of PostgreSQL"
    )
    parser.add_argument(
        "--postgres-admin-url",
        default=POSTGRES_ADMIN_URL,
        help="where to create the fresh database",
    )
    parser.add_argument(
        "--duration", type=float, default=10, help="seconds per measurement (default 10)"
    )
    parser.add_argument(
        "--warmup", type=float, default=3, help="seconds of warm-up per scenario (default 3)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds; the median counts (default 3)"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--threads", type=int, default=2, help="load generator threads (wrk) or processes"
    )
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers per server (default 2)"
    )
    parser.add_argument("--worker-class", choices=["gthread", "sync"], default="gthread")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--page", default="/campaigns/{slug}", help="the campaign page's path")
    parser.add_argument(
        "--webhook-events",
        type=int,
        default=2_000,
        help="signed checkout.session.completed events to deliver, one per new donation "
        "(default 2,000; 0 skips the webhook scenario)",
    )
    parser.add_argument(
        "--webhook-connections",
        type=int,
        default=8,
        help="concurrent keep-alive connections delivering them (default 8)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a ratio misses its target"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM ends the run like Ctrl-C does: through the finally blocks that stop the
    # servers and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    load = LoadOptions(args.duration, args.threads, args.connections, args.load_generator)
    servers = ServerOptions(args.workers, args.worker_class, args.worker_threads)
    OUTPUT_DIR.mkdir(exist_ok=True)
    try:
        with contextlib.ExitStack() as stack:
            if args.database_url:
                url = args.database_url
            elif args.sqlite:
                url = stack.enter_context(fresh_sqlite())
            else:
                url = stack.enter_context(fresh_postgres(args.postgres_admin_url))
            print(f"Loading {args.donations:,} donations into a fresh database ...", flush=True)
            started = time.perf_counter()
            dataset = build(url, args.donations)
            print(f"  {'loaded in':<22} {time.perf_counter() - started:8.1f} s", flush=True)

            webhook_load = dataclasses.replace(load, connections=args.webhook_connections)
            bench = Bench(
                dataset, load, servers, stack, args.page, args.webhook_events, webhook_load
            )
            items = scenarios(bench)
            measure_all(items, args.rounds, load, args.warmup)
            setup = {
                "donations": args.donations,
                "database": "SQLite" if url.startswith("sqlite") else "PostgreSQL",
                "load_seconds": {k: round(v, 1) for k, v in dataset.timings.items()},
                "workers": servers.workers,
                "worker_class": servers.worker_class
                + (f" ({servers.threads} threads)" if servers.worker_class == "gthread" else ""),
                "load_generator": _describe(load),
                "rounds": args.rounds,
                "duration": args.duration,
                "webhook_events": args.webhook_events,
                "cpus": os.cpu_count(),
            }
            table = report(items, ratios(dataset), setup)
    except KeyboardInterrupt:
        print("\nInterrupted; servers stopped, temporary database dropped.", file=sys.stderr)
        return 130
    path = OUTPUT_DIR / "latest.json"
    path.write_text(json.dumps(table, indent=2) + "\n")
    print(f"Written to {path.relative_to(ROOT)}")
    if any(s["errors"] for s in table["scenarios"]):
        print("Some requests failed; the figures are not trustworthy.", file=sys.stderr)
        return 1
    if not all(c["passed"] for c in table["checks"]):
        print("A correctness check failed.", file=sys.stderr)
        return 1
    if args.strict and not all(r["passed"] for r in table["ratios"]):
        return 1
    return 0


def _describe(load: LoadOptions) -> str:
    if load.chosen_tool == "wrk":
        return f"wrk -t{load.threads} -c{load.connections}"
    return f"Python load generator ({load.threads} processes, {load.connections} connections)"


if __name__ == "__main__":
    sys.exit(main())
