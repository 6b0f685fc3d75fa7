"""Webhooks that overtake the payment they are about, and refunds that settle later: no
payment, refund or dispute is lost, whatever order Stripe's deliveries arrive in.

A monthly payment names no donation (its payment intent carries no metadata): a refund or
dispute of one that arrives before invoice.paid finds the donation through the payment's
invoice. A refund still pending when charge.refunded arrives is posted by the
refund.updated (or charge.refund.updated) that reports it succeeded.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Donation, LedgerEntry, ProviderEvent
from campaigns.payments import CheckoutRequest, ProviderError
from campaigns.payments.demo_provider import DemoProvider
from tests.payments_fixtures import (
    charge_of,
    charge_of_payment,
    entries_of,
    invoice_payment_intent,
    reloaded,
    totals_of,
)


def instalments_of(first: Donation) -> list[Donation]:
    """The later monthly payments of a monthly gift, as now committed."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Donation).where(Donation.parent_id == first.id).order_by(Donation.id)
        )
    )


def ledger_of(campaign) -> tuple[list, dict]:
    """The campaign's ledger entries and totals, to compare before and after a delivery."""
    return entries_of(campaign), totals_of(campaign)


@dataclass(frozen=True)
class SecondMonth:
    first: Donation  # the monthly gift, its first month recorded
    first_intent: str
    invoice: dict  # the second month's invoice, paid at Stripe
    intent: str  # the payment intent that paid it


@pytest.fixture
def second_month(monthly_started, fake_stripe, deliver) -> SecondMonth:
    """A monthly gift whose first 100.00 TRY the app recorded, and whose second month
    Stripe has just billed and charged; the app has not heard of the second yet."""
    first, session = monthly_started
    assert deliver("checkout.session.completed", session).status_code == 200
    invoice = fake_stripe.pay_next_invoice(session["subscription"])
    return SecondMonth(
        first=first,
        first_intent=invoice_payment_intent(fake_stripe, session["invoice"]),
        invoice=invoice,
        intent=invoice_payment_intent(fake_stripe, invoice["id"]),
    )


# -- a monthly instalment's refund or dispute before its invoice.paid ------------------------


def test_instalment_refunded_before_its_invoice_paid_is_recorded_then_refunded_once(
    second_month, fake_stripe, deliver
):
    first, invoice, intent = second_month.first, second_month.invoice, second_month.intent
    refund = fake_stripe.refund(payment_intent=intent, amount=40_00)
    refunded = deliver.payload("charge.refunded", charge_of_payment(fake_stripe, intent))

    assert deliver.post(refunded).status_code == 200
    assert deliver.post(refunded).status_code == 200
    assert deliver("invoice.paid", invoice).status_code == 200

    [instalment] = instalments_of(first)
    assert instalment.provider_payment_id == intent
    assert (instalment.status, instalment.amount, instalment.refunded_amount) == (
        "partially_refunded",
        100_00,
        40_00,
    )
    assert entries_of(first.campaign) == [
        ("payment", 100_00, 0, second_month.first_intent),
        ("payment", 100_00, 0, intent),
        ("refund", -40_00, 0, refund["id"]),
    ]
    assert totals_of(first.campaign) == {
        "raised": 160_00,
        "units_funded": 0,
        "donations": 2,
        "donors": 1,
    }
    assert reloaded(first).status == "paid"
    # Stripe may send the same news again under a new event id: nothing changes.
    books = ledger_of(first.campaign)
    assert deliver("charge.refunded", charge_of_payment(fake_stripe, intent)).status_code == 200
    assert ledger_of(first.campaign) == books


@pytest.mark.parametrize(
    ("won", "status", "raised"), [(True, "paid", 200_00), (False, "lost", 100_00)]
)
def test_instalment_disputed_before_its_invoice_paid(
    second_month, fake_stripe, deliver, won, status, raised
):
    first, invoice, intent = second_month.first, second_month.invoice, second_month.intent
    dispute = fake_stripe.create_dispute(charge_of_payment(fake_stripe, intent)["id"])

    assert deliver("charge.dispute.created", dispute).status_code == 200
    assert deliver("invoice.paid", invoice).status_code == 200

    [instalment] = instalments_of(first)
    assert (instalment.status, instalment.provider_payment_id) == ("disputed", intent)
    assert totals_of(first.campaign)["raised"] == 100_00  # the first month only

    closed = fake_stripe.close_dispute(dispute["id"], won=won)
    assert deliver("charge.dispute.closed", closed).status_code == 200
    assert deliver("charge.dispute.closed", closed).status_code == 200

    assert [i.status for i in instalments_of(first)] == [status]
    assert [e[:2] for e in entries_of(first.campaign)] == [
        ("payment", 100_00),
        ("payment", 100_00),
        ("dispute", -100_00),
    ] + ([("dispute_won", 100_00)] if won else [])
    assert totals_of(first.campaign)["raised"] == raised


# Second month: 100.00 TRY paid, 30.00 refunded, the remaining 70.00 disputed.
INSTALMENT_EVENTS = ("invoice.paid", "charge.refunded", "charge.dispute.created")


