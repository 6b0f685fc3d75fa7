"""POST /webhooks/stripe: signatures, storage by event id, duplicates, unknown types, events
that disagree with the donation, and database failures answered so Stripe retries."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from campaigns.extensions import db
from campaigns.models import Donation, OutboxMessage, Receipt
from campaigns.payments import ProviderError
from campaigns.services.giving import settlement, webhooks
from campaigns.services.giving.settlement import Outcome, fulfill_checkout
from tests.fake_stripe import signed_headers
from tests.payments_fixtures import (
    WEBHOOK_SECRET,
    entries_of,
    events_stored,
    reloaded,
    totals_of,
)
from tests.statements import statements_sent

NO_CHANGE = {"raised": 0, "units_funded": 0, "donations": 0, "donors": 0}


@pytest.fixture
def paid_session(pending_donation, fake_stripe):
    """A 250.00 TRY gift whose checkout Stripe reports paid; the app has not heard yet."""
    donation = pending_donation(amount="250")
    return donation, fake_stripe.complete_session(donation.provider_session_id)


def forged(payload: str) -> dict[str, tuple[dict[str, str], str]]:
    """Ways a delivery can fail to prove it comes from Stripe: (headers, body sent)."""
    signed = signed_headers(payload, WEBHOOK_SECRET)
    tampered = payload.replace('"livemode": false', '"livemode": true')
    assert tampered != payload
    return {
        "missing signature": ({"Content-Type": "application/json"}, payload),
        "wrong secret": (signed_headers(payload, "whsec_someone_else"), payload),
        "tampered body": (signed, tampered),
        "stale timestamp": (
            signed_headers(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 6 * 60),
            payload,
        ),
        "garbage signature": ({"Stripe-Signature": "t=1,v1=abc"}, payload),
        # A genuine signature made for later: kept, it could be replayed for hours.
        "future timestamp": (
            signed_headers(payload, WEBHOOK_SECRET, timestamp=int(time.time()) + 6 * 60),
            payload,
        ),
        "far future timestamp": (
            signed_headers(payload, WEBHOOK_SECRET, timestamp=int(time.time()) + 365 * 86400),
            payload,
        ),
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "missing signature",
        "wrong secret",
        "tampered body",
        "stale timestamp",
        "garbage signature",
        "future timestamp",
        "far future timestamp",
    ],
)
def test_unverified_delivery_is_refused_and_nothing_stored(paid_session, deliver, forgery):
    donation, session = paid_session
    payload = deliver.payload("checkout.session.completed", session)
    headers, body = forged(payload)[forgery]

    answer = deliver.post(body, headers)

    assert answer.status_code == 400
    assert events_stored() == []
    assert reloaded(donation).status == "pending"
    assert entries_of(donation.campaign) == []
    assert totals_of(donation.campaign) == NO_CHANGE


def test_signed_delivery_is_stored_raw_and_processed(paid_session, deliver):
    donation, session = paid_session
    payload = deliver.payload("checkout.session.completed", session)

    answer = deliver.post(payload)

    assert answer.status_code == 200
    [event] = events_stored()
    assert event.event_id == json.loads(payload)["id"]
    assert (event.provider, event.type) == ("stripe", "checkout.session.completed")
    assert event.payload == payload
    assert (event.object_id, event.donation_id) == (session["id"], donation.id)
    assert event.processed_at is not None
    assert event.error is None
    assert reloaded(donation).status == "paid"


def test_a_clock_a_little_ahead_is_accepted(paid_session, deliver):
    donation, session = paid_session
    payload = deliver.payload("checkout.session.completed", session)
    ahead = signed_headers(payload, WEBHOOK_SECRET, timestamp=int(time.time()) + 4 * 60)

    assert deliver.post(payload, ahead).status_code == 200
    assert reloaded(donation).status == "paid"


def test_duplicate_event_id_is_acknowledged_without_effect(paid_session, deliver):
    donation, session = paid_session
    payload = deliver.payload("checkout.session.completed", session)

    first = deliver.post(payload)
    again = deliver.post(payload)

    assert (first.status_code, first.json["result"]) == (200, "processed")
    assert (again.status_code, again.json["result"]) == (200, "duplicate")
    assert len(events_stored()) == 1
    assert len(entries_of(donation.campaign)) == 1
    assert totals_of(donation.campaign)["donations"] == 1


def test_unknown_event_type_is_acknowledged_and_stored(paid_session, deliver):
    donation, _session = paid_session
    customer = {"id": "cus_test_1", "object": "customer", "email": "donor@example.org"}

    answer = deliver("customer.created", customer)

    assert (answer.status_code, answer.json["result"]) == (200, "ignored")
    [event] = events_stored()
    assert event.type == "customer.created"
    assert (event.object_id, event.donation_id) == ("cus_test_1", None)
    assert event.processed_at is not None
    assert reloaded(donation).status == "pending"


@pytest.mark.parametrize(("field", "value"), [("amount", 300_00), ("currency", "EUR")])
def test_session_that_disagrees_with_the_donation_posts_no_payment(
    paid_session, deliver, visit, fake_stripe, field, value
):
    donation, session = paid_session
    # The donation changed after its checkout was opened: Stripe's 250.00 TRY no longer
    # matches what the donation says.
    setattr(donation, field, value)
    db.session.commit()

    assert deliver("checkout.session.completed", session).status_code == 200
    assert visit(fake_stripe.redirect_success_url(session["id"])).status_code == 200

    assert reloaded(donation).status == "pending"
    assert entries_of(donation.campaign) == []
    assert totals_of(donation.campaign) == NO_CHANGE


def test_event_about_someone_elses_session_changes_nothing(pending_donation, fake_stripe, deliver):
    ours = pending_donation()
    # A session made outside this app (another integration on the same Stripe account).
    foreign = fake_stripe.client().v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "try",
                        "unit_amount": 250_00,
                        "product_data": {"name": "Something else"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "http://localhost/elsewhere?session={CHECKOUT_SESSION_ID}",
            "metadata": {"donation": ours.token},
        }
    )
    paid = fake_stripe.complete_session(foreign.id)

    assert deliver("checkout.session.completed", paid).status_code == 200

    assert reloaded(ours).status == "pending"
    assert entries_of(ours.campaign) == []


def raise_locked(*_args):
    raise OperationalError("UPDATE donation ...", {}, Exception("database is locked"))


def test_database_failure_answers_5xx_and_the_redelivery_is_processed(
    paid_session, deliver, monkeypatch
):
    donation, session = paid_session
    payload = deliver.payload("checkout.session.completed", session)
    monkeypatch.setitem(webhooks.HANDLERS, "checkout.session.completed", raise_locked)

    failed = deliver.post(payload)

    assert failed.status_code == 503
    [event] = events_stored()
    assert event.processed_at is None
    assert "database is locked" in event.error
    assert reloaded(donation).status == "pending"
    assert entries_of(donation.campaign) == []

    monkeypatch.undo()
    retried = deliver.post(payload)

    assert (retried.status_code, retried.json["result"]) == (200, "processed")
    [event] = events_stored()
    assert event.processed_at is not None
    assert event.error is None
    assert reloaded(donation).status == "paid"
    assert len(entries_of(donation.campaign)) == 1


def raise_provider_down(_checkout_id):
    raise ProviderError("Stripe is not answering")


def test_provider_unreachable_answers_5xx_and_the_redelivery_is_processed(
    paid_session, deliver, stripe_provider, monkeypatch
):
    donation, session = paid_session
    payload = deliver.payload("checkout.session.completed", session)
    monkeypatch.setattr(stripe_provider, "retrieve_checkout", raise_provider_down)

    failed = deliver.post(payload)

    assert failed.status_code == 500
    [event] = events_stored()
    assert event.processed_at is None
    assert "Stripe is not answering" in event.error
    monkeypatch.undo()
    assert deliver.post(payload).json["result"] == "processed"
    assert reloaded(donation).status == "paid"


def test_a_payment_is_three_statements_on_postgresql_and_the_same_books_on_both(
    paid_session, deliver, is_postgres
):
    """PostgreSQL: the event's insert reads the gift it names (no second look-up after
    Stripe answers), the status change queues the thank-you, and the posting numbers the
    receipt. SQLite takes more statements to the same gift, entry, receipt and e-mail."""
    donation, session = paid_session
    payload = deliver.payload("checkout.session.completed", session)
    with statements_sent() as sent:
        answer = deliver.post(payload)

    assert (answer.status_code, answer.json["result"]) == (200, "processed")
    if is_postgres:
        assert len(sent) == 3
        assert not any(s.lstrip().startswith("SELECT") for s in sent)
    else:
        assert len(sent) > 3
    assert reloaded(donation).status == "paid"
    assert entries_of(donation.campaign) == [
        ("payment", 250_00, 0, reloaded(donation).provider_payment_id)
    ]
    assert totals_of(donation.campaign)["donations"] == 1
    [receipt] = db.session.scalars(select(Receipt).where(Receipt.donation_id == donation.id))
    [thanks] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.donation_id == donation.id)
    )
    assert thanks.key == f"thanks:{donation.token}"
    assert receipt.amount == 250_00


def test_the_thank_you_page_paying_while_the_webhook_waits_for_stripe_pays_once(
    app, paid_session, deliver, stripe_provider, settings, monkeypatch
):
    """The event's insert has read the gift, pending. While the handler waits for Stripe,
    the donor's thank-you page asks Stripe too and tries to pay it: it waits for the
    webhook's transaction (on PostgreSQL the event's row references the gift, and paying
    changes the gift's unique payment id; SQLite has one writer), then finds it paid. One
    entry, one receipt, one thank-you."""
    donation, session = paid_session
    payload = deliver.payload("checkout.session.completed", session)
    answer_stripe = stripe_provider.retrieve_checkout
    page_asked = threading.Event()
    page: list[Outcome] = []
    other: list[threading.Thread] = []

    def both_ask_stripe(checkout_id: str):
        if other:  # the page's own call
            page_asked.set()
            return answer_stripe(checkout_id)

        def pay() -> None:
            with app.app_context():
                page.append(fulfill_checkout(db.session, stripe_provider, settings, checkout_id))
                db.session.commit()
                db.session.remove()

        other.append(threading.Thread(target=pay))
        other[0].start()
        assert page_asked.wait(timeout=30)
        return answer_stripe(checkout_id)

    monkeypatch.setattr(stripe_provider, "retrieve_checkout", both_ask_stripe)

    answer = deliver.post(payload)
    other[0].join(timeout=30)

    assert (answer.status_code, answer.json["result"]) == (200, "processed")
    assert page == [Outcome.ALREADY]
    assert reloaded(donation).status == "paid"
    assert len(entries_of(donation.campaign)) == 1
    assert totals_of(donation.campaign)["donations"] == 1
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    [stored] = events_stored()
    assert stored.donation_id == donation.id


def test_a_gift_kept_from_the_event_is_read_again_after_a_commit(app_ctx, make_campaign):
    """``keep_read`` spares the handler a query in the event's own transaction only: once
    committed (expired), ``find_donation`` asks the database again."""
    campaign = make_campaign()
    gift = Donation(
        campaign=campaign, amount=100_00, currency="TRY", donor_name="A", donor_email="a@x.org"
    )
    gift.provider = "stripe"
    db.session.add(gift)
    db.session.commit()
    gift.campaign  # noqa: B018 - loaded, as the event's insert loads it
    settlement.keep_read(db.session, gift)
    assert settlement.find_donation(db.session, token=gift.token) is gift

    db.session.commit()
    db.session.execute(
        update(Donation).where(Donation.id == gift.id).values(donor_name="Changed elsewhere")
    )
    found = settlement.find_donation(db.session, token=gift.token)
    assert found.donor_name == "Changed elsewhere"
