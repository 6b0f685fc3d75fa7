"""Giving through Stripe Checkout (the fake Stripe server, driven by the real SDK): what the
app asks Stripe for, fulfilment by the thank-you page and the webhook, delayed payments,
expiry, refunds, disputes, monthly instalments, and events arriving in any order."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Donation, DonationOption, Receipt
from campaigns.services.books.ledger import verify_totals
from tests.payments_fixtures import (
    charge_of,
    entries_of,
    invoice_payment_intent,
    reloaded,
    thanks_heading,
    totals_of,
)

PAID_HEADING = "Thank you, Ayşe Yılmaz!"
WAITING_HEADING = "We are waiting for your payment"
PROCESSING_HEADING = "Thank you! Your gift is being processed"
NO_CHANGE = {"raised": 0, "units_funded": 0, "donations": 0, "donors": 0}


def reserved(option: DonationOption) -> int:
    db.session.expire_all()
    return db.session.get(DonationOption, option.id).reserved


# -- what the app asks Stripe for ---------------------------------------------------------


def test_checkout_for_two_qurban_shares_sends_minor_units_and_the_donation(
    pending_donation, qurban_option, fake_stripe
):
    donation = pending_donation(option=qurban_option, quantity=2, on_behalf=("Ali", "Zeynep"))

    [call] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    sent = call.params
    assert sent["mode"] == "payment"
    assert sent["submit_type"] == "donate"
    [line] = sent["line_items"]
    assert line["quantity"] == "2"
    assert line["price_data"]["unit_amount"] == "150000"
    assert line["price_data"]["currency"] == "try"
    assert "recurring" not in line["price_data"]
    assert sent["metadata"] == {"donation": donation.token}
    assert sent["payment_intent_data"]["metadata"] == {"donation": donation.token}
    assert sent["client_reference_id"] == donation.token
    assert sent["customer_email"] == "donor@example.org"
    assert sent["success_url"] == (
        f"http://localhost/donations/{donation.token}/thanks?session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert call.idempotency_key
    assert donation.token in call.idempotency_key
    session = fake_stripe.object(donation.provider_session_id)
    assert (session["amount_total"], session["currency"]) == (3000_00, "try")
    assert (donation.amount, donation.currency, donation.units) == (3000_00, "TRY", 2)
    assert reserved(qurban_option) == 2


def test_checkout_amount_follows_the_currency_exponent(
    pending_donation, make_campaign, fake_stripe
):
    campaign = make_campaign("tokyo-iftar", currency="JPY", goal_amount=1_000_000)

    donation = pending_donation(campaign=campaign, amount="5000")

    [call] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    price = call.params["line_items"][0]["price_data"]
    assert (price["unit_amount"], price["currency"]) == ("5000", "jpy")
    assert donation.amount == 5000


def test_monthly_gift_asks_for_a_monthly_subscription(pending_donation, fake_stripe):
    donation = pending_donation(amount="100", frequency="monthly")

    [call] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    sent = call.params
    assert sent["mode"] == "subscription"
    assert "submit_type" not in sent
    [line] = sent["line_items"]
    assert line["price_data"]["recurring"] == {"interval": "month"}
    assert (line["price_data"]["unit_amount"], line["quantity"]) == ("10000", "1")
    assert sent["subscription_data"]["metadata"] == {"donation": donation.token}
    assert sent["metadata"] == {"donation": donation.token}


def test_each_donation_has_its_own_idempotency_key(pending_donation, fake_stripe):
    first = pending_donation()
    second = pending_donation()

    keys = [c.idempotency_key for c in fake_stripe.calls("POST", "/v1/checkout/sessions")]
    assert len(keys) == len(set(keys)) == 2
    assert first.provider_session_id != second.provider_session_id


# -- the whole path -----------------------------------------------------------------------


def test_paid_gift_moves_totals_once_through_thank_you_page_then_webhook(
    pending_donation, make_campaign, make_option, post_gift, fake_stripe, visit, deliver
):
    campaign = make_campaign("food-aid")
    parcel = make_option(campaign, "Food parcel for a family", unit_price=1500_00, units=1)
    post_gift(campaign, 500_00, units=1, email="earlier@example.org")
    before = totals_of(campaign)
    donation = pending_donation(option=parcel, quantity=2)
    assert totals_of(campaign) == before

    session = fake_stripe.complete_session(donation.provider_session_id)
    page = visit(fake_stripe.redirect_success_url(donation.provider_session_id))

    assert thanks_heading(page) == PAID_HEADING
    assert reloaded(donation).status == "paid"
    gift = {"raised": 3000_00, "units_funded": 2, "donations": 1, "donors": 1}
    assert totals_of(campaign) == {k: before[k] + gift[k] for k in gift}
    payment = [e for e in entries_of(campaign) if e[3] == session["payment_intent"]]
    assert payment == [("payment", 3000_00, 2, session["payment_intent"])]

    answer = deliver("checkout.session.completed", session)

    assert answer.status_code == 200
    assert totals_of(campaign) == {k: before[k] + gift[k] for k in gift}
    assert len(entries_of(campaign)) == 2  # the earlier gift and this one
    assert reloaded(donation).provider_payment_id == session["payment_intent"]


def test_webhook_alone_fulfils_and_the_thank_you_page_then_only_shows_it(
    pending_donation, fake_stripe, visit, deliver
):
    donation = pending_donation(amount="250")
    session = fake_stripe.complete_session(donation.provider_session_id)

    assert deliver("checkout.session.completed", session).status_code == 200
    page = visit(fake_stripe.redirect_success_url(donation.provider_session_id))

    assert thanks_heading(page) == PAID_HEADING
    assert totals_of(donation.campaign) == {
        "raised": 250_00,
        "units_funded": 0,
        "donations": 1,
        "donors": 1,
    }
    assert len(entries_of(donation.campaign)) == 1


# -- the thank-you page never pays on the strength of its URL -----------------------------


@pytest.mark.parametrize("query", ["?session_id=other", "?session_id=cs_test_made_up", ""])
def test_thank_you_page_with_a_session_id_not_its_own_changes_nothing(
    pending_donation, fake_stripe, visit, query
):
    mine = pending_donation()
    other = pending_donation(campaign=mine.campaign)
    fake_stripe.complete_session(mine.provider_session_id)
    fake_stripe.complete_session(other.provider_session_id)
    if query == "?session_id=other":
        query = f"?session_id={other.provider_session_id}"

    page = visit(f"/donations/{mine.token}/thanks{query}")

    assert thanks_heading(page) == WAITING_HEADING
    assert reloaded(mine).status == reloaded(other).status == "pending"
    assert entries_of(mine.campaign) == []
    assert totals_of(mine.campaign) == NO_CHANGE


def test_thank_you_page_of_an_unknown_donation_is_not_found(visit, stripe_provider):
    assert visit("/donations/no-such-token/thanks?session_id=cs_test_x").status_code == 404


def test_thank_you_page_before_payment_says_waiting(pending_donation, fake_stripe, visit):
    donation = pending_donation()

    page = visit(fake_stripe.redirect_success_url(donation.provider_session_id))

    assert thanks_heading(page) == WAITING_HEADING
    assert reloaded(donation).status == "pending"
    assert entries_of(donation.campaign) == []


def test_delayed_payment_is_processing_then_paid_once(
    pending_donation, fake_stripe, visit, deliver
):
    donation = pending_donation(amount="400")
    session = fake_stripe.complete_session(donation.provider_session_id, paid=False)

    page = visit(fake_stripe.redirect_success_url(donation.provider_session_id))
    assert thanks_heading(page) == PROCESSING_HEADING
    assert deliver("checkout.session.completed", session).status_code == 200
    assert reloaded(donation).status == "pending"
    assert entries_of(donation.campaign) == []

    settled = fake_stripe.settle_session(donation.provider_session_id, succeeded=True)
    assert deliver("checkout.session.async_payment_succeeded", settled).status_code == 200
    assert deliver("checkout.session.async_payment_succeeded", settled).status_code == 200

    assert reloaded(donation).status == "paid"
    assert entries_of(donation.campaign) == [("payment", 400_00, 0, settled["payment_intent"])]
    assert totals_of(donation.campaign)["raised"] == 400_00
    assert thanks_heading(visit(f"/donations/{donation.token}/thanks")) == PAID_HEADING


def test_delayed_payment_that_fails_releases_the_shares(
    pending_donation, qurban_option, fake_stripe, visit, deliver
):
    donation = pending_donation(option=qurban_option, quantity=3, on_behalf=("A", "B", "C"))
    fake_stripe.complete_session(donation.provider_session_id, paid=False)
    assert reserved(qurban_option) == 3

    failed = fake_stripe.settle_session(donation.provider_session_id, succeeded=False)
    assert deliver("checkout.session.async_payment_failed", failed).status_code == 200
    assert deliver("checkout.session.async_payment_failed", failed).status_code == 200

    assert reloaded(donation).status == "failed"
    assert reserved(qurban_option) == 0
    assert entries_of(qurban_option.campaign) == []
    page = visit(f"/donations/{donation.token}/thanks")
    assert thanks_heading(page) == "Your payment did not go through"


# -- expiry ---------------------------------------------------------------------------------


def test_expired_checkout_expires_the_donation_and_releases_the_shares(
    pending_donation, qurban_option, fake_stripe, deliver
):
    donation = pending_donation(option=qurban_option, quantity=2, on_behalf=("Ali", "Can"))
    assert reserved(qurban_option) == 2

    expired = fake_stripe.expire_session(donation.provider_session_id)
    assert deliver("checkout.session.expired", expired).status_code == 200
    assert deliver("checkout.session.expired", expired).status_code == 200

    assert reloaded(donation).status == "expired"
    assert reserved(qurban_option) == 0
    assert totals_of(qurban_option.campaign) == NO_CHANGE


# -- refunds --------------------------------------------------------------------------------


@pytest.fixture
def paid_shares(pending_donation, qurban_option, fake_stripe, deliver):
    """Two Qurban shares (3,000.00 TRY, 2 units) paid and recorded; returns (donation,
    completed session)."""
    donation = pending_donation(option=qurban_option, quantity=2, on_behalf=("Ali", "Can"))
    session = fake_stripe.complete_session(donation.provider_session_id)
    assert deliver("checkout.session.completed", session).status_code == 200
    return donation, session


def test_partial_refund_then_the_rest(paid_shares, qurban_option, fake_stripe, deliver):
    donation, session = paid_shares
    campaign = donation.campaign
    intent = session["payment_intent"]

    first = fake_stripe.refund(payment_intent=intent, amount=1000_00)
    assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200

    assert reloaded(donation).status == "partially_refunded"
    assert reloaded(donation).refunded_amount == 1000_00
    assert totals_of(campaign) == {
        "raised": 2000_00,
        "units_funded": 2,
        "donations": 1,
        "donors": 1,
    }
    assert reserved(qurban_option) == 2

    rest = fake_stripe.refund(payment_intent=intent)
    assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200

    assert reloaded(donation).status == "refunded"
    assert totals_of(campaign) == {"raised": 0, "units_funded": 0, "donations": 1, "donors": 1}
    assert entries_of(campaign) == [
        ("payment", 3000_00, 2, intent),
        ("refund", -1000_00, 0, first["id"]),
        ("refund", -2000_00, -2, rest["id"]),
    ]
    assert reserved(qurban_option) == 0


def test_the_same_refund_event_twice_counts_once(paid_shares, fake_stripe, deliver):
    donation, session = paid_shares
    fake_stripe.refund(payment_intent=session["payment_intent"], amount=500_00)
    payload = deliver.payload("charge.refunded", charge_of(fake_stripe, session))

    assert deliver.post(payload).status_code == 200
    assert deliver.post(payload).status_code == 200
    # Stripe may also send the same news under a new event id.
    assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200

    assert totals_of(donation.campaign)["raised"] == 2500_00
    assert [e[0] for e in entries_of(donation.campaign)] == ["payment", "refund"]
    assert reloaded(donation).refunded_amount == 500_00


def receipts_of(donation: Donation) -> list[tuple[int, int, bool, int | None]]:
    """The donation's receipts in issue order: (id, amount, void?, id of the one replaced)."""
    db.session.expire_all()
    rows = db.session.scalars(
        select(Receipt).where(Receipt.donation_id == donation.id).order_by(Receipt.id)
    )
    return [(r.id, r.amount, r.voided_at is not None, r.replaces_id) for r in rows]


