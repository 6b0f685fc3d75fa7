"""The demo provider: a hosted checkout served by the app itself, marked TEST everywhere.

It keeps its "remote" state in its own tables (standing in for Stripe's servers), so it
works across workers; the demo checkout pages (campaigns/demo_checkout) play the donor's
part and then call the same fulfilment services the Stripe webhook calls.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    String,
    Table,
    insert,
    select,
    update,
)

from campaigns.extensions import db
from campaigns.payments import (
    Checkout,
    CheckoutRequest,
    Dispute,
    Event,
    InvalidSignature,
    Invoice,
    ProviderError,
    Refund,
)

demo_checkout = Table(
    "demo_checkout",
    db.metadata,
    Column("id", String(64), primary_key=True),
    Column("reference", String(64), nullable=False, index=True),
    Column("description", String(300), nullable=False),
    Column("amount_total", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("monthly", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("payment_status", String(20), nullable=False),
    Column("payment_id", String(64), unique=True),
    Column("subscription_id", String(64)),
    Column("invoice_id", String(64)),
    Column("success_url", String(1000), nullable=False),
    Column("cancel_url", String(1000), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False, index=True),
    # Null only for checkouts made before expiry existed: those never expire by time.
    Column("expires_at", DateTime(timezone=True)),
)

demo_refund = Table(
    "demo_refund",
    db.metadata,
    Column("id", String(64), primary_key=True),
    Column("payment_id", String(64), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)


def _new_id(prefix: str) -> str:
    return f"demo_{prefix}_{secrets.token_hex(12)}"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _checkout(row) -> Checkout:
    return Checkout(
        id=row.id,
        url=f"/demo-checkout/{row.id}",
        status=row.status,
        payment_status=row.payment_status,
        amount_total=row.amount_total,
        currency=row.currency,
        reference=row.reference,
        payment_id=None if row.monthly else row.payment_id,
        subscription_id=row.subscription_id,
        invoice_id=row.invoice_id,
        created=_aware(row.created),
    )


def _refund(row) -> Refund:
    # The demo has no separate charges: a payment id stands for its charge. Its refunds
    # succeed at once.
    return Refund(row.id, row.payment_id, row.payment_id, row.amount, row.currency, "succeeded")


class DemoProvider:
    """Test payments without Stripe; refused by the production config."""

    name = "demo"
    # The demo sends no webhooks: its refunds are read back as soon as they are asked for.
    confirms_refunds_by_webhook = False

    def __init__(self) -> None:
        # As Stripe's clock: a checkout open past its expires_at is expired (tests move it).
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def session(self):
        return db.session

    def _row(self, checkout_id: str):
        query = select(demo_checkout).where(demo_checkout.c.id == checkout_id)
        row = self.session.execute(query).first()
        if row is None:
            raise ProviderError(f"No such demo checkout: {checkout_id}")
        if row.status == "open" and row.expires_at and _aware(row.expires_at) <= self.clock():
            # Its time ran out, as Stripe expires a session at its expires_at.
            self._set(checkout_id, status="expired")
            row = self.session.execute(query).first()
        return row

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        checkout_id = _new_id("cs")
        self.session.execute(
            insert(demo_checkout).values(
                id=checkout_id,
                reference=request.reference,
                description=request.description,
                amount_total=request.amount_total,
                currency=request.currency,
                monthly=request.monthly,
                status="open",
                payment_status="unpaid",
                success_url=request.success_url.replace("{CHECKOUT_SESSION_ID}", checkout_id),
                cancel_url=request.cancel_url,
                created=self.clock(),
                expires_at=request.expires_at,
            )
        )
        return self.retrieve_checkout(checkout_id)

    def retrieve_checkout(self, checkout_id: str) -> Checkout:
        return _checkout(self._row(checkout_id))

    def urls(self, checkout_id: str) -> tuple[str, str]:
        """Where the demo page sends the donor after paying, and after cancelling."""
        row = self._row(checkout_id)
        return row.success_url, row.cancel_url

    def list_checkouts(self, since: datetime) -> Iterator[Checkout]:
        rows = self.session.execute(select(demo_checkout).where(demo_checkout.c.created >= since))
        for row in rows:
            yield _checkout(row)

    def _set(self, checkout_id: str, **values) -> bool:
        """Change an open checkout; a checkout past its expiry can only expire."""
        still_open = [demo_checkout.c.id == checkout_id, demo_checkout.c.status == "open"]
        if values.get("status") != "expired":
            still_open.append(
                demo_checkout.c.expires_at.is_(None) | (demo_checkout.c.expires_at > self.clock())
            )
        return bool(
            self.session.execute(update(demo_checkout).where(*still_open).values(**values)).rowcount
        )

    def pay(self, checkout_id: str) -> None:
        """The donor pressed Pay on the demo page."""
        monthly = self._row(checkout_id).monthly
        self._set(
            checkout_id,
            status="complete",
            payment_status="paid",
            payment_id=_new_id("pi"),
            subscription_id=_new_id("sub") if monthly else None,
            invoice_id=_new_id("in") if monthly else None,
        )

    def decline(self, checkout_id: str) -> None:
        """The donor pressed Decline: the payment fails, as a delayed one can."""
        self._set(checkout_id, status="complete", payment_status="unpaid")

    def expire_checkout(self, checkout_id: str) -> Checkout:
        self._set(checkout_id, status="expired")
        return self.retrieve_checkout(checkout_id)

    def refund(self, payment_id: str, amount: int, idempotency_key: str) -> Refund:
        row = self.session.execute(
            select(demo_checkout).where(demo_checkout.c.payment_id == payment_id)
        ).first()
        refunded = sum(r.amount for r in self.list_refunds(payment_id))
        if row is None or amount <= 0 or refunded + amount > row.amount_total:
            raise ProviderError("Refund exceeds what remains of this payment")
        refund_id = _new_id("re")
        self.session.execute(
            insert(demo_refund).values(
                id=refund_id,
                payment_id=payment_id,
                amount=amount,
                currency=row.currency,
                created=datetime.now(UTC),
            )
        )
        return self.retrieve_refund(refund_id)

    def list_refunds(self, charge_id: str) -> list[Refund]:
        rows = self.session.execute(
            select(demo_refund).where(demo_refund.c.payment_id == charge_id)
        )
        return [_refund(row) for row in rows]

    def retrieve_refund(self, refund_id: str) -> Refund:
        row = self.session.execute(select(demo_refund).where(demo_refund.c.id == refund_id)).first()
        if row is None:
            raise ProviderError(f"No such demo refund: {refund_id}")
        return _refund(row)

    def payment_reference(self, payment_id: str) -> str | None:
        row = self.session.execute(
            select(demo_checkout.c.reference).where(demo_checkout.c.payment_id == payment_id)
        ).first()
        return row.reference if row else None

    def payment_invoice(self, payment_id: str) -> str | None:
        return self.session.scalar(
            select(demo_checkout.c.invoice_id).where(demo_checkout.c.payment_id == payment_id)
        )

    def retrieve_dispute(self, dispute_id: str) -> Dispute:
        raise ProviderError("The demo checkout has no disputes")

    def retrieve_invoice(self, invoice_id: str) -> Invoice:
        row = self.session.execute(
            select(demo_checkout).where(demo_checkout.c.invoice_id == invoice_id)
        ).first()
        if row is None:
            raise ProviderError(f"No such demo invoice: {invoice_id}")
        return Invoice(
            id=invoice_id,
            subscription_id=row.subscription_id,
            reference=row.reference,
            status="paid",
            amount_paid=row.amount_total,
            amount_due=row.amount_total,
            currency=row.currency,
            billing_reason="subscription_create",
            payment_id=row.payment_id,
        )

    def cancel_subscription(self, subscription_id: str) -> None:
        """Nothing to stop: the demo never charges a second month."""

    def parse_event(self, payload: bytes, signature: str | None) -> Event:
        raise InvalidSignature("the demo provider sends no webhooks")
