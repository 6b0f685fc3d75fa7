"""The webhook scenarios: pending donations started through the app's own giving service
against a FakeStripe, their Checkout Sessions completed on the fake, and one
``checkout.session.completed`` event payload for each; afterwards, the check that every
one of them was paid exactly once.

Each measurement (the warm-up and every round) delivers K new events (``--webhook-events``)
to the app and K new events about the same sessions to the bare endpoint, in SEGMENTS parts
each, the app's and the floor's parts alternating about a second apart
(``paired_scenarios``): the machine's drift falls on both alike. The rounds interleave
with the other scenarios' like any repeated scenario's, and the median of each is judged.

The payloads are signed by the load generator just before each is sent: Stripe's
signatures are refused after five minutes, longer than preparing and sending 2,000 events
may take on a busy machine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from flask import Flask
from sqlalchemy import func, select

from benchmarks import bare_webhook
from benchmarks.dataset import bench_app
from benchmarks.loadgen import BatchResult, percentile_ms, post_alternating
from benchmarks.scenario import (
    Bench,
    Group,
    Measurement,
    Ratio,
    Scenario,
    measured_by_pair,
    paired,
)
from benchmarks.servers import Server, app_env
from campaigns.extensions import db
from campaigns.models import Campaign, Donation, DonationStatus, LedgerEntry
from campaigns.services.books.ledger import verify_totals
from campaigns.services.giving.donations import GiftForm, start_donation, validate_gift
from tests.fake_stripe import FakeStripe, signed_headers

WEBHOOK_PATH = "/webhooks/stripe"
WEBHOOK_SECRET = "whsec_bench_not_secret"  # the fake endpoint's, loopback only
EVENT_TYPE = "checkout.session.completed"


@dataclass(frozen=True)
class EventBatch:
    """The donations waiting for their webhook, the events (JSON text) that pay them, and
    their completed Checkout Sessions (as the fake returns them)."""

    donation_ids: list[int]
    payloads: list[str]
    sessions: list[dict]

    def split(self, parts: int) -> list[EventBatch]:
        """``parts`` batches of equal size, in order."""
        size = len(self.payloads) // parts
        return [
            EventBatch(
                self.donation_ids[n * size : (n + 1) * size],
                self.payloads[n * size : (n + 1) * size],
                self.sessions[n * size : (n + 1) * size],
            )
            for n in range(parts)
        ]

    @classmethod
    def joined(cls, batches: list[EventBatch]) -> EventBatch:
        return cls(
            [i for b in batches for i in b.donation_ids],
            [p for b in batches for p in b.payloads],
            [s for b in batches for s in b.sessions],
        )

    def fresh_events(self, fake: FakeStripe) -> list[str]:
        """New events (new ids) about the same sessions, for an endpoint that refuses an
        event id it has stored (the bare one)."""
        return [json.dumps(fake.event(EVENT_TYPE, session)) for session in self.sessions]


def group(bench: Bench) -> Group:
    """Signed checkout.session.completed events for distinct pending donations of the
    busy campaign, each POSTed once to the app on the Stripe provider (at a FakeStripe in
    this process), from a second process; then every donation must be paid exactly once.
    Events about the same sessions go to the bare endpoint (``benchmarks/bare_webhook.py``):
    the floor. K events per measurement, a warm-up and ``bench.rounds`` rounds each."""
    per_round = bench.webhook_events
    if not per_round:
        return Group([])
    data = bench.dataset
    fake = bench.stack.enter_context(FakeStripe())
    app = stripe_app(data.database_url, fake)
    batches = timed_events(bench, app, fake, per_round * (bench.rounds + 1)).split(bench.rounds + 1)
    env = app_env(data.database_url, **stripe_settings(fake))
    server = bench.serve("app-stripe", "wsgi:app", env)
    bare_webhook.create_tables(data.database_url)
    bare_env = {**env, "BENCH_BARE_WEBHOOK": "1"}
    bare = bench.serve("bare-webhook", "benchmarks.bare_webhook:app", bare_env)
    delivered: list[EventBatch] = []

    def next_batches() -> tuple[list[str], list[str]]:
        batch = batches[len(delivered)]
        delivered.append(batch)
        return batch.payloads, batch.fresh_events(fake)

    webhook, floor = paired_scenarios(
        ("webhook", "webhook checkout.session.completed", server),
        ("webhook_bare", "bare webhook: verify, 1 API call, 1 transaction", bare),
        next_batches,
        bench,
    )
    check = (
        f"webhooks: {per_round * len(batches):,} donations paid once, one ledger entry "
        "each, totals verified"
    )
    measure = webhook.measure

    def measure_and_check(seconds: float) -> Measurement:
        result = measure(seconds)
        webhook.checks[check] = payment_problems(app, EventBatch.joined(delivered))
        return result

    webhook.measure = measure_and_check
    webhook.notes.append(WEBHOOK_NOTE)
    return Group(
        [webhook, floor], [Ratio("webhook / bare webhook", "webhook", "webhook_bare", 0.5)]
    )


WEBHOOK_NOTE = (
    "Each webhook event is handled as in production: signature verified, event stored, "
    "the Checkout Session re-read from the (fake) Stripe API, one API round trip per event, "
    "then the donation paid, its ledger entry posted, receipt number issued and thank-you "
    "e-mail queued in one transaction (the e-mail and its receipt PDF are written when it is "
    "sent, not here)."
)


def timed_events(bench: Bench, app: Flask, fake: FakeStripe, count: int) -> EventBatch:
    """``prepare_events`` on the busy campaign, saying how long it took."""
    bench.say(f"Starting {count:,} pending donations through the giving service ...")
    started = time.perf_counter()
    batch = prepare_events(app, fake, bench.dataset.full_slug, count, say=bench.say)
    bench.say(f"  {'prepared in':<22} {time.perf_counter() - started:8.1f} s")
    return batch


# Each measurement's events to each server go in this many parts, the two servers' parts
# alternating (``post_alternating``).
SEGMENTS = 4


def paired_scenarios(
    first: tuple[str, str, Server],
    second: tuple[str, str, Server],
    next_batches: Callable[[], tuple[list[str], list[str]]],
    bench: Bench,
) -> tuple[Scenario, Scenario]:
    """Two scenarios (key, label, server) measured together (``scenario.paired``): each
    measurement POSTs the next batches (``next_batches``: the first server's events, the
    second's) in SEGMENTS parts each, alternating between the servers. Each is events/s
    over its own parts; its latencies go in its detail, one entry per measurement (the
    warm-up first)."""
    connections = bench.webhook_load.connections
    scenarios = [
        Scenario(
            key,
            label,
            "events/s",
            measured_by_pair,
            {
                "path": WEBHOOK_PATH,
                "events_per_measurement": bench.webhook_events,
                "connections": connections,
                "segments": SEGMENTS,
                "measurements": [],
            },
            notes=[""],
        )
        for key, label, _server in (first, second)
    ]

    def run(_seconds: float) -> tuple[Measurement, Measurement]:
        bodies = next_batches()
        segments = [
            (server.port, part[n::SEGMENTS])
            for n in range(SEGMENTS)
            for (_, _, server), part in zip((first, second), bodies, strict=True)
        ]
        results = post_alternating(first[2].host, WEBHOOK_PATH, segments, sign, connections)
        ours, theirs = scenarios
        return (
            _figures(ours, theirs, results[0::2], connections),
            _figures(theirs, ours, results[1::2], connections),
        )

    paired(scenarios[0], scenarios[1], run)
    return scenarios[0], scenarios[1]


def _figures(
    scenario: Scenario, other: Scenario, mine: list[BatchResult], connections: int
) -> Measurement:
    """events/s over ``scenario``'s parts of a measurement, its latencies kept."""
    seconds = sum(r.seconds for r in mine)
    latencies = [t for r in mine for t in r.latencies]
    failures = sum(r.failures for r in mine)
    latency = latency_ms(latencies)
    scenario.detail["measurements"].append({"seconds": round(seconds, 1), "latency_ms": latency})
    scenario.notes[-1:] = [
        f"{scenario.label}: {len(latencies):,} events per measurement over {connections} "
        f"connections, in {SEGMENTS} parts alternating with {other.key}'s; last: "
        f"{seconds:.1f} s, latency p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms, "
        f"max {latency['max']:.0f} ms; {failures} non-2xx"
    ]
    return Measurement((len(latencies) - failures) / seconds, failures)


def stripe_settings(fake: FakeStripe) -> dict[str, str]:
    """The app's settings (environment names) for Stripe at ``fake``."""
    return {
        "PAYMENT_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": fake.api_key,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": fake.url,
    }


def stripe_app(database_url: str, fake: FakeStripe) -> Flask:
    """The real app on ``database_url`` with Stripe at ``fake``."""
    return bench_app(database_url, stripe_settings(fake))


def sign(payload: str) -> dict[str, str]:
    """The headers of a delivery of ``payload``, signed now with the endpoint's secret."""
    return signed_headers(payload, WEBHOOK_SECRET)


def gift_form(number: int, option_id: int) -> GiftForm:
    """The ``number``-th donor's form: every other gift a food-parcel option (1-3 parcels),
    the rest custom amounts; one donor each, so every event pays a distinct donation."""
    donor = {"name": f"Webhook Donor {number}", "email": f"webhook-donor{number}@example.org"}
    if number % 2:
        return GiftForm(amount=str(10 + number % 490), **donor)
    return GiftForm(option=str(option_id), quantity=str(1 + number % 3), **donor)


def prepare_events(
    app: Flask, fake: FakeStripe, slug: str, count: int, say: Callable[[str], None] = print
) -> EventBatch:
    """Start ``count`` donations to the campaign ``slug`` as the donation form does (its
    commits), complete their sessions on the fake and build their events."""
    provider = app.extensions["payment_provider"]
    site = app.config["SITE_URL"]
    urls = partial(_return_urls, site, slug)
    donations: list[tuple[int, str]] = []
    with app.app_context():
        campaign = db.session.scalars(select(Campaign).where(Campaign.slug == slug)).one()
        option_id = min(campaign.options, key=lambda o: o.position).id
        for number in range(count):
            form = gift_form(number, option_id)
            gift = validate_gift(db.session, campaign, form, locale="en", today=date.today())
            donation, _checkout_url = start_donation(
                db.session,
                provider,
                app.extensions["settings"],
                campaign,
                gift,
                urls,
                commit=db.session.commit,
            )
            donations.append((donation.id, donation.provider_session_id))
            if (number + 1) % 500 == 0:
                say(f"  {number + 1:,} of {count:,} pending donations started")
        db.session.remove()
        db.engine.dispose()
    sessions = [fake.complete_session(session_id) for _, session_id in donations]
    payloads = [json.dumps(fake.event(EVENT_TYPE, session)) for session in sessions]
    return EventBatch([donation_id for donation_id, _ in donations], payloads, sessions)


def _return_urls(site: str, slug: str, token: str) -> tuple[str, str]:
    # As the donation view builds them (success URL with Stripe's placeholder, cancel URL).
    thanks = f"{site}/donations/{token}/thanks?session_id={{CHECKOUT_SESSION_ID}}"
    return thanks, f"{site}/campaigns/{slug}#give"


def payment_problems(app: Flask, batch: EventBatch) -> list[str]:
    """What is wrong after the events were delivered: each donation paid, one ledger entry
    each, and the campaign totals the ledger agrees with. An empty list: all is well."""
    expected = len(batch.donation_ids)
    with app.app_context():
        ours = Donation.id.in_(batch.donation_ids)
        paid = db.session.scalar(
            select(func.count()).where(ours, Donation.status == DonationStatus.PAID)
        )
        entries = db.session.scalar(
            select(func.count()).select_from(LedgerEntry).join(Donation).where(ours)
        )
        drift = verify_totals(db.session)
        db.session.remove()
        db.engine.dispose()
    problems = []
    if paid != expected:
        problems.append(f"{paid:,} of {expected:,} donations paid")
    if entries != expected:
        problems.append(f"{entries:,} ledger entries for {expected:,} donations")
    problems += [f"totals drift: {d}" for d in drift]
    return problems


def latency_ms(latencies: list[float]) -> dict[str, float]:
    """p50, p95 and the slowest of ``latencies`` (seconds), in milliseconds."""
    return {
        "p50": round(percentile_ms(latencies, 50), 1),
        "p95": round(percentile_ms(latencies, 95), 1),
        "max": round(max(latencies) * 1000, 1),
    }