def announce_failed_refund(deliver, refund: dict) -> None:
    """Every event Stripe sends when a refund fails, each twice, and charge.refunded again."""
    for event_type in ("refund.failed", "refund.updated", "charge.refund.updated"):
        payload = deliver.payload(event_type, refund)
        assert deliver.post(payload).status_code == 200
        assert deliver.post(payload).status_code == 200


def test_a_refund_that_fails_after_succeeding_counts_the_gift_again(
    paid_shares, qurban_option, fake_stripe, deliver
):
    donation, session = paid_shares
    campaign, intent = donation.campaign, session["payment_intent"]
    first = fake_stripe.refund(payment_intent=intent, amount=1000_00)
    assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200
    rest = fake_stripe.refund(payment_intent=intent)
    assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200
    assert (reloaded(donation).status, reserved(qurban_option)) == ("refunded", 0)
    assert [receipt[2] for receipt in receipts_of(donation)] == [True, True]

    # The donor's bank sends the second refund back: the shares are paid for again.
    announce_failed_refund(deliver, fake_stripe.settle_refund(rest["id"], succeeded=False))
    assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200

    final = reloaded(donation)
    assert (final.status, final.refunded_amount) == ("partially_refunded", 1000_00)
    assert entries_of(campaign)[-1] == ("refund_failed", 2000_00, 2, f"{rest['id']}:failed")
    assert totals_of(campaign) == {
        "raised": 2000_00,
        "units_funded": 2,
        "donations": 1,
        "donors": 1,
    }
    assert reserved(qurban_option) == 2
    [_original, after_first, again] = receipts_of(donation)
    assert again[1:] == (2000_00, False, after_first[0])

    # Then the first refund fails too: the whole gift is kept, with one live receipt.
    announce_failed_refund(deliver, fake_stripe.settle_refund(first["id"], succeeded=False))
    final = reloaded(donation)
    assert (final.status, final.refunded_amount) == ("paid", 0)
    assert totals_of(campaign)["raised"] == 3000_00
    live = [receipt[1:] for receipt in receipts_of(donation) if not receipt[2]]
    assert live == [(3000_00, False, again[0])]
    assert len(entries_of(campaign)) == 5
    assert verify_totals(db.session) == []


