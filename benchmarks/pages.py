"""The campaign page: with N donations, with 0, and a bare Flask page of the same HTML
(``benchmarks/bare_app.py``), each under gunicorn with the same settings."""

from __future__ import annotations

import dataclasses
import json

from benchmarks.bare_app import make_template
from benchmarks.loadgen import generate_load
from benchmarks.scenario import Bench, Group, Measurement, Ratio, Scenario
from benchmarks.servers import Server, app_env


def group(bench: Bench) -> Group:
    """The campaign page with N donations, with 0, and the bare page of the same size."""
    data = bench.dataset
    app = bench.serve("app", "wsgi:app", app_env(data.database_url))
    full_path = bench.page.format(slug=data.full_slug)
    empty_path = bench.page.format(slug=data.empty_slug)
    full_html = page(app, full_path)
    empty_html = page(app, empty_path)

    # The baseline renders the empty campaign's own HTML with its title and slug as variables.
    template = bench.output / "bare_template.html"
    variables = {"title": data.empty_title, "slug": data.empty_slug}
    template.write_text(make_template(empty_html.decode(), variables))
    bare_env = {"BENCH_BARE_TEMPLATE": str(template), "BENCH_BARE_VARIABLES": json.dumps(variables)}
    bare = bench.serve("bare", "benchmarks.bare_app:app", bare_env)
    bare_html = page(bare, "/")
    scenarios = [
        http_scenario(
            "campaign_full",
            f"campaign page, {data.donations:,} donations",
            app,
            full_path,
            full_html,
            bench,
        ),
        http_scenario(
            "campaign_empty", "campaign page, 0 donations", app, empty_path, empty_html, bench
        ),
        http_scenario("bare", "bare Flask page, same HTML", bare, "/", bare_html, bench),
    ]
    ratios = [
        Ratio(
            f"campaign page, {data.donations:,} donations / 0 donations",
            "campaign_full",
            "campaign_empty",
            0.9,
        ),
        Ratio("campaign page / bare Flask page", "campaign_full", "bare", 0.5),
    ]
    return Group(scenarios, ratios)


def page(server: Server, path: str) -> bytes:
    """The body of ``path``, which must answer 200."""
    status, body = server.get(path)
    if status != 200:
        raise SystemExit(
            f"GET {path} on {server.name} answered {status}, not 200; nothing to measure"
        )
    return body


def http_scenario(
    key: str, label: str, server: Server, path: str, body: bytes, bench: Bench
) -> Scenario:
    def measure(seconds: float) -> Measurement:
        options = dataclasses.replace(bench.load, duration=seconds)
        return Measurement.of(generate_load(server.host, server.port, path, options))

    return Scenario(key, label, "requests/s", measure, {"path": path, "page_bytes": len(body)})
