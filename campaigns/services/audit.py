"""The audit log: every change made on the staff side, who made it and what it was."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from campaigns.models import AuditEntry, Campaign, DonationOption, StaffUser


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and from where: a staff member and their client address
    (None when unknown). Services that change anything on the staff side take one and
    write it to the audit log; ``None`` in its place is the command line."""

    user: StaffUser | None
    address: str | None = None


def record_change(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    entity_type: str,
    entity_id: object = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append one entry (same transaction as the change it describes)."""
    user = actor.user if actor else None
    entry = AuditEntry(
        staff_user_id=user.id if user else None,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
        address=actor.address if actor else None,
    )
    session.add(entry)
    return entry


def record_saved(
    session: Session,
    entity,
    noun: str,
    before: dict | None,
    after: dict,
    *,
    actor: Actor | None,
) -> AuditEntry:
    """Audit a create (nothing ``before``) or an update of ``entity``: ``<noun>.create`` or
    ``<noun>.update``, filed under its table."""
    return record_change(
        session,
        actor=actor,
        action=f"{noun}.create" if before is None else f"{noun}.update",
        entity_type=entity.__tablename__,
        entity_id=entity.id,
        before=before,
        after=after,
    )


def audit_query() -> Select:
    """Every entry, newest first, with the staff member who made it."""
    return (
        select(AuditEntry)
        .options(joinedload(AuditEntry.staff_user))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )


def changed_fields(entry: AuditEntry) -> list[tuple[str, object, object]]:
    """(field, before, after) for every field whose value the entry changed, in a stable
    order: a create's or a delete's filled-in fields, an update's differing ones. An empty
    text counts as no value (nothing "changes" from None to "")."""
    before, after = entry.before or {}, entry.after or {}
    return [
        (name, before.get(name), after.get(name))
        for name in sorted(before | after)
        if _value(before.get(name)) != _value(after.get(name))
    ]


def _value(value: object) -> object:
    return None if value == "" else value


def entry_currency(entry: AuditEntry, option_currencies: dict[int, str]) -> str | None:
    """The currency of the amounts an entry names: its own ``currency`` field (campaigns,
    donations), or its campaign's for an option (``option_currencies``)."""
    values = (entry.after or {}) | (entry.before or {})
    if values.get("currency"):
        return values["currency"]
    return option_currencies.get(values.get("campaign_id"))


def option_currencies(session: Session, entries: list[AuditEntry]) -> dict[int, str]:
    """campaign id -> currency, for the options the entries name (one query)."""
    ids = {
        values.get("campaign_id")
        for entry in entries
        if entry.entity_type == DonationOption.__tablename__
        for values in (entry.before or {}, entry.after or {})
    } - {None}
    if not ids:
        return {}
    rows = session.execute(select(Campaign.id, Campaign.currency).where(Campaign.id.in_(ids)))
    return dict(rows.all())