def test_a_failed_refund_never_holds_shares_beyond_the_stock(
    paid_shares, qurban_option, fake_stripe, deliver
):
    donation, session = paid_shares
    refund = fake_stripe.refund(payment_intent=session["payment_intent"])
    assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200
    # Meanwhile every share is sold to other donors.
    db.session.get(DonationOption, qurban_option.id).reserved = 70
    db.session.commit()

    announce_failed_refund(deliver, fake_stripe.settle_refund(refund["id"], succeeded=False))

    assert reloaded(donation).status == "paid"
    assert totals_of(donation.campaign)["units_funded"] == 2
    assert reserved(qurban_option) == 70


def test_refund_arriving_before_checkout_completed_still_ends_right(
    pending_donation, fake_stripe, deliver
):
    donation = pending_donation(amount="300")
    session = fake_stripe.complete_session(donation.provider_session_id)
    refund = fake_stripe.refund(payment_intent=session["payment_intent"], amount=100_00)

    assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200
    assert deliver("checkout.session.completed", session).status_code == 200

    assert reloaded(donation).status == "partially_refunded"
    assert entries_of(donation.campaign) == [
        ("payment", 300_00, 0, session["payment_intent"]),
        ("refund", -100_00, 0, refund["id"]),
    ]
    assert totals_of(donation.campaign)["raised"] == 200_00


