"""Payment providers behind one interface (pretix's split: preparing a checkout moves no
money; fulfilment reads the provider's word and is done elsewhere).

Providers return the dataclasses below and import no models. ``stripe_provider`` is the
only module that imports ``stripe``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ProviderError(RuntimeError):
    """The provider could not be reached or refused the request; nothing was charged."""


class InvalidSignature(ValueError):
    """A webhook whose signature, secret or timestamp does not verify."""


@dataclass(frozen=True)
class CheckoutRequest:
    """What to ask the provider's hosted checkout for; amounts in minor units."""

    reference: str  # the donation's public token
    description: str
    unit_amount: int
    quantity: int
    currency: str
    monthly: bool
    email: str
    locale: str
    success_url: str  # carries {CHECKOUT_SESSION_ID}
    cancel_url: str
    idempotency_key: str
    # When the donation stops holding its stock; the checkout must not be payable after
    # it (the provider may close it a little later: the app asks it before releasing).
    expires_at: datetime | None = None
    # What the donor adds to cover the fees: a line of its own, charged with the gift
    # (and every month with a monthly gift).
    fee_cover: int = 0
    fee_cover_description: str = ""

    @property
    def amount_total(self) -> int:
        return self.unit_amount * self.quantity + self.fee_cover


@dataclass(frozen=True)
class Checkout:
    """A hosted checkout as the provider sees it now."""

    id: str
    url: str | None
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    amount_total: int
    currency: str  # upper case ISO code
    reference: str | None  # our donation token, from metadata
    payment_id: str | None = None  # payment intent (one-off gifts)
    subscription_id: str | None = None
    invoice_id: str | None = None  # first invoice (monthly gifts)
    created: datetime | None = None

    @property
    def paid(self) -> bool:
        return self.status == "complete" and self.payment_status == "paid"


@dataclass(frozen=True)
class Refund:
    id: str
    # The payment intent refunded and the charge that charge.refunded names (the demo's
    # payments are their own charges); both None for a refund of no payment, such as one
    # from a customer's cash balance. Refunds listed by charge always have both.
    payment_id: str | None
    charge_id: str | None
    amount: int
    currency: str
    status: str  # pending | succeeded | failed | canceled


@dataclass(frozen=True)
class Dispute:
    id: str
    payment_id: str
    amount: int
    currency: str
    status: str  # needs_response ... | won | lost


@dataclass(frozen=True)
class Invoice:
    id: str
    subscription_id: str | None
    reference: str | None  # donation token from the subscription's metadata
    status: str  # draft | open | paid | uncollectible | void
    amount_paid: int
    amount_due: int
    currency: str
    billing_reason: str | None
    payment_id: str | None = None  # the payment intent that paid it
    hosted_invoice_url: str | None = None


@dataclass(frozen=True)
class Event:
    """A verified webhook event: its id and type, and the id of the object it is about as
    a hint; handlers re-read the object from the provider."""

    id: str
    type: str
    object_id: str


class PaymentProvider(Protocol):
    name: str
    # Whether the provider tells of a refund's outcome by webhook (charge.refunded and
    # refund.updated). One that does not is read back right after asking for a refund.
    confirms_refunds_by_webhook: bool

    def create_checkout(self, request: CheckoutRequest) -> Checkout: ...

    def retrieve_checkout(self, checkout_id: str) -> Checkout: ...

    def list_checkouts(self, since: datetime) -> Iterator[Checkout]: ...

    def expire_checkout(self, checkout_id: str) -> Checkout: ...

    def refund(self, payment_id: str, amount: int, idempotency_key: str) -> Refund: ...

    def list_refunds(self, charge_id: str) -> list[Refund]: ...

    def retrieve_refund(self, refund_id: str) -> Refund: ...

    def payment_reference(self, payment_id: str) -> str | None:
        """The donation token the payment carries, if any (Stripe's monthly payments carry
        none: ``payment_invoice`` leads to theirs)."""
        ...

    def payment_invoice(self, payment_id: str) -> str | None:
        """The invoice the payment paid (a monthly gift's), or None."""
        ...

    def retrieve_dispute(self, dispute_id: str) -> Dispute: ...

    def retrieve_invoice(self, invoice_id: str) -> Invoice: ...

    def cancel_subscription(self, subscription_id: str) -> None: ...

    def parse_event(self, payload: bytes, signature: str | None) -> Event: ...


# Stripe's limits for a Checkout Session's expires_at, in minutes from its creation.
CHECKOUT_MINUTES = (30, 24 * 60)


def check_checkout_settings(config) -> None:
    """Refuse, in one line, an expiry Stripe would refuse or a hold limit below one."""
    low, high = CHECKOUT_MINUTES
    minutes = config.get("CHECKOUT_EXPIRES_MINUTES", low)
    if not isinstance(minutes, int) or not low <= minutes <= high:
        raise RuntimeError(
            f"Refusing to start: CHECKOUT_EXPIRES_MINUTES must be from {low} to {high} "
            f"(Stripe's limits), not {minutes!r}"
        )
    held = config.get("MAX_HELD_UNITS", 1)
    if not isinstance(held, int) or held < 1:
        raise RuntimeError(f"Refusing to start: MAX_HELD_UNITS must be 1 or more, not {held!r}")


def provider_from_config(config) -> PaymentProvider:
    """The provider the settings ask for: ``PAYMENT_PROVIDER``, else Stripe when a key is
    set, else the demo checkout served by the app itself. Checkout settings are checked
    first (``check_checkout_settings``)."""
    check_checkout_settings(config)
    name = config.get("PAYMENT_PROVIDER") or (
        "stripe" if config.get("STRIPE_SECRET_KEY") else "demo"
    )
    if name == "stripe":
        from campaigns.payments.stripe_provider import StripeProvider

        if not config.get("STRIPE_SECRET_KEY"):
            raise RuntimeError("PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY")
        return StripeProvider(
            config["STRIPE_SECRET_KEY"],
            config.get("STRIPE_WEBHOOK_SECRET"),
            config.get("STRIPE_API_BASE"),
        )
    if name == "demo":
        from campaigns.payments.demo_provider import DemoProvider

        return DemoProvider()
    raise RuntimeError(f"Unknown PAYMENT_PROVIDER {name!r}: use 'stripe' or 'demo'")
