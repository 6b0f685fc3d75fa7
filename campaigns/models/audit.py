"""The staff side's append-only audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, utcnow
from campaigns.models.staff import StaffUser


class AuditEntry(db.Model):
    """Who changed what and when, with the values before and after. Rows are only ever
    inserted: nothing in the app updates or deletes them."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    action: Mapped[str] = mapped_column(String(80))  # e.g. "campaign.update", "donation.refund"
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    address: Mapped[str | None] = mapped_column(String(64))

    staff_user: Mapped[StaffUser | None] = relationship()
