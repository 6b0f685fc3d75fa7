"""The audit log: every change made on the staff side, who made it and what it was."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from campaigns.models import AuditEntry, StaffUser


def record_change(
    session: Session,
    *,
    actor: StaffUser | None,
    action: str,
    entity_type: str,
    entity_id: object = None,
    before: dict | None = None,
    after: dict | None = None,
    address: str | None = None,
) -> AuditEntry:
    """Append one entry (same transaction as the change it describes)."""
    entry = AuditEntry(
        staff_user_id=actor.id if actor else None,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
        address=address,
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
    actor: StaffUser | None,
    address: str | None = None,
) -> AuditEntry:
    """Audit a create (nothing ``before``) or an update of ``entity``: ``<noun>.create`` or
    ``<noun>.update``, filed under its table."""
    return record_change(
        session,
        actor=actor,
        address=address,
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
    """(field, before, after) for every field the entry names, in a stable order."""
    before, after = entry.before or {}, entry.after or {}
    return [(name, before.get(name), after.get(name)) for name in sorted(before | after)]
