"""The webhook scenario's data: K pending donations started through the app's own giving
service against a FakeStripe, their Checkout Sessions completed on the fake, and one
``checkout.session.completed`` event payload for each; afterwards, the check that every
one of them was paid exactly once.

The payloads are signed by the load generator just before each is sent: Stripe's
signatures are refused after five minutes, longer than preparing and sending 2,000 events
may take on a busy machine.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from flask import Flask
from sqlalchemy import func, select

from benchmarks.dataset import bench_app
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
    """The donations waiting for their webhook, and the events (JSON text) that pay them."""

    donation_ids: list[int]
    payloads: list[str]


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
    payloads = [
        json.dumps(fake.event(EVENT_TYPE, fake.complete_session(session_id)))
        for _, session_id in donations
    ]
    return EventBatch([donation_id for donation_id, _ in donations], payloads)


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
    if len(latencies) < 2:  # quantiles needs two points; one is every percentile
        return dict.fromkeys(("p50", "p95", "max"), round(latencies[0] * 1000, 1))
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "p50": round(cuts[49] * 1000, 1),
        "p95": round(cuts[94] * 1000, 1),
        "max": round(max(latencies) * 1000, 1),
    }
