"""Fixtures for the payment tests: the app on the Stripe provider (pointed at the fake
Stripe server), pending donations started through the real giving service, and signed
webhook deliveries.

Requests go through the Flask test client in a context of their own, so each gets its
own database session and commits as in production; the test's session reads the results
with ``expire_all`` first (see ``totals_of`` and ``entries_of``).
"""

from __future__ import annotations

import contextvars
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import Campaign, CampaignTotals, Donation, LedgerEntry, ProviderEvent
from campaigns.payments.stripe_provider import StripeProvider
from campaigns.services.giving.donations import GiftForm, start_donation, validate_gift
from tests.fake_stripe import FakeStripe, signed_headers
from tests.markup import parse

WEBHOOK_SECRET = "whsec_test_payments"
BASE_URL = "http://localhost"
_slugs = itertools.count(1)


def isolated(function, *args, **kwargs):
    """Run ``function`` with no app context pushed, as a request from outside would: the
    test client then pushes its own, with its own database session, removed afterwards."""
    return contextvars.Context().run(function, *args, **kwargs)


def thank_you_urls(token: str) -> tuple[str, str]:
    """What the donation form gives the provider: success URL (Stripe fills in the
    session id) and cancel URL."""
    return (
        f"{BASE_URL}/donations/{token}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
        f"{BASE_URL}/",
    )


@pytest.fixture
def stripe_provider(app, fake_stripe: FakeStripe) -> Iterator[StripeProvider]:
    """The app's provider swapped for Stripe (at the fake) for one test, then restored."""
    previous = app.extensions["payment_provider"]
    provider = StripeProvider(fake_stripe.api_key, WEBHOOK_SECRET, fake_stripe.url)
    app.extensions["payment_provider"] = provider
    yield provider
    app.extensions["payment_provider"] = previous


@pytest.fixture
def pending_donation(app_ctx, stripe_provider, make_campaign):
    """Start a donation as the donation form does and commit it: a pending donation with
    an open Checkout Session at the fake. ``pending_donation(amount="250")`` gives a
    custom amount on a new campaign; pass ``campaign``, ``option``, ``quantity``,
    ``frequency``, ``email``, ``on_behalf`` or ``cover_fees`` to choose otherwise."""

    def start(
        *,
        campaign: Campaign | None = None,
        option=None,
        quantity: int = 1,
        amount: str = "",
        frequency: str = "once",
        email: str = "donor@example.org",
        on_behalf: tuple[str, ...] = (),
        cover_fees: bool = False,
    ) -> Donation:
        if campaign is None:
            campaign = option.campaign if option else make_campaign(f"appeal-{next(_slugs)}")
        form = GiftForm(
            option=str(option.id) if option else "",
            quantity=str(quantity),
            amount=amount if option or amount else "250",
            frequency=frequency,
            name="Ayşe Yılmaz",
            email=email,
            on_behalf=list(on_behalf),
            cover_fees=cover_fees,
        )
        settings = app_ctx.extensions["settings"]  # as configured when called
        gift = validate_gift(
            db.session,
            campaign,
            form,
            locale="en",
            today=local_today(),
            cover_basis_points=settings.fee_cover_basis_points,
        )
        donation, _url = start_donation(
            db.session,
            stripe_provider,
            settings,
            campaign,
            gift,
            thank_you_urls,
            commit=db.session.commit,
        )
        return donation

    return start


@pytest.fixture
def qurban_option(make_campaign, make_option):
    """Cow shares of a Qurban campaign: 70 in stock, a name for each share."""
    campaign = make_campaign("qurban", title="Qurban 2026", unit_label="sacrifice shares")
    return make_option(
        campaign, "1/7 share of a cow", unit_price=1500_00, stock=70, needs_on_behalf=True
    )


@pytest.fixture
def monthly_started(pending_donation, fake_stripe):
    """A 100.00 TRY monthly gift whose subscription checkout the donor completed; the app
    has heard nothing yet. Returns (donation, completed session)."""
    donation = pending_donation(amount="100", frequency="monthly")
    session = fake_stripe.complete_session(donation.provider_session_id)
    return donation, session


def charge_of(fake: FakeStripe, session: dict) -> dict:
    """The charge that paid a payment-mode session, as the fake holds it now."""
    return charge_of_payment(fake, session["payment_intent"])


def charge_of_payment(fake: FakeStripe, intent_id: str) -> dict:
    """The charge of a payment intent, as the fake holds it now."""
    return fake.object(fake.object(intent_id)["latest_charge"])


def invoice_payment_intent(fake: FakeStripe, invoice_id: str) -> str:
    """The payment intent that paid an invoice (invoices stopped naming it in 2025)."""
    payments = fake.client().v1.invoice_payments.list({"invoice": invoice_id})
    [payment] = payments.data
    return payment.payment.payment_intent


@dataclass
class Webhooks:
    """Stripe's webhook deliveries to ``POST /webhooks/stripe``."""

    client: object
    fake: FakeStripe

    def payload(self, event_type: str, obj: dict) -> str:
        """A new event about ``obj``, as the exact JSON text Stripe would send."""
        return json.dumps(self.fake.event(event_type, obj))

    def post(self, payload: str, headers: dict[str, str] | None = None):
        """Send ``payload`` (signed with the endpoint's secret unless ``headers`` say
        otherwise) and return the response."""
        headers = signed_headers(payload, WEBHOOK_SECRET) if headers is None else headers
        return isolated(self.client.post, "/webhooks/stripe", data=payload, headers=headers)

    def __call__(self, event_type: str, obj: dict):
        """Deliver a new signed event of ``event_type`` about ``obj``."""
        return self.post(self.payload(event_type, obj))


@pytest.fixture
def deliver(client, fake_stripe, stripe_provider) -> Webhooks:
    """``deliver("checkout.session.completed", session)`` posts a signed event."""
    return Webhooks(client, fake_stripe)


@pytest.fixture
def visit(client):
    """GET a page (a path or a full URL, such as the success URL) as the donor's browser."""

    def get(url: str):
        return isolated(client.get, url)

    return get


def totals_of(campaign: Campaign) -> dict[str, int]:
    """The campaign's stored totals as now committed."""
    db.session.expire_all()
    totals = db.session.get(CampaignTotals, campaign.id)
    return {
        "raised": totals.raised,
        "units_funded": totals.units_funded,
        "donations": totals.donations,
        "donors": totals.donors,
    }


def entries_of(campaign: Campaign) -> list[tuple[str, int, int, str]]:
    """The campaign's ledger as (kind, signed amount, signed units, reference), in order."""
    db.session.expire_all()
    rows = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.campaign_id == campaign.id).order_by(LedgerEntry.id)
    )
    return [(e.kind.value, e.amount, e.units, e.reference) for e in rows]


def reloaded(donation: Donation) -> Donation:
    """The donation as now committed."""
    db.session.expire_all()
    return db.session.get(Donation, donation.id)


def events_stored() -> list[ProviderEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(ProviderEvent).order_by(ProviderEvent.id)))


def thanks_heading(response) -> str:
    """The thank-you page's main heading, as the donor reads it."""
    assert response.status_code == 200
    return heading_in(response.data)


def heading_in(html: bytes) -> str:
    [heading] = [h for h in parse(html).find_all("h1") if h.attrs.get("id") == "thanks-title"]
    return heading.text


def all_at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call in its own thread, released together by a barrier; their results."""
    barrier = threading.Barrier(len(calls), timeout=30)

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def count(model) -> int:
    """How many rows of ``model`` are now committed."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))
