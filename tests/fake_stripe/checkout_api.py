"""Checkout Sessions, played by tests and served at ``/v1/checkout/sessions``."""

from __future__ import annotations

import copy

from . import checkout_objects, objects, params, payment_objects
from .billing_api import BillingApi
from .errors import StripeError
from .objects import DAY
from .store import Checkout


class CheckoutApi(BillingApi):
    """Checkout Sessions of ``FakeStripe``."""

    def redirect_success_url(self, session_id: str) -> str:
        """Where the hosted page sends the donor after paying: Stripe fills in
        ``{CHECKOUT_SESSION_ID}`` on redirect, the stored ``success_url`` keeps it."""
        with self._lock:
            session = self._get(session_id, "checkout.session")
            return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)

    def complete_session(self, session_id: str, *, paid: bool = True) -> dict:
        """The donor finishes the hosted page. Payment mode: a payment intent and its
        charge, succeeded, or with ``paid=False`` processing (a delayed method such as SEPA
        debit: ``settle_session`` decides later). Subscription mode: a customer, an active
        subscription and its first invoice, paid; the session names ``subscription`` and
        ``invoice`` but no ``payment_intent``. Returns the session."""
        with self._lock:
            session = self._get(session_id, "checkout.session")
            if session["status"] != "open":
                raise ValueError(f"{session_id} is {session['status']}, not open")
            if session["mode"] == "subscription" and not paid:
                raise ValueError("the fake delays payments in payment mode only")
            checkout = self._checkouts[session_id]
            session.update(
                status="complete",
                url=None,
                customer_details=checkout_objects.customer_details(session["customer_email"]),
            )
            if session["mode"] == "payment":
                self._pay(session, checkout, paid)
            else:
                self._subscribe(session, checkout)
            return copy.deepcopy(session)

    def settle_session(self, session_id: str, *, succeeded: bool) -> dict:
        """A delayed payment succeeds or fails (``checkout.session.async_payment_*``)."""
        with self._lock:
            session = self._get(session_id, "checkout.session")
            intent = self._objects.get(session["payment_intent"] or "")
            if intent is None or intent["status"] != "processing":
                raise ValueError(f"{session_id} has no payment processing")
            charge = self._objects[intent["latest_charge"]]
            payment_objects.settle_payment(intent, charge, succeeded=succeeded)
            if succeeded:
                session["payment_status"] = "paid"
            return copy.deepcopy(session)

    def expire_session(self, session_id: str) -> dict:
        """The session's time runs out (or the app expires it). Returns the session."""
        with self._lock:
            session = self._get(session_id, "checkout.session")
            if session["status"] != "open":
                raise StripeError(
                    f"Only Checkout Sessions with a status of `open` can be expired; "
                    f"{session_id} is `{session['status']}`."
                )
            session.update(status="expired", url=None)
            return copy.deepcopy(session)

    def _pay(self, session: dict, checkout: Checkout, paid: bool) -> None:
        intent_data = checkout.params.get("payment_intent_data", {})
        intent = self._store(
            payment_objects.payment_intent(
                amount=session["amount_total"],
                currency=session["currency"],
                metadata=dict(intent_data.get("metadata", {})),
                customer=None,
                now=self._now(),
            )
        )
        method = "card" if paid else "sepa_debit"
        charge = self._start_payment(intent, method, session["customer_email"])
        if paid:
            payment_objects.settle_payment(intent, charge, succeeded=True)
        session.update(payment_intent=intent["id"], payment_status="paid" if paid else "unpaid")

    # -- HTTP endpoints ------------------------------------------------------------------

    def _create_session(self, query: dict) -> dict:
        now = self._now()
        lines = params.session_lines(query, now)
        items = []
        for line in lines:
            product = self._store(objects.product(name=line.name, now=now))
            price = self._store(
                objects.price(
                    currency=line.currency,
                    unit_amount=line.unit_amount,
                    product_id=product["id"],
                    interval=line.interval,
                    now=now,
                )
            )
            items.append(
                checkout_objects.line_item(
                    price=price, quantity=line.quantity, description=line.name
                )
            )
        session_id = objects.new_id("cs_test_", 58)
        session = checkout_objects.checkout_session(
            session_id=session_id,
            params=query,
            amount=sum(item["amount_total"] for item in items),
            currency=lines[0].currency,
            url=f"{self.url}/pay/{session_id}",
            now=now,
            expires_at=int(query.get("expires_at", now + DAY)),
        )
        self._checkouts[session_id] = Checkout(params=query, line_items=items)
        return self._store(session)

    def _expire(self, query: dict, object_id: str) -> dict:
        params.refuse_unknown(query, set())
        return self.expire_session(object_id)

    def _line_items(self, query: dict, object_id: str) -> dict:
        params.refuse_unknown(query, set())
        session = self._get(object_id, "checkout.session")
        return self._includable(session, "line_items")
