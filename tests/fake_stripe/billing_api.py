"""Subscriptions and their invoices, played by tests and served at ``/v1/subscriptions/<id>``."""

from __future__ import annotations

import copy

from . import billing_objects, objects, params, payment_objects
from .errors import StripeError
from .payments_api import PaymentsApi
from .store import Checkout


class BillingApi(PaymentsApi):
    """Subscriptions and invoices of ``FakeStripe``."""

    def cancel_subscription(self, subscription_id: str) -> dict:
        """End a subscription now (``customer.subscription.deleted``)."""
        with self._lock:
            subscription = self._get(subscription_id, "subscription")
            if subscription["status"] == "canceled":
                raise StripeError(f"Subscription {subscription_id} is already canceled.")
            now = self._now()
            subscription.update(
                status="canceled", canceled_at=now, ended_at=now, cancel_at_period_end=False
            )
            subscription["cancellation_details"]["reason"] = "cancellation_requested"
            return copy.deepcopy(subscription)

    def pay_next_invoice(self, subscription_id: str) -> dict:
        """The next monthly instalment is billed and paid (``invoice.paid``). Returns it."""
        return self._next_invoice(subscription_id, succeeded=True)

    def fail_next_invoice(self, subscription_id: str) -> dict:
        """The next monthly instalment is billed and its payment declined
        (``invoice.payment_failed``); the subscription goes ``past_due``. Returns it."""
        return self._next_invoice(subscription_id, succeeded=False)

    def _subscribe(self, session: dict, checkout: Checkout) -> None:
        customer = self._store(objects.customer(email=session["customer_email"], now=self._now()))
        subscription = self._store(
            billing_objects.subscription(
                customer=customer["id"],
                items=[(item["price"], item["quantity"]) for item in checkout.line_items],
                metadata=dict(checkout.params.get("subscription_data", {}).get("metadata", {})),
                now=self._now(),
            )
        )
        invoice = self._bill(subscription, "subscription_create", succeeded=True)
        session.update(
            customer=customer["id"],
            subscription=subscription["id"],
            invoice=invoice["id"],
            payment_status="paid",
        )

    def _next_invoice(self, subscription_id: str, *, succeeded: bool) -> dict:
        with self._lock:
            subscription = self._get(subscription_id, "subscription")
            if subscription["status"] not in ("active", "past_due"):
                raise ValueError(f"{subscription_id} is {subscription['status']}")
            for item in subscription["items"]["data"]:
                start = item["current_period_end"]
                item.update(current_period_start=start, current_period_end=start + objects.MONTH)
            invoice = self._bill(subscription, "subscription_cycle", succeeded=succeeded)
            return copy.deepcopy(invoice)

    def _bill(self, subscription: dict, billing_reason: str, *, succeeded: bool) -> dict:
        """Invoice the current period, charge the customer, and record the attempt."""
        now = self._now()
        customer = self._objects[subscription["customer"]]
        invoice = self._store(
            billing_objects.invoice(
                subscription=subscription,
                customer=customer,
                billing_reason=billing_reason,
                descriptions=[self._describe(item) for item in subscription["items"]["data"]],
                hosted_url=f"{self.url}/invoice/{{id}}",
                now=now,
            )
        )
        customer["next_invoice_sequence"] += 1
        intent = self._store(
            payment_objects.payment_intent(
                amount=invoice["amount_due"],
                currency=invoice["currency"],
                metadata={},
                customer=customer["id"],
                now=now,
            )
        )
        charge = self._start_payment(intent, "card", customer["email"])
        payment_objects.settle_payment(intent, charge, succeeded=succeeded)
        payment = self._store(
            billing_objects.invoice_payment(invoice=invoice, intent_id=intent["id"], now=now)
        )
        billing_objects.settle_invoice(invoice, payment, succeeded=succeeded, now=now)
        subscription.update(
            latest_invoice=invoice["id"],
            status="active" if succeeded else "past_due",
            default_payment_method=charge["payment_method"],
        )
        return invoice

    def _describe(self, item: dict) -> str:
        price = item["price"]
        name = self._objects[price["product"]]["name"]
        amount = f"{price['unit_amount'] / 100:.2f} {price['currency'].upper()}"
        return f"{item['quantity']} × {name} (at {amount} / month)"

    # -- HTTP endpoints ------------------------------------------------------------------

    def _update_subscription(self, query: dict, object_id: str) -> dict:
        params.refuse_unknown(query, {"cancel_at_period_end", "metadata"})
        subscription = self._get(object_id, "subscription")
        if subscription["status"] == "canceled":
            raise StripeError(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        if "cancel_at_period_end" in query:
            at_end = params.boolean(query["cancel_at_period_end"], "cancel_at_period_end")
            period_end = max(i["current_period_end"] for i in subscription["items"]["data"])
            subscription.update(
                cancel_at_period_end=at_end, cancel_at=period_end if at_end else None
            )
        # Stripe deletes a metadata key sent with an empty value.
        for key, value in params.metadata(query.get("metadata", {})).items():
            if value:
                subscription["metadata"][key] = value
            else:
                subscription["metadata"].pop(key, None)
        return subscription

    def _cancel(self, query: dict, object_id: str) -> dict:
        params.refuse_unknown(query, set())
        return self.cancel_subscription(object_id)