# -- disputes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("won", "status", "raised", "units"),
    [(True, "paid", 3000_00, 2), (False, "lost", 0, 0)],
)
def test_dispute_opened_then_closed(paid_shares, fake_stripe, deliver, won, status, raised, units):
    donation, session = paid_shares
    campaign = donation.campaign
    dispute = fake_stripe.create_dispute(charge_of(fake_stripe, session)["id"])

    assert deliver("charge.dispute.created", dispute).status_code == 200
    assert reloaded(donation).status == "disputed"
    assert totals_of(campaign)["raised"] == 0
    assert totals_of(campaign)["units_funded"] == 0

    closed = fake_stripe.close_dispute(dispute["id"], won=won)
    assert deliver("charge.dispute.closed", closed).status_code == 200
    assert deliver("charge.dispute.closed", closed).status_code == 200

    assert reloaded(donation).status == status
    assert totals_of(campaign) == {
        "raised": raised,
        "units_funded": units,
        "donations": 1,
        "donors": 1,
    }


@pytest.mark.parametrize(("won", "status", "raised"), [(True, "paid", 3000_00), (False, "lost", 0)])
def test_dispute_closed_arriving_before_created(
    paid_shares, fake_stripe, deliver, won, status, raised
):
    donation, session = paid_shares
    dispute = fake_stripe.create_dispute(charge_of(fake_stripe, session)["id"])
    closed = fake_stripe.close_dispute(dispute["id"], won=won)

    assert deliver("charge.dispute.closed", closed).status_code == 200
    assert deliver("charge.dispute.created", dispute).status_code == 200

    assert reloaded(donation).status == status
    assert totals_of(donation.campaign)["raised"] == raised
    kinds = [e[0] for e in entries_of(donation.campaign)]
    assert kinds == ["payment", "dispute"] + (["dispute_won"] if won else [])


