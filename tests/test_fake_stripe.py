"""The fake Stripe server, driven through the real stripe SDK as the app drives it."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests
import stripe

from tests.fake_stripe import signed_headers
from tests.fake_stripe.forms import decode_form

SUCCESS_URL = "http://localhost/donations/tok/thanks?session_id={CHECKOUT_SESSION_ID}"
WEBHOOK_SECRET = "whsec_test_fake"


@pytest.fixture
def sdk(fake_stripe) -> stripe.StripeClient:
    return fake_stripe.client()


def payment_params(**overrides) -> dict:
    """Two 1,500.00 TRY Qurban shares, as the app asks for them."""
    price_data = {
        "currency": "try",
        "unit_amount": 150000,
        "product_data": {"name": "Qurban share"},
    }
    return {
        "mode": "payment",
        "submit_type": "donate",
        "line_items": [{"price_data": price_data, "quantity": 2}],
        "success_url": SUCCESS_URL,
        "cancel_url": "http://localhost/campaigns/qurban",
        "customer_email": "donor@example.org",
        "client_reference_id": "tok",
        "metadata": {"donation": "tok"},
        "payment_intent_data": {"metadata": {"donation": "tok"}},
    } | overrides


def subscription_params() -> dict:
    price_data = {
        "currency": "try",
        "unit_amount": 5000,
        "product_data": {"name": "Monthly gift"},
        "recurring": {"interval": "month"},
    }
    return {
        "mode": "subscription",
        "line_items": [{"price_data": price_data, "quantity": 1}],
        "success_url": SUCCESS_URL,
        "customer_email": "donor@example.org",
        "client_reference_id": "monthly",
        "metadata": {"donation": "monthly"},
        "subscription_data": {"metadata": {"donation": "monthly"}},
    }


def test_form_keys_decode_into_nested_dicts_and_lists():
    encoded = (
        "line_items[0][price_data][unit_amount]=500&line_items[0][quantity]=1"
        "&line_items[1][quantity]=3&expand[]=payment_intent&expand[]=invoice"
        "&metadata[donation]=a+b&created[gte]=10"
    )

    assert decode_form(encoded) == {
        "line_items": [{"price_data": {"unit_amount": "500"}, "quantity": "1"}, {"quantity": "3"}],
        "expand": ["payment_intent", "invoice"],
        "metadata": {"donation": "a b"},
        "created": {"gte": "10"},
    }


def test_create_payment_session_records_what_the_sdk_sent(fake_stripe, sdk):
    session = sdk.v1.checkout.sessions.create(payment_params(), {"idempotency_key": "donation-1"})

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status, session.livemode) == ("open", "unpaid", False)
    assert (session.amount_total, session.amount_subtotal, session.currency) == (
        300000,
        300000,
        "try",
    )
    assert session.url == f"{fake_stripe.url}/pay/{session.id}"
    assert session.success_url == SUCCESS_URL
    assert session.payment_intent is None
    assert session.metadata.to_dict() == {"donation": "tok"}
    assert session.expires_at - session.created == 24 * 3600

    (request,) = fake_stripe.calls("POST", "/v1/checkout/sessions")
    price_data = request.params["line_items"][0]["price_data"]
    assert (price_data["unit_amount"], price_data["currency"]) == ("150000", "try")
    assert request.params["payment_intent_data"] == {"metadata": {"donation": "tok"}}
    assert request.idempotency_key == "donation-1"
    assert request.headers["Stripe-Version"] == stripe.api_version
    assert request.headers["Authorization"] == f"Bearer {fake_stripe.api_key}"


def test_hosted_page_and_redirect_url(fake_stripe, sdk):
    session = sdk.v1.checkout.sessions.create(payment_params())

    page = requests.get(session.url, timeout=5)

    assert page.status_code == 200
    assert session.id in page.text
    assert fake_stripe.redirect_success_url(session.id) == (
        f"http://localhost/donations/tok/thanks?session_id={session.id}"
    )


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("1500.50"), "Invalid integer: 1500.50"),
        (-100, "greater than or equal to 1"),
        (0, "greater than or equal to 1"),
        (100_000_000, "less than or equal to 99999999"),
    ],
)
def test_amount_not_a_positive_whole_number_of_minor_units_is_refused(
    fake_stripe, sdk, amount, message
):
    params = payment_params()
    params["line_items"][0]["price_data"]["unit_amount"] = amount

    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.checkout.sessions.create(params)

    assert refused.value.http_status == 400
    assert refused.value.param == "line_items[0][price_data][unit_amount]"
    assert message in refused.value.user_message
    assert refused.value.json_body["error"]["type"] == "invalid_request_error"
    assert sdk.v1.checkout.sessions.list().data == []


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"success_url": "http://localhost/thanks"}, "success_url"),
        ({"customer_email": "not-an-address"}, "customer_email"),
        ({"subscription_data": {"metadata": {"donation": "tok"}}}, "subscription_data"),
        ({"coupon": "FREE"}, "coupon"),
    ],
)
def test_session_parameters_stripe_would_refuse_are_refused(sdk, overrides, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.checkout.sessions.create(payment_params(**overrides))

    assert refused.value.param == param


def test_completed_payment_has_a_succeeded_intent_and_charge(fake_stripe, sdk):
    session = sdk.v1.checkout.sessions.create(payment_params())

    fake_stripe.complete_session(session.id)
    paid = sdk.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["payment_intent.latest_charge", "line_items"]}
    )

    assert (paid.status, paid.payment_status, paid.url) == ("complete", "paid", None)
    assert paid.customer_details.email == "donor@example.org"
    intent = paid.payment_intent
    assert intent.id.startswith("pi_")
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 300000, "try")
    assert intent.metadata.to_dict() == {"donation": "tok"}
    charge = intent.latest_charge
    assert charge.id.startswith("ch_")
    assert (charge.paid, charge.status, charge.amount_captured) == (True, "succeeded", 300000)
    assert paid.line_items.data[0].quantity == 2
    assert paid.line_items.data[0].price.unit_amount == 150000


def test_expanding_a_property_that_is_not_an_id_is_refused(sdk):
    session = sdk.v1.checkout.sessions.create(payment_params())

    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.checkout.sessions.retrieve(session.id, {"expand": ["success_url"]})

    assert refused.value.param == "expand"


@pytest.mark.parametrize(
    ("succeeded", "payment_status", "intent_status"),
    [(True, "paid", "succeeded"), (False, "unpaid", "requires_payment_method")],
)
def test_delayed_payment_is_processing_until_settled(
    fake_stripe, sdk, succeeded, payment_status, intent_status
):
    session = sdk.v1.checkout.sessions.create(payment_params())

    pending = fake_stripe.complete_session(session.id, paid=False)
    processing = sdk.v1.payment_intents.retrieve(pending["payment_intent"])
    settled = fake_stripe.settle_session(session.id, succeeded=succeeded)

    assert (pending["status"], pending["payment_status"]) == ("complete", "unpaid")
    assert processing.status == "processing"
    assert settled["payment_status"] == payment_status
    assert sdk.v1.payment_intents.retrieve(pending["payment_intent"]).status == intent_status


def test_subscription_session_has_the_basil_shapes(fake_stripe, sdk):
    session = sdk.v1.checkout.sessions.create(subscription_params())

    fake_stripe.complete_session(session.id)
    paid = sdk.v1.checkout.sessions.retrieve(session.id, {"expand": ["subscription", "invoice"]})

    assert paid.payment_status == "paid"
    assert paid.payment_intent is None
    assert paid.customer.startswith("cus_")
    assert paid.subscription.id.startswith("sub_")
    assert paid.subscription.status == "active"
    assert paid.subscription.metadata.to_dict() == {"donation": "monthly"}
    invoice = paid.invoice.to_dict()
    assert invoice["id"].startswith("in_")
    assert (invoice["status"], invoice["amount_paid"], invoice["billing_reason"]) == (
        "paid",
        5000,
        "subscription_create",
    )
    assert invoice["parent"]["subscription_details"] == {
        "metadata": {"donation": "monthly"},
        "subscription": paid.subscription.id,
    }
    assert not {"payment_intent", "charge", "paid", "subscription"} & invoice.keys()
    (payment,) = sdk.v1.invoice_payments.list({"invoice": invoice["id"]}).data
    assert payment.id.startswith("inpay_")
    assert (payment.status, payment.amount_paid) == ("paid", 5000)
    assert sdk.v1.payment_intents.retrieve(payment.payment.payment_intent).status == "succeeded"


def test_monthly_instalments_are_new_invoices(fake_stripe, sdk):
    session = sdk.v1.checkout.sessions.create(subscription_params())
    first = fake_stripe.complete_session(session.id)

    second = fake_stripe.pay_next_invoice(first["subscription"])
    third = fake_stripe.fail_next_invoice(first["subscription"])

    assert len({first["invoice"], second["id"], third["id"]}) == 3
    assert (second["status"], second["billing_reason"], second["amount_paid"]) == (
        "paid",
        "subscription_cycle",
        5000,
    )
    assert (third["status"], third["amount_paid"], third["amount_remaining"]) == ("open", 0, 5000)
    assert (
        second["lines"]["data"][0]["period"]["end"] == third["lines"]["data"][0]["period"]["start"]
    )
    subscription = sdk.v1.subscriptions.retrieve(first["subscription"])
    assert (subscription.status, subscription.latest_invoice) == ("past_due", third["id"])
    payments = sdk.v1.invoices.retrieve(second["id"], {"expand": ["payments"]}).payments
    assert [p.status for p in payments.data] == ["paid"]


def test_invoice_payments_are_found_by_their_payment_intent(fake_stripe, sdk):
    session = sdk.v1.checkout.sessions.create(subscription_params())
    first = fake_stripe.complete_session(session.id)
    second = fake_stripe.pay_next_invoice(first["subscription"])
    (paid,) = sdk.v1.invoice_payments.list({"invoice": second["id"]}).data
    by_intent = {"type": "payment_intent", "payment_intent": paid.payment.payment_intent}

    found = sdk.v1.invoice_payments.list({"payment": by_intent})
    every = sdk.v1.invoice_payments.list({"payment": {"type": "payment_intent"}})

    assert [p.id for p in found.data] == [paid.id]
    assert found.data[0].invoice == second["id"]
    assert {p.invoice for p in every.data} == {first["invoice"], second["id"]}


@pytest.mark.parametrize(
    ("filters", "param"),
    [
        ({"payment": {"payment_intent": "pi_x"}}, "payment[type]"),
        ({"payment": {"type": "payment_record"}}, "payment[type]"),
        (
            {"payment": {"type": "payment_intent", "payment_record": "pr_x"}},
            "payment[payment_record]",
        ),
        ({"payment": "pi_x"}, "payment"),
        ({"invoice": {"id": "in_x"}}, "invoice"),
        ({"status": "paid"}, "status"),
    ],
)
def test_invoice_payment_filters_the_fake_does_not_honour_are_refused(sdk, filters, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.invoice_payments.list(filters)

    assert (refused.value.http_status, refused.value.param) == (400, param)


def test_subscription_cancels_at_period_end_or_now(fake_stripe, sdk):
    session = sdk.v1.checkout.sessions.create(subscription_params())
    subscription_id = fake_stripe.complete_session(session.id)["subscription"]

    later = sdk.v1.subscriptions.update(subscription_id, {"cancel_at_period_end": True})
    now = sdk.v1.subscriptions.cancel(subscription_id)

    assert later.cancel_at_period_end is True
    assert later.cancel_at == later["items"].data[0].current_period_end
    assert (now.status, now.cancellation_details.reason) == ("canceled", "cancellation_requested")
    assert now.ended_at is not None


def test_list_pages_newest_first_and_filters(fake_stripe, sdk):
    fake_stripe.clock = lambda: time.time() - 4 * 24 * 3600
    old = sdk.v1.checkout.sessions.create(payment_params())
    fake_stripe.clock = time.time
    recent = [sdk.v1.checkout.sessions.create(payment_params()).id for _ in range(5)]
    fake_stripe.expire_session(recent[0])

    first_page = sdk.v1.checkout.sessions.list({"limit": 2})
    since_72h = {"created": {"gte": int(time.time()) - 72 * 3600}, "limit": 2}
    everything_recent = sdk.v1.checkout.sessions.list(since_72h).auto_paging_iter()
    open_ones = sdk.v1.checkout.sessions.list({"status": "open", "limit": 100})

    assert first_page.has_more is True
    assert [s.id for s in first_page.data] == recent[:-3:-1]
    assert [s.id for s in everything_recent] == recent[::-1]
    assert {s.id for s in open_ones.data} == {old.id, *recent[1:]}
    assert len(fake_stripe.calls("GET", "/v1/checkout/sessions")) == 5


def test_only_open_sessions_expire(fake_stripe, sdk):
    session = sdk.v1.checkout.sessions.create(payment_params())

    expired = sdk.v1.checkout.sessions.expire(session.id)
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.checkout.sessions.expire(session.id)

    assert (expired.status, expired.url) == ("expired", None)
    with pytest.raises(ValueError, match="expired"):
        fake_stripe.complete_session(session.id)


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        (29 * 60, "must be at least 30 minutes from Checkout Session creation"),
        (24 * 3600 + 60, "must be less than 24 hours from Checkout Session creation"),
    ],
    ids=["under-30-minutes", "over-24-hours"],
)
def test_expires_at_outside_stripes_window_is_refused_as_stripe_does(sdk, seconds, message):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.checkout.sessions.create(payment_params(expires_at=int(time.time()) + seconds))

    error = refused.value
    assert (error.http_status, error.param, error.code) == (400, "expires_at", None)
    assert message in error.user_message
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert sdk.v1.checkout.sessions.list().data == []  # nothing was created


def test_expires_at_inside_the_window_is_kept(sdk):
    expires_at = int(time.time()) + 45 * 60

    session = sdk.v1.checkout.sessions.create(payment_params(expires_at=expires_at))

    assert session.expires_at == expires_at


def test_a_request_waits_in_on_request_while_others_are_answered(fake_stripe, sdk):
    entered, release = threading.Event(), threading.Event()

    def hold(method: str, path: str) -> None:
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            entered.set()
            release.wait(10)

    fake_stripe.on_request = hold
    created: list = []
    creating = threading.Thread(
        target=lambda: created.append(sdk.v1.checkout.sessions.create(payment_params()))
    )
    creating.start()
    assert entered.wait(10)

    listed = sdk.v1.checkout.sessions.list({"limit": 1})  # not held behind the waiting one

    assert (listed.data, created) == ([], [])
    release.set()
    creating.join(10)
    assert created[0].status == "open"


def test_partial_refunds_then_the_rest_then_nothing_more(fake_stripe, sdk):
    session = sdk.v1.checkout.sessions.create(payment_params())
    intent_id = fake_stripe.complete_session(session.id)["payment_intent"]
    charge_id = fake_stripe.object(intent_id)["latest_charge"]

    partial = sdk.v1.refunds.create({"payment_intent": intent_id, "amount": 50000})
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        sdk.v1.refunds.create({"payment_intent": intent_id, "amount": 250001})
    rest = sdk.v1.refunds.create({"charge": charge_id})
    with pytest.raises(stripe.InvalidRequestError) as again:
        sdk.v1.refunds.create({"charge": charge_id, "amount": 1})

    assert partial.id.startswith("re_")
    assert (partial.amount, partial.charge, partial.status) == (50000, charge_id, "succeeded")
    assert (too_much.value.http_status, too_much.value.param) == (400, "amount")
    assert too_much.value.code == "amount_too_large"
    assert rest.amount == 250000
    assert again.value.code == "charge_already_refunded"
    charge = sdk.v1.charges.retrieve(charge_id)
    assert (charge.amount_refunded, charge.refunded) == (300000, True)
    listed = sdk.v1.refunds.list({"charge": charge_id})
    assert [r.id for r in listed.data] == [rest.id, partial.id]
    assert sdk.v1.refunds.retrieve(partial.id).amount == 50000


def test_pending_refunds_succeed_or_fail_later(fake_stripe, sdk):
    session = sdk.v1.checkout.sessions.create(payment_params())
    intent_id = fake_stripe.complete_session(session.id)["payment_intent"]
    charge_id = fake_stripe.object(intent_id)["latest_charge"]

    first = fake_stripe.refund(payment_intent=intent_id, amount=100000, pending=True)
    second = fake_stripe.refund(charge=charge_id, amount=50000, pending=True)
    assert sdk.v1.refunds.retrieve(first["id"]).status == "pending"
    assert sdk.v1.charges.retrieve(charge_id).amount_refunded == 150000

    succeeded = fake_stripe.settle_refund(first["id"], succeeded=True)
    failed = fake_stripe.settle_refund(second["id"], succeeded=False)

    assert succeeded["status"] == "succeeded"
    assert (failed["status"], failed["failure_reason"]) == ("failed", "declined")
    listed = sdk.v1.refunds.list({"charge": charge_id}).data
    assert [(r.id, r.status) for r in listed] == [
        (second["id"], "failed"),
        (first["id"], "succeeded"),
    ]
    charge = sdk.v1.charges.retrieve(charge_id)
    assert (charge.amount_refunded, charge.refunded) == (100000, False)
    with pytest.raises(ValueError, match="is succeeded; it cannot change now"):
        fake_stripe.settle_refund(first["id"], succeeded=True)
    with pytest.raises(ValueError, match="is failed; it cannot change now"):
        fake_stripe.settle_refund(second["id"], succeeded=False)
    # A refund that succeeded can still fail later (the donor's account closed, say).
    assert fake_stripe.settle_refund(first["id"], succeeded=False)["status"] == "failed"
    charge = sdk.v1.charges.retrieve(charge_id)
    assert (charge.amount_refunded, charge.refunded) == (0, False)


def test_disputes_are_won_or_lost(fake_stripe, sdk):
    sessions = [sdk.v1.checkout.sessions.create(payment_params()) for _ in range(2)]
    charges = [
        fake_stripe.object(fake_stripe.complete_session(s.id)["payment_intent"])["latest_charge"]
        for s in sessions
    ]

    disputes = [fake_stripe.create_dispute(charge_id) for charge_id in charges]
    won = fake_stripe.close_dispute(disputes[0]["id"], won=True)
    lost = fake_stripe.close_dispute(disputes[1]["id"], won=False)

    assert disputes[0]["id"].startswith("dp_")
    assert (disputes[0]["status"], disputes[0]["amount"]) == ("needs_response", 300000)
    assert (won["status"], lost["status"]) == ("won", "lost")
    assert sdk.v1.disputes.retrieve(lost["id"]).status == "lost"
    assert sdk.v1.charges.retrieve(charges[0]).disputed is True


def test_same_idempotency_key_replays_the_first_answer(fake_stripe, sdk):
    first = sdk.v1.checkout.sessions.create(payment_params(), {"idempotency_key": "donation-7"})
    again = sdk.v1.checkout.sessions.create(payment_params(), {"idempotency_key": "donation-7"})

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(sdk.v1.checkout.sessions.list().data) == 1


def test_same_idempotency_key_with_other_parameters_is_refused(sdk):
    sdk.v1.checkout.sessions.create(payment_params(), {"idempotency_key": "donation-8"})

    with pytest.raises(stripe.IdempotencyError) as refused:
        sdk.v1.checkout.sessions.create(
            payment_params(client_reference_id="other"), {"idempotency_key": "donation-8"}
        )

    assert refused.value.http_status == 400
    assert "donation-8" in refused.value.user_message
    assert len(sdk.v1.checkout.sessions.list().data) == 1


def test_concurrent_retries_with_one_key_create_one_session(fake_stripe):
    def create(_):
        # One client per thread, as separate app workers would have.
        client = fake_stripe.client()
        return client.v1.checkout.sessions.create(
            payment_params(), {"idempotency_key": "donation-9"}
        ).id

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = set(pool.map(create, range(20)))

    assert len(ids) == 1
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 20
    assert [s.id for s in fake_stripe.client().v1.checkout.sessions.list().data] == list(ids)


def test_wrong_or_missing_api_key_is_401(fake_stripe):
    wrong = stripe.StripeClient("sk_test_wrong", base_addresses={"api": fake_stripe.url})

    with pytest.raises(stripe.AuthenticationError) as refused:
        wrong.v1.checkout.sessions.list()
    missing = requests.get(f"{fake_stripe.url}/v1/checkout/sessions", timeout=5)

    assert refused.value.http_status == 401
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "invalid_request_error"


def test_unknown_routes_and_ids_are_stripe_shaped_404s(fake_stripe, sdk):
    route = requests.get(
        f"{fake_stripe.url}/v1/coupons",
        headers={"Authorization": f"Bearer {fake_stripe.api_key}"},
        timeout=5,
    )
    with pytest.raises(stripe.InvalidRequestError) as unknown_id:
        sdk.v1.checkout.sessions.retrieve("cs_test_missing")

    assert route.status_code == 404
    assert route.json() == {
        "error": {
            "type": "invalid_request_error",
            "message": "Unrecognized request URL (GET: /v1/coupons).",
        }
    }
    assert unknown_id.value.http_status == 404
    assert unknown_id.value.code == "resource_missing"


def test_signed_event_verifies_and_a_tampered_one_does_not(fake_stripe, sdk):
    session = sdk.v1.checkout.sessions.create(payment_params())
    event = fake_stripe.event(
        "checkout.session.completed", fake_stripe.complete_session(session.id)
    )
    payload = json.dumps(event)
    header = signed_headers(payload, WEBHOOK_SECRET)["Stripe-Signature"]
    stale = signed_headers(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)

    verified = stripe.Webhook.construct_event(payload, header, WEBHOOK_SECRET)

    assert verified.id.startswith("evt_")
    assert (verified.type, verified.api_version) == (
        "checkout.session.completed",
        stripe.api_version,
    )
    assert (verified.livemode, verified.object) == (False, "event")
    assert verified.data.object.id == session.id
    assert sdk.v1.events.retrieve(verified.id).type == "checkout.session.completed"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.replace("300000", "1"), header, WEBHOOK_SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, stale["Stripe-Signature"], WEBHOOK_SECRET)
