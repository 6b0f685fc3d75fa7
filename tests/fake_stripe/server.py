"""``FakeStripe``: a Stripe-compatible HTTP server for tests and benchmarks.

The app talks to it with the real ``stripe`` SDK (``STRIPE_API_BASE`` = ``fake.url``); tests
play Stripe's part by calling its methods: ``complete_session``, ``refund``,
``create_dispute``, ``pay_next_invoice``... and build the matching webhook events with
``event``. Every request is recorded with its decoded parameters and headers.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import stripe

from . import objects, params
from .errors import StripeError, no_such
from .forms import decode_form
from .objects import DAY

# URL collection -> the ``object`` value of what it holds.
_COLLECTIONS = {
    "charges": "charge",
    "checkout/sessions": "checkout.session",
    "customers": "customer",
    "disputes": "dispute",
    "events": "event",
    "invoice_payments": "invoice_payment",
    "invoices": "invoice",
    "payment_intents": "payment_intent",
    "prices": "price",
    "products": "product",
    "refunds": "refund",
    "subscriptions": "subscription",
}
# Listable collections and the fields they filter on.
_LIST_FILTERS = {
    "checkout/sessions": {"customer", "payment_intent", "status", "subscription"},
    "invoice_payments": {"invoice", "payment"},
    "refunds": {"charge", "payment_intent"},
}
_LATEST = 2**32  # the largest timestamp a ``created`` filter may name
_ID = r"(?P<object_id>[A-Za-z0-9_]+)"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it; header names in ``Title-Case``."""

    method: str
    path: str
    params: dict
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


@dataclass
class _Checkout:
    """What a session was created with and Stripe keeps out of the session object."""

    params: dict
    line_items: list[dict]


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, payload: dict, headers: dict[str, str] | None = None) -> _Response:
    return _Response(
        status,
        json.dumps(payload, indent=2).encode(),
        {"Content-Type": "application/json", "Request-Id": objects.new_id("req_", 14)}
        | (headers or {}),
    )