@pytest.mark.parametrize("order", list(itertools.permutations(INSTALMENT_EVENTS)), ids="-".join)
def test_instalment_refund_and_dispute_in_any_order_end_the_same(
    second_month, fake_stripe, deliver, order
):
    first, invoice, intent = second_month.first, second_month.invoice, second_month.intent
    fake_stripe.refund(payment_intent=intent, amount=30_00)
    charge = charge_of_payment(fake_stripe, intent)
    dispute = fake_stripe.create_dispute(charge["id"], amount=70_00)
    objects = {
        "invoice.paid": invoice,
        "charge.refunded": charge,
        "charge.dispute.created": dispute,
    }

    for event_type in order:
        assert deliver(event_type, objects[event_type]).status_code == 200

    [instalment] = instalments_of(first)
    assert (instalment.status, instalment.refunded_amount) == ("disputed", 30_00)
    # Each event keeps the object it names and the gift its handler found.
    stored = db.session.execute(
        select(ProviderEvent.type, ProviderEvent.object_id, ProviderEvent.donation_id).where(
            ProviderEvent.object_id.in_([o["id"] for o in objects.values()])
        )
    )
    assert sorted(stored) == sorted((t, objects[t]["id"], instalment.id) for t in order)
    assert sorted(e[:2] for e in entries_of(first.campaign)) == sorted(
        [("payment", 100_00), ("payment", 100_00), ("refund", -30_00), ("dispute", -70_00)]
    )
    assert totals_of(first.campaign) == {
        "raised": 100_00,
        "units_funded": 0,
        "donations": 2,
        "donors": 1,
    }


# -- the first monthly payment refunded before anything else arrives ----------------------

FIRST_EVENTS = ("charge.refunded", "checkout.session.completed", "invoice.paid")


@pytest.mark.parametrize("order", list(itertools.permutations(FIRST_EVENTS)), ids="-".join)
def test_first_monthly_payment_refunded_in_any_order_is_recorded_then_refunded_once(
    monthly_started, fake_stripe, deliver, order
):
    first, session = monthly_started
    intent = invoice_payment_intent(fake_stripe, session["invoice"])
    refund = fake_stripe.refund(payment_intent=intent, amount=25_00)
    objects = {
        "charge.refunded": charge_of_payment(fake_stripe, intent),
        "checkout.session.completed": session,
        "invoice.paid": fake_stripe.object(session["invoice"]),
    }

    for event_type in order:
        assert deliver(event_type, objects[event_type]).status_code == 200

    donation = reloaded(first)
    assert (donation.status, donation.refunded_amount) == ("partially_refunded", 25_00)
    assert donation.provider_payment_id == intent
    assert donation.provider_subscription_id == session["subscription"]
    assert instalments_of(first) == []
    assert entries_of(first.campaign) == [
        ("payment", 100_00, 0, intent),
        ("refund", -25_00, 0, refund["id"]),
    ]
    assert totals_of(first.campaign) == {
        "raised": 75_00,
        "units_funded": 0,
        "donations": 1,
        "donors": 1,
    }


def test_first_monthly_payment_disputed_before_checkout_completed(
    monthly_started, fake_stripe, deliver
):
    first, session = monthly_started
    intent = invoice_payment_intent(fake_stripe, session["invoice"])
    dispute = fake_stripe.create_dispute(charge_of_payment(fake_stripe, intent)["id"])

    assert deliver("charge.dispute.created", dispute).status_code == 200
    assert deliver("checkout.session.completed", session).status_code == 200
    assert deliver("invoice.paid", fake_stripe.object(session["invoice"])).status_code == 200

    assert reloaded(first).status == "disputed"
    assert [e[:2] for e in entries_of(first.campaign)] == [
        ("payment", 100_00),
        ("dispute", -100_00),
    ]
    assert totals_of(first.campaign)["raised"] == 0


# -- refunds still pending when charge.refunded arrives -----------------------------------


@pytest.fixture
def paid_gift(pending_donation, fake_stripe, deliver):
    """A 300.00 TRY one-off gift, paid and recorded: (donation, payment intent)."""
    donation = pending_donation(amount="300")
    session = fake_stripe.complete_session(donation.provider_session_id)
    assert deliver("checkout.session.completed", session).status_code == 200
    return donation, session["payment_intent"]