# -- monthly gifts ------------------------------------------------------------------------


def test_first_monthly_payment_is_the_first_invoice(monthly_started, fake_stripe, deliver):
    donation, session = monthly_started

    assert deliver("checkout.session.completed", session).status_code == 200
    assert deliver("invoice.paid", fake_stripe.object(session["invoice"])).status_code == 200

    first = reloaded(donation)
    intent = invoice_payment_intent(fake_stripe, session["invoice"])
    assert first.status == "paid"
    assert first.provider_subscription_id == session["subscription"]
    assert first.provider_payment_id == intent
    assert entries_of(donation.campaign) == [("payment", 100_00, 0, intent)]


def test_each_later_instalment_is_its_own_paid_donation_counted_once(
    monthly_started, fake_stripe, deliver
):
    donation, session = monthly_started
    deliver("checkout.session.completed", session)

    invoice = fake_stripe.pay_next_invoice(session["subscription"])
    payload = deliver.payload("invoice.paid", invoice)
    assert deliver.post(payload).status_code == 200
    assert deliver.post(payload).status_code == 200
    assert deliver("invoice.paid", invoice).status_code == 200

    db.session.expire_all()
    [instalment] = db.session.scalars(select(Donation).where(Donation.parent_id == donation.id))
    intent = invoice_payment_intent(fake_stripe, invoice["id"])
    assert instalment.status == "paid"
    assert (instalment.amount, instalment.provider_payment_id) == (100_00, intent)
    assert instalment.token != donation.token
    assert [e[3] for e in entries_of(donation.campaign)] == [donation.provider_payment_id, intent]
    assert totals_of(donation.campaign) == {
        "raised": 200_00,
        "units_funded": 0,
        "donations": 2,
        "donors": 1,
    }


