"""Stripe Checkout. The only module that imports ``stripe``.

Objects from Stripe are read as the plain dicts of their JSON (``raw_request``: the SDK's
signing, retries, idempotency and errors, without building a ``StripeObject`` tree that
would only be turned back into dicts) and become the dataclasses of ``campaigns.payments``;
webhook payloads are only hints, handlers re-read objects here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote

import requests
import stripe

from campaigns.payments import (
    CHECKOUT_MINUTES,
    Checkout,
    CheckoutRequest,
    Dispute,
    Event,
    InvalidSignature,
    Invoice,
    ProviderError,
    Refund,
)

# Refuse webhook deliveries signed more than five minutes ago (replays), or more than five
# minutes ahead (a signature made for later replays; the SDK checks only the past).
SIGNATURE_TOLERANCE = 300
# Stripe measures expires_at from when the request arrives: a margin keeps an expiry of
# exactly 30 minutes (or 24 hours) inside its limits despite network time and retries.
EXPIRY_MARGIN = 120


def stripe_expires_at(when: datetime, now: float) -> int:
    """``when`` as Stripe's expires_at, moved inside the window it accepts. A session may
    so outlive its donation's expiry by the margin; reconcile expires it at Stripe first."""
    low, high = (minutes * 60 for minutes in CHECKOUT_MINUTES)
    earliest, latest = now + low + EXPIRY_MARGIN, now + high - EXPIRY_MARGIN
    return int(min(max(when.timestamp(), earliest), latest))