@pytest.mark.parametrize(
    ("event_type", "other_name"),
    [("refund.updated", "charge.refund.updated"), ("charge.refund.updated", "refund.updated")],
)
def test_pending_refund_is_posted_once_when_it_succeeds(
    paid_gift, fake_stripe, deliver, event_type, other_name
):
    donation, intent = paid_gift
    refund = fake_stripe.refund(payment_intent=intent, amount=100_00, pending=True)

    assert deliver("charge.refunded", charge_of_payment(fake_stripe, intent)).status_code == 200
    assert reloaded(donation).status == "paid"
    assert totals_of(donation.campaign)["raised"] == 300_00

    settled = fake_stripe.settle_refund(refund["id"], succeeded=True)
    payload = deliver.payload(event_type, settled)
    assert deliver.post(payload).status_code == 200
    assert deliver.post(payload).status_code == 200

    final = reloaded(donation)
    assert (final.status, final.refunded_amount) == ("partially_refunded", 100_00)
    assert entries_of(donation.campaign) == [
        ("payment", 300_00, 0, intent),
        ("refund", -100_00, 0, refund["id"]),
    ]
    assert totals_of(donation.campaign)["raised"] == 200_00
    # The same news under the other name, or charge.refunded again: nothing changes.
    books = ledger_of(donation.campaign)
    assert deliver(other_name, settled).status_code == 200
    assert deliver("charge.refunded", charge_of_payment(fake_stripe, intent)).status_code == 200
    assert ledger_of(donation.campaign) == books


def test_pending_refund_that_fails_takes_nothing_off(paid_gift, fake_stripe, deliver):
    donation, intent = paid_gift
    refund = fake_stripe.refund(payment_intent=intent, pending=True)
    assert deliver("charge.refunded", charge_of_payment(fake_stripe, intent)).status_code == 200

    failed = fake_stripe.settle_refund(refund["id"], succeeded=False)
    assert deliver("refund.updated", failed).status_code == 200

    assert reloaded(donation).status == "paid"
    assert [e[0] for e in entries_of(donation.campaign)] == ["payment"]
    assert totals_of(donation.campaign)["raised"] == 300_00


def test_pending_refund_of_an_unrecorded_instalment_settles_into_both(
    second_month, fake_stripe, deliver
):
    first, invoice, intent = second_month.first, second_month.invoice, second_month.intent
    refund = fake_stripe.refund(payment_intent=intent, pending=True)
    assert deliver("charge.refunded", charge_of_payment(fake_stripe, intent)).status_code == 200
    assert instalments_of(first) == []  # nothing succeeded yet, nothing to record

    settled = fake_stripe.settle_refund(refund["id"], succeeded=True)
    assert deliver("refund.updated", settled).status_code == 200
    assert deliver("invoice.paid", invoice).status_code == 200

    [instalment] = instalments_of(first)
    assert (instalment.status, instalment.refunded_amount) == ("refunded", 100_00)
    assert [e[0] for e in entries_of(first.campaign)] == ["payment", "payment", "refund"]
    assert totals_of(first.campaign)["raised"] == 100_00


def test_refund_of_a_gift_the_app_never_made_is_ignored(paid_gift, fake_stripe, deliver):
    donation, _intent = paid_gift
    # A payment made outside the app (say, in the Dashboard): no donation, no invoice.
    stranger = fake_stripe.client().v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "try",
                        "unit_amount": 5000,
                        "product_data": {"name": "Other"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "http://localhost/?session_id={CHECKOUT_SESSION_ID}",
        }
    )
    session = fake_stripe.complete_session(stranger.id)
    fake_stripe.refund(payment_intent=session["payment_intent"])

    assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200

    # The app looked for the payment's invoice, found none, and recorded nothing.
    [lookup] = fake_stripe.calls("GET", "/v1/invoice_payments")
    assert lookup.params["payment"] == {
        "type": "payment_intent",
        "payment_intent": session["payment_intent"],
    }
    db.session.expire_all()
    assert db.session.scalars(select(Donation)).all() == [donation]
    assert len(db.session.scalars(select(LedgerEntry)).all()) == 1
    assert totals_of(donation.campaign)["raised"] == 300_00


# -- the demo provider answers the same questions ------------------------------------------


def demo_request(reference: str, *, monthly: bool) -> CheckoutRequest:
    return CheckoutRequest(
        reference=reference,
        description="Food parcel",
        unit_amount=150_00,
        quantity=1,
        currency="TRY",
        monthly=monthly,
        email="donor@example.org",
        locale="en",
        success_url="http://localhost/thanks?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://localhost/",
        idempotency_key=f"demo-{reference}",
    )


def test_demo_provider_names_a_monthly_payments_invoice_and_rereads_refunds(app_ctx):
    demo = DemoProvider()
    monthly = demo.create_checkout(demo_request("monthly", monthly=True))
    once = demo.create_checkout(demo_request("once", monthly=False))
    demo.pay(monthly.id)
    demo.pay(once.id)
    monthly, once = demo.retrieve_checkout(monthly.id), demo.retrieve_checkout(once.id)
    monthly_payment = demo.retrieve_invoice(monthly.invoice_id).payment_id

    assert demo.payment_invoice(monthly_payment) == monthly.invoice_id
    assert demo.payment_invoice(once.payment_id) is None
    assert demo.payment_invoice("demo_pi_unknown") is None

    refund = demo.refund(once.payment_id, 50_00, "demo-refund-1")
    again = demo.retrieve_refund(refund.id)
    assert again == refund
    assert (again.payment_id, again.charge_id, again.amount, again.status) == (
        once.payment_id,
        once.payment_id,
        50_00,
        "succeeded",
    )
    with pytest.raises(ProviderError):
        demo.retrieve_refund("demo_re_unknown")
