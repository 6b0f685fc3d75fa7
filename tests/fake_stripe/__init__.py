"""A Stripe-compatible server of the project's own, for tests and benchmarks.

with FakeStripe() as fake:                      # or the ``fake_stripe`` fixture
    app.config["STRIPE_API_BASE"] = fake.url
    ... the app creates a Checkout Session with the real SDK ...
    session = fake.complete_session(session_id)
    payload = json.dumps(fake.event("checkout.session.completed", session))
    client.post("/webhooks/stripe", data=payload, headers=signed_headers(payload, secret))
"""

from .errors import StripeError
from .server import FakeStripe, RecordedRequest
from .webhooks import signed_headers

__all__ = ["FakeStripe", "RecordedRequest", "StripeError", "signed_headers"]
