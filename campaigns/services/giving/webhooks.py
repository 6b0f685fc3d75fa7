"""Provider webhook events: stored raw by id, handled once, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select, bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from campaigns.models import Campaign, Donation, ProviderEvent
from campaigns.models.base import utcnow
from campaigns.payments import Event, PaymentProvider
from campaigns.services.giving import refunds, settlement
from campaigns.services.giving.settlement import Handled, Outcome
from campaigns.services.mail import notifications
from campaigns.services.sql import (
    connection,
    held_or_loaded,
    insert_ignoring_duplicates,
    on_postgres,
    update_where,
)
from campaigns.settings import Settings

Handler = Callable[[Session, PaymentProvider, Settings, str], Handled]


def failed_instalment(
    session: Session, provider: PaymentProvider, settings: Settings, invoice_id: str
) -> Handled:
    """``invoice.payment_failed``: the donor is told once (FAILED when this call told them)."""
    message = notifications.notify_failed_instalment(session, provider, settings, invoice_id)
    if message is None:
        return Handled(Outcome.ALREADY)
    return Handled(Outcome.FAILED, message.donation_id)


def subscription_deleted(
    session: Session, _provider: PaymentProvider, _settings: Settings, sub_id: str
) -> Handled:
    return settlement.end_subscription(session, sub_id)


# Each handler takes the event's object id as a hint and re-reads the object itself; it
# returns what it did and the gift it concerned (kept on the event's row).
HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": settlement.checkout_event,
    "checkout.session.async_payment_succeeded": settlement.checkout_event,
    "checkout.session.expired": settlement.checkout_event,
    "checkout.session.async_payment_failed": settlement.fail_checkout,
    "charge.refunded": refunds.apply_refunds,
    # A pending refund settling: since API 2024-10-28.acacia Stripe sends refund.updated
    # for every refund; charge.refund.updated is the older name it still sends.
    "refund.updated": refunds.apply_refund_update,
    "charge.refund.updated": refunds.apply_refund_update,
    # A refund that failed, even one that had succeeded: sent beside refund.updated.
    "refund.failed": refunds.apply_refund_update,
    "charge.dispute.created": settlement.open_dispute,
    "charge.dispute.closed": settlement.open_dispute,
    "invoice.paid": settlement.record_invoice,
    "invoice.payment_failed": failed_instalment,
    "customer.subscription.deleted": subscription_deleted,
}


# The gift a checkout's event is about, looked up in the event's own insert: for these
# events the handler finds the same one, so the row needs no second write.
_CHECKOUT_GIFT = (
    select(Donation.id)
    .where(Donation.provider_session_id == bindparam("named_object"))
    .scalar_subquery()
)
_DONATION = Donation.__table__
_CAMPAIGN = Campaign.__table__
# What the event's insert writes from its values (the gift it names is looked up, and an
# error is only written when handling it fails).
_STORED_COLUMNS = tuple(
    c.name for c in ProviderEvent.__table__.columns if c.name not in ("id", "donation_id", "error")
)


def _store_and_read() -> Select:
    """PostgreSQL: the event's insert, and in the same statement the gift it names with
    its campaign, read for the handler (a checkout's looks it up by its token after the
    provider's answer, and finds it in the session: one round trip less per payment)."""
    stored = (
        postgresql.insert(ProviderEvent.__table__)
        .values({name: bindparam(name) for name in _STORED_COLUMNS})
        .values(donation_id=_CHECKOUT_GIFT)
        .on_conflict_do_nothing()
        .returning(ProviderEvent.__table__.c.id, ProviderEvent.__table__.c.donation_id)
        .cte("stored")
    )
    return select(stored.c.id, stored.c.donation_id, _DONATION, _CAMPAIGN).select_from(
        stored.outerjoin(_DONATION, _DONATION.c.id == stored.c.donation_id).outerjoin(
            _CAMPAIGN, _CAMPAIGN.c.id == _DONATION.c.campaign_id
        )
    )


_STORE_AND_READ = _store_and_read()  # built once


def _insert(
    session: Session, provider: PaymentProvider, event: Event, payload: str, *, handling: bool
) -> tuple[int, int | None] | None:
    """Store the event: (its new row's id, the gift it names) or None when a delivery
    stored it before. A concurrent delivery of the same id waits on this insert until the
    first one commits, then inserts nothing. ``handling``: it is handled in this
    transaction, so the row says processed already (a failure rolls it all back)."""
    now = utcnow()
    values = {
        "provider": provider.name,
        "event_id": event.id,
        "type": event.type,
        "payload": payload,
        "object_id": event.object_id or None,
        "named_object": event.object_id or None,
        "received_at": now,
        "processed_at": now if handling else None,
    }
    if handling and on_postgres(session):
        row = connection(session).execute(_STORE_AND_READ, values).first()
        if row is None:
            return None
        if row[1] is not None:
            _load_named(session, row[2:])
        return row[0], row[1]
    row = insert_ignoring_duplicates(
        session,
        ProviderEvent,
        values,
        returning=(ProviderEvent.id, ProviderEvent.donation_id),
        computed={"donation_id": _CHECKOUT_GIFT},
    ).one_or_none()
    return None if row is None else tuple(row)


def _load_named(session: Session, columns) -> None:
    """The gift and its campaign as read with the event, into the session."""
    split = len(_DONATION.columns)
    donation = held_or_loaded(
        session,
        Donation,
        {c.key: v for c, v in zip(_DONATION.columns, columns[:split], strict=True)},
    )
    campaign = held_or_loaded(
        session,
        Campaign,
        {c.key: v for c, v in zip(_CAMPAIGN.columns, columns[split:], strict=True)},
    )
    set_committed_value(donation, "campaign", campaign)
    settlement.keep_read(session, donation)


def _stored(session: Session, provider: PaymentProvider, event: Event, payload: str):
    """The event's row, inserted if new, and locked."""
    _insert(session, provider, event, payload, handling=False)
    return _locked(session, event)


def _locked(session: Session, event: Event) -> ProviderEvent:
    return session.scalars(
        select(ProviderEvent)
        .where(ProviderEvent.event_id == event.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def receive_event(
    session: Session, provider: PaymentProvider, settings: Settings, event: Event, payload: str
) -> str:
    """Store ``event`` and handle it unless an earlier delivery already did.

    Returns "processed", "duplicate" or "ignored" (a type we do not handle). Raises
    whatever the handler raises; the caller rolls back, records the failure with
    ``record_failure`` and answers 5xx so the provider retries.
    """
    stored = _insert(session, provider, event, payload, handling=True)
    retried = stored is None  # stored before: handled then, or failed and retried now
    if retried:
        row = _locked(session, event)
        if row.processed_at is not None:
            return "duplicate"
        stored = (row.id, row.donation_id)
    row_id, named = stored
    handler = HANDLERS.get(event.type)
    donation_id = None
    if handler is not None:
        donation_id = handler(session, provider, settings, event.object_id).donation_id
    if retried:
        done = {"donation_id": donation_id, "processed_at": utcnow(), "error": None}
        update_where(session, ProviderEvent, {"id": row_id}, done)
    elif donation_id != named:
        update_where(session, ProviderEvent, {"id": row_id}, {"donation_id": donation_id})
    return "processed" if handler else "ignored"


def record_failure(
    session: Session, provider: PaymentProvider, event: Event, payload: str, error: str
) -> None:
    """Keep a failed delivery and why, for staff; the provider's retry processes it."""
    row = _stored(session, provider, event, payload)
    if row.processed_at is None:
        row.error = error[:2000]