def _plain(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def stripe_client(secret_key: str, api_base: str | None = None) -> stripe.StripeClient:
    """The SDK's client for ``api_base`` (Stripe's own by default). Its HTTP session reads
    the proxy settings of the environment once, here, for that address: by default
    ``requests`` reads the whole environment again on every call (measured: a twentieth of
    a webhook's time in the worker)."""
    base = {"api": api_base.rstrip("/")} if api_base else None
    session = requests.Session()
    session.trust_env = False
    address = base["api"] if base else stripe.api_base
    http_client = stripe.RequestsClient(
        session=session, proxy=requests.utils.get_environ_proxies(address) or None
    )
    return stripe.StripeClient(
        secret_key, base_addresses=base, http_client=http_client, max_network_retries=2
    )


def _path(object_id: str) -> str:
    """An object id as one segment of an API path (as the SDK's services quote it)."""
    return quote(object_id, safe="")


def _id(value) -> str | None:
    """An expandable field: an id string, an expanded object, or None."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id")


def _checkout(data: dict) -> Checkout:
    metadata = data.get("metadata") or {}
    return Checkout(
        id=data["id"],
        url=data.get("url"),
        status=data.get("status") or "open",
        payment_status=data.get("payment_status") or "unpaid",
        amount_total=int(data.get("amount_total") or 0),
        currency=(data.get("currency") or "").upper(),
        reference=metadata.get("donation") or data.get("client_reference_id"),
        payment_id=_id(data.get("payment_intent")),
        subscription_id=_id(data.get("subscription")),
        invoice_id=_id(data.get("invoice")),
        created=datetime.fromtimestamp(data["created"], UTC) if data.get("created") else None,
    )


def _refund(data: dict) -> Refund:
    charge_id = _id(data.get("charge"))
    return Refund(
        id=data["id"],
        payment_id=_id(data.get("payment_intent")) or charge_id,
        charge_id=charge_id,
        amount=int(data["amount"]),
        currency=data["currency"].upper(),
        status=data.get("status") or "pending",
    )


def signed_at(signature: str) -> int:
    """The ``t=`` timestamp of a Stripe-Signature header the SDK has verified, read as the
    SDK reads it (so it is the one signed)."""
    items = [item.split("=", 2) for item in signature.split(",")]
    return int(next(item[1] for item in items if item[0] == "t"))


class StripeProvider:
    """Checkout Sessions in ``payment`` mode (``submit_type=donate``) or, for monthly
    gifts, ``subscription`` mode; the donation token travels in metadata."""

    name = "stripe"
    confirms_refunds_by_webhook = True

    def __init__(self, secret_key: str, webhook_secret: str | None, api_base: str | None = None):
        self.client = stripe_client(secret_key, api_base)
        self.webhook_secret = webhook_secret
        self.clock = time.time  # to keep expires_at inside Stripe's window

    def _call(self, method: str, path: str, params: dict | None = None, **options) -> dict:
        """One API request (``options``: the SDK's, e.g. ``idempotency_key``): the
        object's JSON as a dict; a Stripe error becomes ProviderError."""
        try:
            return self.client.raw_request(method, path, **(params or {}), **options).data
        except stripe.StripeError as error:
            raise ProviderError(error.user_message or str(error)) from error

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        metadata = {"donation": request.reference}
        price_data: dict = {
            "currency": request.currency.lower(),
            "unit_amount": request.unit_amount,
            "product_data": {"name": request.description},
        }
        params: dict = {
            "line_items": [{"price_data": price_data, "quantity": request.quantity}],
            "customer_email": request.email,
            "client_reference_id": request.reference,
            "metadata": metadata,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "locale": request.locale if request.locale in ("en", "tr") else "auto",
        }
        if request.expires_at is not None:
            params["expires_at"] = stripe_expires_at(request.expires_at, self.clock())
        if request.fee_cover:
            cover = price_data | {
                "unit_amount": request.fee_cover,
                "product_data": {"name": request.fee_cover_description},
            }
            params["line_items"].append({"price_data": cover, "quantity": 1})
        if request.monthly:
            for item in params["line_items"]:
                item["price_data"]["recurring"] = {"interval": "month"}
            params |= {"mode": "subscription", "subscription_data": {"metadata": metadata}}
        else:
            params |= {
                "mode": "payment",
                "submit_type": "donate",
                "payment_intent_data": {"metadata": metadata},
            }
        session = self._call(
            "post", "/v1/checkout/sessions", params, idempotency_key=request.idempotency_key
        )
        return _checkout(session)

    def retrieve_checkout(self, checkout_id: str) -> Checkout:
        return _checkout(self._call("get", f"/v1/checkout/sessions/{_path(checkout_id)}"))

    def list_checkouts(self, since: datetime) -> Iterator[Checkout]:
        params = {"created": {"gte": int(since.timestamp())}, "limit": 100}
        try:
            for session in self.client.v1.checkout.sessions.list(params).auto_paging_iter():
                yield _checkout(_plain(session))
        except stripe.StripeError as error:
            raise ProviderError(str(error)) from error

    def expire_checkout(self, checkout_id: str) -> Checkout:
        return _checkout(self._call("post", f"/v1/checkout/sessions/{_path(checkout_id)}/expire"))

    def refund(self, payment_id: str, amount: int, idempotency_key: str) -> Refund:
        refund = self._call(
            "post",
            "/v1/refunds",
            {"payment_intent": payment_id, "amount": amount},
            idempotency_key=idempotency_key,
        )
        return _refund(refund)

    def list_refunds(self, charge_id: str) -> list[Refund]:
        try:
            page = self.client.v1.refunds.list({"charge": charge_id, "limit": 100})
            return [_refund(_plain(r)) for r in page.auto_paging_iter()]
        except stripe.StripeError as error:
            raise ProviderError(str(error)) from error

    def retrieve_refund(self, refund_id: str) -> Refund:
        return _refund(self._call("get", f"/v1/refunds/{_path(refund_id)}"))

    def payment_reference(self, payment_id: str) -> str | None:
        intent = self._call("get", f"/v1/payment_intents/{_path(payment_id)}")
        return (intent.get("metadata") or {}).get("donation")

    def payment_invoice(self, payment_id: str) -> str | None:
        # Since 2025-03-31.basil only the invoice payment links a payment intent to its invoice.
        page = self._call(
            "get",
            "/v1/invoice_payments",
            {"payment": {"type": "payment_intent", "payment_intent": payment_id}, "limit": 1},
        )
        return next((_id(p.get("invoice")) for p in page.get("data", [])), None)

    def retrieve_dispute(self, dispute_id: str) -> Dispute:
        data = self._call("get", f"/v1/disputes/{_path(dispute_id)}")
        payment_id = _id(data.get("payment_intent"))
        if payment_id is None:
            charge = self._call("get", f"/v1/charges/{_path(_id(data['charge']))}")
            payment_id = _id(charge.get("payment_intent")) or charge["id"]
        return Dispute(
            id=data["id"],
            payment_id=payment_id,
            amount=int(data["amount"]),
            currency=data["currency"].upper(),
            status=data["status"],
        )

    def retrieve_invoice(self, invoice_id: str) -> Invoice:
        data = self._call("get", f"/v1/invoices/{_path(invoice_id)}")
        # Since API 2025-03-31.basil the subscription lives under parent.subscription_details.
        details = (data.get("parent") or {}).get("subscription_details") or {}
        return Invoice(
            id=data["id"],
            subscription_id=_id(details.get("subscription")),
            reference=(details.get("metadata") or {}).get("donation"),
            status=data.get("status") or "open",
            amount_paid=int(data.get("amount_paid") or 0),
            amount_due=int(data.get("amount_due") or 0),
            currency=(data.get("currency") or "").upper(),
            billing_reason=data.get("billing_reason"),
            payment_id=self._invoice_payment(invoice_id),
            hosted_invoice_url=data.get("hosted_invoice_url"),
        )

    def _invoice_payment(self, invoice_id: str) -> str | None:
        """The paid payment intent of an invoice (invoices stopped naming it in 2025-03-31)."""
        page = self._call("get", "/v1/invoice_payments", {"invoice": invoice_id, "limit": 10})
        for payment in page.get("data", []):
            if payment.get("status") == "paid":
                return _id((payment.get("payment") or {}).get("payment_intent"))
        return None

    def cancel_subscription(self, subscription_id: str) -> None:
        self._call("delete", f"/v1/subscriptions/{_path(subscription_id)}")

    def parse_event(self, payload: bytes, signature: str | None) -> Event:
        if not self.webhook_secret or not signature:
            raise InvalidSignature("missing signature or webhook secret")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, self.webhook_secret, SIGNATURE_TOLERANCE
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
            raise InvalidSignature(str(error)) from error
        if signed_at(signature) > time.time() + SIGNATURE_TOLERANCE:
            raise InvalidSignature("timestamp in the future")
        try:
            event = json.loads(payload)
            obj = event["data"]["object"]
            return Event(id=event["id"], type=event["type"], object_id=obj["id"])
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidSignature(f"malformed event: {error}") from error
