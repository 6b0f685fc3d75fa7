"""``FakeStripe``: a Stripe-compatible HTTP server for tests and benchmarks.

The app talks to it with the real ``stripe`` SDK (``STRIPE_API_BASE`` = ``fake.url``); tests
play Stripe's part by calling its methods: ``complete_session``, ``refund``,
``create_dispute``, ``pay_next_invoice``... and build the matching webhook events with
``event``. Every request is recorded with its decoded parameters and headers.

Here: the server, its lifecycle, events, listing and retrieval, and the HTTP plumbing. Each
family of Stripe resources is a mixin ``FakeStripe`` inherits: ``checkout_api`` (Checkout
Sessions), ``billing_api`` (subscriptions, invoices), ``payments_api`` (refunds, disputes),
on ``store`` (the objects held, and expansion).
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
from .checkout_api import CheckoutApi
from .errors import StripeError, no_such
from .forms import decode_form
from .store import Checkout

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


class FakeStripe(CheckoutApi):
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
            self._checkouts: dict[str, Checkout] = {}
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

    # -- Stripe's part, played by tests ------------------------------------------------

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

    # -- HTTP endpoints: each takes decoded params (and path parts), returns an object ----

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
