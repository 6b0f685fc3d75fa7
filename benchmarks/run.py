"""The benchmark, in one run: ``python -m benchmarks.run`` (``make bench``).

1. A fresh database (by default ``bench_<pid>`` on the local PostgreSQL, dropped at the
   end) built by the real migrations, with one campaign holding N paid donations and
   their ledger entries, and one campaign with none.
2. Each group of scenarios (GROUPS; ``--only`` picks some) starts what it measures under
   gunicorn, and its floor: a bare Flask app, bare WeasyPrint, one donor alone.
3. Repeated scenarios are loaded in interleaved rounds; the median of each is reported.
   Fixed batches (webhook events) and long ones (exports of N gifts) run once, after them.
4. The table, the ratios against their targets and the correctness checks are printed
   and written to bench-output/latest.json.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import sys
import time
from pathlib import Path

from benchmarks import bank_import, exports, giving, pages, receipts, under_load, webhooks
from benchmarks.dataset import build, fresh_postgres, fresh_sqlite
from benchmarks.loadgen import LoadOptions
from benchmarks.report import report
from benchmarks.scenario import Bench, measure_all
from benchmarks.servers import OUTPUT_DIR, ServerOptions

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# Every group of the run, by the name --only takes, in the order of each round. A new
# group is a module with ``group(bench) -> Group``, listed here.
GROUPS = {
    "pages": pages.group,
    "gifts": giving.group,
    "receipts": receipts.group,
    "csv": exports.csv_group,
    "xlsx": exports.xlsx_group,
    "webhooks": webhooks.group,
    "load": under_load.group,
    "bank": bank_import.group,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--only",
        type=_groups,
        default=list(GROUPS),
        help=f"comma-separated groups to run, of: {', '.join(GROUPS)} (default: all)",
    )
    parser.add_argument(
        "--donations", type=int, default=1_000_000, help="paid donations to load (1,000,000)"
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
        "--postgres-admin-url", default=POSTGRES_ADMIN_URL, help="where to create the database"
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per scenario")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; median counts")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="load threads (wrk) or processes")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--worker-class", choices=["gthread", "sync"], default="gthread")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--page", default="/campaigns/{slug}", help="the campaign page's path")
    parser.add_argument(
        "--webhook-events",
        type=int,
        default=1_000,
        help="signed checkout.session.completed events per measurement, each for a new "
        "donation, to the app and again to its floor, in the warm-up and each round "
        "(default 1,000; 0 skips the webhook scenarios)",
    )
    parser.add_argument(
        "--webhook-connections", type=int, default=8, help="connections delivering them"
    )
    parser.add_argument(
        "--bank-lines",
        type=int,
        default=10_000,
        help="lines of the bank statement imported, half paying a pledge (10,000)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=OUTPUT_DIR,
        help="where latest.json and the servers' logs go (default bench-output/)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a ratio misses its target"
    )
    return parser.parse_args(argv)


def _groups(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in GROUPS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown group {', '.join(unknown) or '(none)'}; choose from {', '.join(GROUPS)}"
        )
    return names


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM ends the run like Ctrl-C does: through the finally blocks that stop the
    # servers and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    load = LoadOptions(args.duration, args.threads, args.connections, args.load_generator)
    servers = ServerOptions(args.workers, args.worker_class, args.worker_threads)
    args.output.mkdir(parents=True, exist_ok=True)
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
            dataset = build(url, args.donations, say=_say)
            print(f"  {'loaded in':<22} {time.perf_counter() - started:8.1f} s", flush=True)

            webhook_load = dataclasses.replace(load, connections=args.webhook_connections)
            bench = Bench(
                dataset,
                load,
                servers,
                stack,
                args.page,
                args.webhook_events,
                webhook_load,
                _say,
                args.output,
                args.bank_lines,
                args.rounds,
            )
            groups = [GROUPS[name](bench) for name in args.only]
            items = [s for g in groups for s in g.scenarios]
            measure_all(items, args.rounds, args.duration, args.warmup, say=_say)
            setup = {
                "groups": args.only,
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
                "bank_lines": args.bank_lines,
                "cpus": os.cpu_count(),
            }
            table = report(items, [r for g in groups for r in g.ratios], setup, say=_say)
    except KeyboardInterrupt:
        print("\nInterrupted; servers stopped, temporary database dropped.", file=sys.stderr)
        return 130
    path = args.output / "latest.json"
    path.write_text(json.dumps(table, indent=2) + "\n")
    print(f"Written to {path}")
    return exit_code(table, strict=args.strict)


def exit_code(table: dict, *, strict: bool) -> int:
    """1 when a request failed or a check failed; with ``strict`` also when a ratio missed
    its target (a ratio that could not be judged, its scenario not available, is no miss)."""
    if any(s.get("errors") for s in table["scenarios"]):
        print("Some requests failed; the figures are not trustworthy.", file=sys.stderr)
        return 1
    if not all(c["passed"] for c in table["checks"]):
        print("A correctness check failed.", file=sys.stderr)
        return 1
    if strict and any(r["passed"] is False for r in table["ratios"]):
        return 1
    return 0


def _say(line: str) -> None:
    print(line, flush=True)


def _describe(load: LoadOptions) -> str:
    if load.chosen_tool == "wrk":
        return f"wrk -t{load.threads} -c{load.connections}"
    return f"Python load generator ({load.threads} processes, {load.connections} connections)"


if __name__ == "__main__":
    sys.exit(main())
