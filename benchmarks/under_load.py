"""The campaign page's p99 latency alone, and while webhooks and gift starts run at once
on the same server: does a donor reading the page wait behind the work of giving?

One gunicorn of the app on the Stripe provider (a FakeStripe in this process, taking
300 ms over each new Checkout Session, as in the gifts group) serves all three. The page
is probed by ``PROBE_CONNECTIONS`` keep-alive connections from a second process (in a
session of its own, as a donor's browser is on a machine of its own), each request's
start and latency kept. Under load, at the same time: ``WEBHOOK_CONNECTIONS`` connections
deliver a batch of signed checkout.session.completed events (a new batch each
measurement, as many as last it) at ``WEBHOOK_RATE`` a second, and ``GIFT_DONORS`` donors
start gifts on the limited option for the whole probe. Together they keep half of the
server's 2 x 4 threads busy, so what the page waits for is CPU, the database and locks,
not a free thread. The p99 under load counts only the page requests started while the
events were being delivered. Its floor: the same load again (a new batch), probing a
small static file the same server sends: what any request waits for while the machine
is that busy, so the p99 the page adds is told apart from the p99 of a saturated
machine. And what the machine alone adds: the same load again, probing the static file
on a second server of the app that serves nothing else, so it shares no process, thread
or lock with the load, only the CPUs. All four are measured in the warm-up and each
round, interleaved with the other scenarios; the medians are judged.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

from benchmarks import giving, webhooks
from benchmarks.loadgen import (
    POST_LEAD,
    LoadOptions,
    Window,
    generate_load,
    percentile_ms,
    post_each,
)
from benchmarks.scenario import Bench, Group, Measurement, Ratio, Scenario
from benchmarks.servers import Server, app_env
from tests.fake_stripe import FakeStripe

PROBE_CONNECTIONS = 2
WEBHOOK_CONNECTIONS = 2
# Events a second, sent on schedule whatever the answers take, as Stripe sends them: the
# same giving in every run, on every server. 360,000 gifts an hour, far above any Eid
# morning this charity has had, and about a third of what the app takes at most here
# (the webhook scenario). Sent as fast as the answers came back instead, the load would grow
# with the server's speed, and a faster webhook would be judged a worse page.
WEBHOOK_RATE = 100
GIFT_DONORS = 2
# The probe under load starts first and runs until the events and gift starts are done;
# this is only its limit, should they hang.
PROBE_CAP_SECONDS = 600
# The floor under load: a small file the same server sends through the same app, with no
# query and no page: what any request waits for while the machine is this busy.
FLOOR_PATH = "/static/css/donor.css"


def group(bench: Bench) -> Group:
    data = bench.dataset
    option_id = giving.add_limited_campaign(data.database_url)
    fake = bench.stack.enter_context(FakeStripe())
    app = webhooks.stripe_app(data.database_url, fake)
    # Events to last a measurement at the rate: the deliveries, like the gift starts, run
    # as long as the measurement, and the p99 is taken over that long.
    per_round = max(round(WEBHOOK_RATE * bench.load.duration), 20)
    # the page, the floor and the second server's file; warm-up and rounds
    measurements = 3 * (bench.rounds + 1)
    batches = iter(
        webhooks.timed_events(bench, app, fake, per_round * measurements).split(measurements)
    )
    # The gift starts measured wait 300 ms on each new Checkout Session; the events'
    # donations were started before, at the fake's own speed.
    giving.slow_checkouts(fake)
    delivered: list[webhooks.EventBatch] = []
    env = app_env(data.database_url, **webhooks.stripe_settings(fake), **giving.SETTINGS)
    server = bench.serve("app-load", "wsgi:app", env)
    elsewhere = bench.serve("app-aside", "wsgi:app", env)
    path = bench.page.format(slug=data.full_slug)
    probe = LoadOptions(threads=1, connections=PROBE_CONNECTIONS, tool="python", own_session=True)
    probe_cap = dataclasses.replace(probe, duration=PROBE_CAP_SECONDS)
    # Both workers render and keep the page before anything is timed.
    generate_load(server.host, server.port, path, dataclasses.replace(probe, duration=2))

    def idle(seconds: float) -> Measurement:
        return p99(server, path, dataclasses.replace(probe, duration=seconds))

    def under_load(
        probed: str, scenario: Callable[[], Scenario], target: Server = server
    ) -> Callable[[float], Measurement]:
        """A measurement of ``probed``'s p99 on ``target`` while a new batch of events and
        the gift starts run on ``server``; its figures go to ``scenario()``'s detail."""

        def measure(seconds: float) -> Measurement:
            batch = next(batches)
            delivered.append(batch)
            window = Window.new()
            probed_load: list = []
            prober = threading.Thread(
                target=lambda: probed_load.append(
                    generate_load(target.host, target.port, probed, probe_cap, window)
                )
            )
            prober.start()
            if not window.running.wait(PROBE_CAP_SECONDS):
                raise RuntimeError("the probe never started")
            # From here the probe runs until the events and the gift starts are done.
            sent: list = []
            gifts: list = []
            deliveries = threading.Thread(
                target=lambda: sent.append(
                    post_each(
                        server.host,
                        server.port,
                        webhooks.WEBHOOK_PATH,
                        batch.payloads,
                        webhooks.sign,
                        LoadOptions(threads=1, connections=WEBHOOK_CONNECTIONS, rate=WEBHOOK_RATE),
                    )
                )
            )
            starts = threading.Thread(
                target=lambda: gifts.append(
                    giving.start_gifts(
                        server.host, server.port, option_id, GIFT_DONORS, seconds + POST_LEAD
                    )
                )
            )
            deliveries.start()
            starts.start()
            starts.join()
            deliveries.join()
            window.stop.set()
            prober.join()
            (result,) = probed_load
            (events,) = sent
            loaded.checks["under load: every webhook's donation paid once, totals verified"] = (
                webhooks.payment_problems(app, webhooks.EventBatch.joined(delivered))
            )
            during = result.latencies_between(events.started_at, events.started_at + events.seconds)
            if not during:
                raise RuntimeError(
                    f"no request answered while the webhooks ran ({events.seconds:.1f} s)"
                )
            scenario().detail |= {
                "webhooks_per_second": round(events.per_second, 1),
                "webhook_seconds": round(events.seconds, 1),
                "requests_during": len(during),
                "gift_starts_per_second": round(gifts[0].requests_per_second, 1),
            }
            failures = events.failures + gifts[0].errors
            return Measurement(
                percentile_ms(during, 99),
                result.errors + failures,
                {"p50_ms": percentile_ms(during, 50)},
            )

        return measure

    detail = {"path": path, "connections": PROBE_CONNECTIONS}
    load = {
        "webhook_connections": WEBHOOK_CONNECTIONS,
        "webhook_rate": WEBHOOK_RATE,
        "gift_donors": GIFT_DONORS,
        "events_per_measurement": per_round,
    }
    alone = Scenario("page_idle", "campaign page p99, alone", "ms", idle, dict(detail))
    loaded = Scenario(
        "page_under_load",
        "campaign page p99, webhooks and gifts at once",
        "ms",
        under_load(path, lambda: loaded),
        detail | load,
    )
    floor = Scenario(
        "static_under_load",
        "a static file's p99, the same load at once",
        "ms",
        under_load(FLOOR_PATH, lambda: floor),
        {"path": FLOOR_PATH, "connections": PROBE_CONNECTIONS} | load,
    )
    aside = Scenario(
        "static_aside_under_load",
        "static file p99, a second server, same load",
        "ms",
        under_load(FLOOR_PATH, lambda: aside, elsewhere),
        {"path": FLOOR_PATH, "connections": PROBE_CONNECTIONS} | load,
    )
    ratios = [
        Ratio(
            "campaign page p99, under load / alone",
            "page_under_load",
            "page_idle",
            3,
            at_most=True,
        ),
        Ratio(
            "campaign page p99 / a static file's, both under load",
            "page_under_load",
            "static_under_load",
            1.5,
            at_most=True,
        ),
    ]
    return Group([alone, loaded, floor, aside], ratios)


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
