"""The campaign page's p99 latency alone, and while webhooks and gift starts run at once
on the same server: does a donor reading the page wait behind the work of giving?

One gunicorn of the app on the Stripe provider (a FakeStripe in this process, taking
300 ms over each new Checkout Session, as in the gifts group) serves all three. The page
is probed by ``PROBE_CONNECTIONS`` keep-alive connections from a second process (each
request's latency kept). Under load, at the same time: ``WEBHOOK_CONNECTIONS``
connections deliver a batch of signed checkout.session.completed events and
``GIFT_DONORS`` donors start gifts on the limited option. Together they keep half of the
server's 2 x 4 threads busy, so what the page waits for is CPU, the database and locks,
not a free thread. Both figures are measured once, after the rounds, idle first.
"""

from __future__ import annotations

import dataclasses
import threading

from benchmarks import giving, webhooks
from benchmarks.loadgen import LoadOptions, generate_load, percentile_ms, post_each
from benchmarks.scenario import Bench, Group, Measurement, Ratio, Scenario
from benchmarks.servers import Server, app_env
from tests.fake_stripe import FakeStripe

PROBE_CONNECTIONS = 2
WEBHOOK_CONNECTIONS = 2
GIFT_DONORS = 2


def group(bench: Bench) -> Group:
    data = bench.dataset
    option_id = giving.add_limited_campaign(data.database_url)
    fake = bench.stack.enter_context(FakeStripe())
    giving.slow_checkouts(fake)
    app = webhooks.stripe_app(data.database_url, fake)
    batch = webhooks.timed_events(bench, app, fake, max(bench.webhook_events // 5, 20))
    env = app_env(data.database_url, **webhooks.stripe_settings(fake), **giving.SETTINGS)
    server = bench.serve("app-load", "wsgi:app", env)
    path = bench.page.format(slug=data.full_slug)
    probe = LoadOptions(threads=1, connections=PROBE_CONNECTIONS, tool="python")
    # Both workers render and keep the page before anything is timed.
    generate_load(server.host, server.port, path, dataclasses.replace(probe, duration=2))

    def idle(seconds: float) -> Measurement:
        return p99(server, path, dataclasses.replace(probe, duration=seconds))

    def under_load(seconds: float) -> Measurement:
        webhook_load = LoadOptions(threads=1, connections=WEBHOOK_CONNECTIONS)
        delivered: list = []
        gifts: list = []
        deliveries = threading.Thread(
            target=lambda: delivered.append(
                post_each(
                    server.host,
                    server.port,
                    webhooks.WEBHOOK_PATH,
                    batch.payloads,
                    webhooks.sign,
                    webhook_load,
                )
            )
        )
        starts = threading.Thread(
            target=lambda: gifts.append(
                giving.start_gifts(server.host, server.port, option_id, GIFT_DONORS, seconds + 3)
            )
        )
        deliveries.start()
        starts.start()
        page = p99(server, path, dataclasses.replace(probe, duration=seconds))
        starts.join()
        deliveries.join()
        loaded.checks["under load: every webhook's donation paid once, totals verified"] = (
            webhooks.payment_problems(app, batch)
        )
        loaded.detail |= {
            "webhooks_per_second": round(delivered[0].per_second, 1),
            "gift_starts_per_second": round(gifts[0].requests_per_second, 1),
        }
        failures = delivered[0].failures + gifts[0].errors
        return dataclasses.replace(page, errors=page.errors + failures)

    detail = {"path": path, "connections": PROBE_CONNECTIONS}
    alone = Scenario("page_idle", "campaign page p99, alone", "ms", idle, dict(detail), once=True)
    loaded = Scenario(
        "page_under_load",
        "campaign page p99, webhooks and gifts at once",
        "ms",
        under_load,
        detail
        | {
            "webhook_connections": WEBHOOK_CONNECTIONS,
            "gift_donors": GIFT_DONORS,
            "events": len(batch.payloads),
        },
        once=True,
    )
    ratio = Ratio(
        "campaign page p99, under load / alone", "page_under_load", "page_idle", 3, at_most=True
    )
    return Group([alone, loaded], [ratio])


def p99(server: Server, path: str, options: LoadOptions) -> Measurement:
    result = generate_load(server.host, server.port, path, options)
    return Measurement(
        percentile_ms(result.latencies, 99),
        result.errors,
        {
            "p50_ms": percentile_ms(result.latencies, 50),
            "requests_per_second": result.requests_per_second,
        },
    )