class FakeStripe:
    """Stripe's API for Checkout Sessions, refunds, disputes and subscriptions, kept in
    memory behind one lock; ``start()`` serves it on ``host`` (a free port by default)."""

    def __init__(
        self, api_key: str = "sk_test_fake_stripe", host: str = "127.0.0.1", port: int = 0
    ):
        self.api_key = api_key
        self._address = (host, port)
        self._lock = threading.RLock()
        self._httpd: _Server | None = None
        self._routes: list[tuple[str, re.Pattern, Callable[..., dict]]] = [
            ("POST", re.compile(r"/v1/checkout/sessions"), self._create_session),
            ("POST", re.compile(rf"/v1/checkout/sessions/{_ID}/expire"), self._expire),
            ("GET", re.compile(rf"/v1/checkout/sessions/{_ID}/line_items"), self._line_items),
            ("POST", re.compile(r"/v1/refunds"), self._create_refund),
            ("POST", re.compile(rf"/v1/subscriptions/{_ID}"), self._update_subscription),
            ("DELETE", re.compile(rf"/v1/subscriptions/{_ID}"), self._cancel),
            ("GET", re.compile(r"/v1/(?P<collection>[a-z_]+(?:/sessions)?)"), self._list),
            (
                "GET",
                re.compile(rf"/v1/(?P<collection>[a-z_]+(?:/sessions)?)/{_ID}"),
                self._retrieve,
            ),
        ]
        self.reset()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeStripe:
        """Serve in a daemon thread; ``url`` is known once this returns."""
        self._httpd = _Server(self._address, _Handler)
        self._httpd.fake = self
        # A short poll keeps stop() quick.
        serve = partial(self._httpd.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, name="fake-stripe", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API base, e.g. ``http://127.0.0.1:54321``: give it to ``STRIPE_API_BASE``."""
        if self._httpd is None:
            raise RuntimeError("FakeStripe is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget every object, recorded request and idempotency key; restore the clock."""
        with self._lock:
            self._objects: dict[str, dict] = {}
            self._checkouts: dict[str, _Checkout] = {}
            self._idempotent: dict[str, tuple[tuple, _Response]] = {}
            self.requests: list[RecordedRequest] = []
            # Tests may replace it to create objects in the past (reconcile windows).
            self.clock: Callable[[], float] = time.time
            # Called with (method, path) on the server's thread before each request is
            # handled, outside the fake's lock: a test blocks it on a threading.Event, the
            # benchmark sleeps there (Stripe's latency), other requests go on meanwhile.
            self.on_request: Callable[[str, str], None] | None = None

    def client(self) -> stripe.StripeClient:
        """The real SDK's client pointed at this server."""
        return stripe.StripeClient(self.api_key, base_addresses={"api": self.url})

    # -- what tests read -----------------------------------------------------------------

    def calls(self, method: str, path: str) -> list[RecordedRequest]:
        """The recorded requests to one endpoint, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def object(self, object_id: str) -> dict:
        """A copy of any object the fake holds, by id."""
        with self._lock:
            if object_id not in self._objects:
                raise KeyError(object_id)
            return copy.deepcopy(self._objects[object_id])

    def redirect_success_url(self, session_id: str) -> str:
        """Where the hosted page sends the donor after paying: Stripe fills in
        ``{CHECKOUT_SESSION_ID}`` on redirect, the stored ``success_url`` keeps it."""
        with self._lock:
            session = self._get(session_id, "checkout.session")
            return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)

    # -- Stripe's part, played by tests ------------------------------------------------

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
                customer_details=objects.customer_details(session["customer_email"]),
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
            objects.settle_payment(intent, charge, succeeded=succeeded)
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

    def refund(
        self,
        *,
        payment_intent: str | None = None,
        charge: str | None = None,
        amount: int | None = None,
        reason: str | None = None,
        metadata: dict | None = None,
        pending: bool = False,
    ) -> dict:
        """Refund all or part of what is left of a succeeded charge (named directly or by
        its payment intent), as ``POST /v1/refunds`` or the Dashboard does. With
        ``pending=True`` the refund waits on the bank (``settle_refund`` decides later);
        the charge counts it as refunded meanwhile, as Stripe's does. Returns the refund."""
        with self._lock:
            paid = self._refundable_charge(payment_intent, charge)
            remaining = paid["amount"] - paid["amount_refunded"]
            if remaining == 0:
                raise StripeError(
                    f"Charge {paid['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            amount = remaining if amount is None else amount
            if amount > remaining:
                raise StripeError(
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                    f"({remaining})",
                    param="amount",
                    code="amount_too_large",
                )
            refund = self._store(
                objects.refund(
                    charge=paid,
                    amount=amount,
                    reason=reason,
                    metadata=metadata or {},
                    status="pending" if pending else "succeeded",
                    now=self._now(),
                )
            )
            self._add_refunded(paid, amount)
            return copy.deepcopy(refund)

    def settle_refund(self, refund_id: str, *, succeeded: bool) -> dict:
        """A pending refund goes through, or fails and its amount returns to the charge
        (``refund.updated``, ``charge.refund.updated``, and ``refund.failed`` when it
        fails). A refund that succeeded can still fail later, as when the donor's bank
        account has closed and the bank sends the money back. Returns the refund."""
        with self._lock:
            refund = self._get(refund_id, "refund")
            settled = "pending" if succeeded else ("pending", "succeeded")
            if refund["status"] not in settled:
                raise ValueError(f"{refund_id} is {refund['status']}; it cannot change now")
            if succeeded:
                refund["status"] = "succeeded"
            else:
                refund.update(status="failed", failure_reason="declined")
                self._add_refunded(self._objects[refund["charge"]], -refund["amount"])
            return copy.deepcopy(refund)

    def create_dispute(
        self, charge_id: str, amount: int | None = None, reason: str = "fraudulent"
    ) -> dict:
        """The donor's bank disputes a succeeded charge (``charge.dispute.created``)."""
        with self._lock:
            charge = self._get(charge_id, "charge")
            if charge["status"] != "succeeded":
                raise ValueError(f"{charge_id} is {charge['status']}; only payments are disputed")
            charge["disputed"] = True
            dispute = objects.dispute(
                charge=charge,
                amount=charge["amount"] if amount is None else amount,
                reason=reason,
                now=self._now(),
            )
            return copy.deepcopy(self._store(dispute))

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict:
        """The bank decides (``charge.dispute.closed``): ``won`` or ``lost``."""
        with self._lock:
            dispute = self._get(dispute_id, "dispute")
            if dispute["status"] in ("won", "lost"):
                raise ValueError(f"{dispute_id} is already {dispute['status']}")
            dispute["status"] = "won" if won else "lost"
            return copy.deepcopy(dispute)

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

    def event(self, type: str, obj: dict, previous_attributes: dict | None = None) -> dict:
        """A Stripe event about ``obj`` (a dict this fake returned), ready for
        ``json.dumps`` and ``signed_headers``; also retrievable at ``/v1/events/<id>``."""
        with self._lock:
            built = objects.event(
                type=type,
                obj=copy.deepcopy(obj),
                previous_attributes=previous_attributes,
                now=self._now(),
            )
            return copy.deepcopy(self._store(built))

    # -- state -------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self.clock())

    def _store(self, obj: dict) -> dict:
        self._objects[obj["id"]] = obj
        return obj

    def _get(self, object_id: str, object_type: str, param: str = "id") -> dict:
        obj = self._objects.get(object_id)
        if obj is None or obj["object"] != object_type:
            raise no_such(object_type, object_id, param)
        return obj

    def _start_payment(self, intent: dict, method: str, email: str | None) -> dict:
        """A charge attempt on ``intent``, pending until ``objects.settle_payment``."""
        charge = self._store(
            objects.charge(intent=intent, method=method, email=email, now=self._now())
        )
        intent.update(
            status="processing",
            latest_charge=charge["id"],
            payment_method=charge["payment_method"],
            processing={"type": method},
        )
        return charge

    def _pay(self, session: dict, checkout: _Checkout, paid: bool) -> None:
        intent_data = checkout.params.get("payment_intent_data", {})
        intent = self._store(
            objects.payment_intent(
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
            objects.settle_payment(intent, charge, succeeded=True)
        session.update(payment_intent=intent["id"], payment_status="paid" if paid else "unpaid")

    def _subscribe(self, session: dict, checkout: _Checkout) -> None:
        customer = self._store(objects.customer(email=session["customer_email"], now=self._now()))
        subscription = self._store(
            objects.subscription(
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
            objects.invoice(
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
            objects.payment_intent(
                amount=invoice["amount_due"],
                currency=invoice["currency"],
                metadata={},
                customer=customer["id"],
                now=now,
            )
        )
        charge = self._start_payment(intent, "card", customer["email"])
        objects.settle_payment(intent, charge, succeeded=succeeded)
        payment = self._store(
            objects.invoice_payment(invoice=invoice, intent_id=intent["id"], now=now)
        )
        objects.settle_invoice(invoice, payment, succeeded=succeeded, now=now)
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

    @staticmethod
    def _add_refunded(charge: dict, amount: int) -> None:
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]

    def _refundable_charge(self, payment_intent: str | None, charge: str | None) -> dict:
        if (payment_intent is None) == (charge is None):
            raise StripeError("You must pass exactly one of `charge` or `payment_intent`.")
        if payment_intent is not None:
            intent = self._get(payment_intent, "payment_intent", "payment_intent")
            if intent["status"] != "succeeded":
                raise StripeError(
                    f"This PaymentIntent ({payment_intent}) does not have a successful charge "
                    "to refund.",
                    param="payment_intent",
                )
            return self._objects[intent["latest_charge"]]
        paid = self._get(charge, "charge", "charge")
        if paid["status"] != "succeeded":
            raise StripeError(
                f"Charge {charge} has not succeeded; it cannot be refunded.", param="charge"
            )
        return paid

    # -- expansion ---------------------------------------------------------------------

    def _expand(self, obj: dict, paths: object) -> dict:
        """Replace ids by the objects they name (``expand[]=payment_intent.latest_charge``,
        ``expand[]=data.subscription`` on lists), and include ``line_items`` or
        ``payments`` on request, as Stripe does."""
        if paths in (None, ""):
            return obj
        if not isinstance(paths, list):
            raise StripeError("Invalid array", param="expand")
        for path in paths:
            self._expand_path(obj, str(path).split("."), str(path))
        return obj

    def _expand_path(self, obj: dict, segments: list[str], path: str) -> None:
        head, rest = segments[0], segments[1:]
        if obj.get("object") == "list" and head == "data":
            for item in obj["data"]:
                if rest:
                    self._expand_path(item, rest, path)
            return
        value = self._includable(obj, head)
        if value is None:
            if head not in obj:
                raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
            value = obj[head]
            if isinstance(value, str) and value in self._objects:
                value = copy.deepcopy(self._objects[value])
            elif value is not None and not isinstance(value, dict):
                raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
        obj[head] = value
        if rest and value is not None:
            self._expand_path(value, rest, path)

    def _includable(self, obj: dict, field_name: str) -> dict | None:
        """Lists Stripe leaves out unless asked for."""
        if obj.get("object") == "checkout.session" and field_name == "line_items":
            items = copy.deepcopy(self._checkouts[obj["id"]].line_items)
            return objects.list_object(f"/v1/checkout/sessions/{obj['id']}/line_items", items)
        if obj.get("object") == "invoice" and field_name == "payments":
            payments = [
                copy.deepcopy(o)
                for o in self._objects.values()
                if o["object"] == "invoice_payment" and o["invoice"] == obj["id"]
            ]
            return objects.list_object(f"/v1/invoice_payments?invoice={obj['id']}", payments)
        return None

    # -- HTTP endpoints: each takes decoded params (and path parts), returns an object ----

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
                objects.line_item(price=price, quantity=line.quantity, description=line.name)
            )
        session_id = objects.new_id("cs_test_", 58)
        session = objects.checkout_session(
            session_id=session_id,
            params=query,
            amount=sum(item["amount_total"] for item in items),
            currency=lines[0].currency,
            url=f"{self.url}/pay/{session_id}",
            now=now,
            expires_at=int(query.get("expires_at", now + DAY)),
        )
        self._checkouts[session_id] = _Checkout(params=query, line_items=items)
        return self._store(session)

    def _expire(self, query: dict, object_id: str) -> dict:
        params.refuse_unknown(query, set())
        return self.expire_session(object_id)

    def _line_items(self, query: dict, object_id: str) -> dict:
        params.refuse_unknown(query, set())
        session = self._get(object_id, "checkout.session")
        return self._includable(session, "line_items")

    def _create_refund(self, query: dict) -> dict:
        params.refuse_unknown(query, {"amount", "charge", "metadata", "payment_intent", "reason"})
        reason = query.get("reason")
        if reason is not None and reason not in params.REFUND_REASONS:
            raise StripeError(f"Invalid reason: {reason}", param="reason")
        return self.refund(
            payment_intent=query.get("payment_intent"),
            charge=query.get("charge"),
            amount=params.integer(query["amount"], "amount") if "amount" in query else None,
            reason=reason,
            metadata=params.metadata(query.get("metadata", {})),
        )

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

    def _retrieve(self, query: dict, collection: str, object_id: str) -> dict:
        if collection not in _COLLECTIONS:
            raise _unrecognized("GET", f"/v1/{collection}/{object_id}")
        params.refuse_unknown(query, set())
        return self._get(object_id, _COLLECTIONS[collection])

    def _list(self, query: dict, collection: str) -> dict:
        if collection not in _LIST_FILTERS:
            raise _unrecognized("GET", f"/v1/{collection}")
        filters = _LIST_FILTERS[collection]
        params.refuse_unknown(query, filters | {"created", "limit", "starting_after"})
        limit = params.integer(query.get("limit", "10"), "limit", maximum=100)
        low, high = _created_window(query.get("created"))
        wanted = {name: params.list_filter(name, query[name]) for name in filters & query.keys()}
        candidates = [
            obj
            for obj in reversed(self._objects.values())
            if obj["object"] == _COLLECTIONS[collection]
            and all(_matches(obj[name], value) for name, value in wanted.items())
            and low <= obj["created"] <= high
        ]
        # Newest first, as Stripe lists; within one second, the later created first.
        matches = sorted(candidates, key=lambda obj: obj["created"], reverse=True)
        if "starting_after" in query:
            ids = [obj["id"] for obj in matches]
            if query["starting_after"] not in ids:
                raise no_such(_COLLECTIONS[collection], query["starting_after"], "starting_after")
            matches = matches[ids.index(query["starting_after"]) + 1 :]
        return objects.list_object(
            f"/v1/{collection}", matches[:limit], has_more=len(matches) > limit
        )

    # -- HTTP plumbing -----------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: str) -> _Response:
        """Answer one HTTP request (called by the server's threads, one at a time after
        ``on_request``)."""
        split = urlsplit(target)
        headers = {name.title(): value for name, value in headers.items()}
        hook = self.on_request
        if hook is not None:
            hook(method, split.path)
        with self._lock:
            try:
                query = decode_form(split.query) | decode_form(body)
                self.requests.append(
                    RecordedRequest(method, split.path, copy.deepcopy(query), headers)
                )
                hosted = re.fullmatch(rf"/(pay|invoice)/{_ID}", split.path)
                if method == "GET" and hosted:
                    return self._hosted_page(hosted["object_id"])
                self._authenticate(headers.get("Authorization"))
                return self._dispatch(method, split.path, query, headers.get("Idempotency-Key"))
            except StripeError as error:
                return _json(error.status, error.body())
            except Exception as error:
                # A bug in the fake: say so in the SDK's exception rather than drop the line.
                failure = StripeError(
                    f"fake Stripe failed: {error!r}", status=500, type="api_error"
                )
                return _json(500, failure.body(), {"Stripe-Should-Retry": "false"})

    def _authenticate(self, authorization: str | None) -> None:
        if not authorization or not authorization.startswith("Bearer "):
            raise StripeError(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
                status=401,
            )
        key = authorization.removeprefix("Bearer ")
        if key != self.api_key:
            raise StripeError(f"Invalid API Key provided: {key[:8]}****{key[-4:]}", status=401)

    def _dispatch(self, method: str, path: str, query: dict, key: str | None) -> _Response:
        # Stripe replays a key's first answer when the same request comes again, and
        # refuses the key for a different request.
        fingerprint = (method, path, query)
        if method == "POST" and key in self._idempotent:
            first, response = self._idempotent[key]
            if first != fingerprint:
                raise StripeError(
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                    type="idempotency_error",
                )
            return _Response(
                response.status, response.body, response.headers | {"Idempotent-Replayed": "true"}
            )
        for route_method, pattern, endpoint in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                query = copy.deepcopy(query)
                expand = query.pop("expand", None)
                result = self._expand(copy.deepcopy(endpoint(query, **match.groupdict())), expand)
                response = _json(200, result)
                if method == "POST" and key:
                    self._idempotent[key] = (fingerprint, response)
                return response
        raise _unrecognized(method, path)

    def _hosted_page(self, object_id: str) -> _Response:
        """A stand-in for checkout.stripe.com and invoice.stripe.com: enough to follow a link."""
        obj = self._objects.get(object_id)
        if obj is None or obj["object"] not in ("checkout.session", "invoice"):
            return _Response(
                404, b"<!doctype html><title>Not found</title>", {"Content-Type": "text/html"}
            )
        page = (
            "<!doctype html><meta charset='utf-8'><title>Fake Stripe (TEST)</title>"
            f"<h1>Fake Stripe (TEST)</h1><p>{escape(obj['object'])} {escape(object_id)}</p>"
        )
        return _Response(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})


def _unrecognized(method: str, path: str) -> StripeError:
    return StripeError(f"Unrecognized request URL ({method}: {path}).", status=404)


def _matches(value: object, wanted: str | dict) -> bool:
    """Whether an object's field passes a list filter; a nested filter names some of the
    nested fields (``payment[type]`` alone lists every payment of that type)."""
    if isinstance(wanted, dict):
        return isinstance(value, dict) and all(value.get(k) == v for k, v in wanted.items())
    return value == wanted


def _created_window(condition: object) -> tuple[int, int]:
    """``created=<ts>`` or ``created[gte]=<ts>`` and friends, as inclusive bounds."""
    if condition is None:
        return 0, _LATEST
    if not isinstance(condition, dict):
        exact = params.integer(condition, "created", minimum=0, maximum=_LATEST)
        return exact, exact
    params.refuse_unknown(condition, {"gt", "gte", "lt", "lte"}, "created")
    bound = {
        name: params.integer(value, f"created[{name}]", minimum=0, maximum=_LATEST)
        for name, value in condition.items()
    }
    low = max(bound.get("gte", 0), bound.get("gt", -1) + 1)
    high = min(bound.get("lte", _LATEST), bound.get("lt", _LATEST + 1) - 1)
    return low, high


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops bursts of connections (20 concurrent
    # webhook handlers re-reading a session), and the kernel retries them after a second.
    request_queue_size = 128
    fake: FakeStripe


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's requests session expects
    # Headers and body go out in two writes: without this, Nagle's algorithm and delayed
    # ACKs hold each answer back by 40 ms.
    disable_nagle_algorithm = True

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        response = self.server.fake.handle(self.command, self.path, dict(self.headers), body)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args) -> None:
        """Quiet: tests read ``FakeStripe.requests`` instead of a log."""