def test_first_invoice_paid_before_checkout_completed(monthly_started, fake_stripe, deliver):
    donation, session = monthly_started

    assert deliver("invoice.paid", fake_stripe.object(session["invoice"])).status_code == 200
    assert reloaded(donation).status == "paid"
    assert deliver("checkout.session.completed", session).status_code == 200

    assert len(entries_of(donation.campaign)) == 1
    assert totals_of(donation.campaign)["raised"] == 100_00
    assert reloaded(donation).provider_subscription_id == session["subscription"]


def test_cancelled_subscription_ends_the_monthly_gift(monthly_started, fake_stripe, deliver):
    donation, session = monthly_started
    deliver("checkout.session.completed", session)
    deliver("invoice.paid", fake_stripe.pay_next_invoice(session["subscription"]))

    cancelled = fake_stripe.cancel_subscription(session["subscription"])
    assert deliver("customer.subscription.deleted", cancelled).status_code == 200

    db.session.expire_all()
    gifts = db.session.scalars(select(Donation).order_by(Donation.id)).all()
    assert [g.subscription_ended_at is not None for g in gifts] == [True, False]
    assert [g.status for g in gifts] == ["paid", "paid"]
    assert totals_of(donation.campaign)["raised"] == 200_00


# -- any order of arrival ends in the same state -------------------------------------------

EVENTS = ("completed", "refunded", "dispute.created")
# Two shares (3,000.00 TRY) paid; 1,000.00 refunded; 2,000.00 disputed: open, won or lost.
FINAL = {
    None: ("disputed", {"raised": 0, "units_funded": 0, "donations": 1, "donors": 1}),
    "won": (
        "partially_refunded",
        {"raised": 2000_00, "units_funded": 2, "donations": 1, "donors": 1},
    ),
    "lost": ("lost", {"raised": 0, "units_funded": 0, "donations": 1, "donors": 1}),
}


def closed_before_created(order: tuple[str, ...]) -> tuple[str, ...]:
    """``order`` with the dispute's closing arriving just before its opening."""
    at = order.index("dispute.created")
    return (*order[:at], "dispute.closed", *order[at:])


@pytest.mark.parametrize(
    ("order", "closed"),
    [(order, None) for order in itertools.permutations(EVENTS)]
    + [
        (closed_before_created(order), closed)
        for closed in ("won", "lost")
        for order in itertools.permutations(EVENTS)
    ],
    ids=lambda value: "-".join(value) if isinstance(value, tuple) else str(value),
)
def test_any_order_of_arrival_ends_in_the_same_state(
    pending_donation, qurban_option, fake_stripe, deliver, order, closed
):
    donation = pending_donation(option=qurban_option, quantity=2, on_behalf=("Ali", "Can"))
    session = fake_stripe.complete_session(donation.provider_session_id)
    fake_stripe.refund(payment_intent=session["payment_intent"], amount=1000_00)
    charge = charge_of(fake_stripe, session)
    dispute = fake_stripe.create_dispute(charge["id"], amount=2000_00)
    events = {
        "completed": ("checkout.session.completed", session),
        "refunded": ("charge.refunded", charge),
        "dispute.created": ("charge.dispute.created", dispute),
    }
    if closed:
        settled = fake_stripe.close_dispute(dispute["id"], won=closed == "won")
        events["dispute.closed"] = ("charge.dispute.closed", settled)

    for name in order:
        assert deliver(*events[name]).status_code == 200

    status, totals = FINAL[closed]
    final = reloaded(donation)
    assert final.status == status
    assert final.refunded_amount == 1000_00
    assert totals_of(donation.campaign) == totals
    assert reserved(qurban_option) == 2
