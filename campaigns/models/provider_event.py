"""Every webhook delivery, stored raw by its event id before it is handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, utcnow


class ProviderEvent(db.Model):
    """A payment provider's event; ``event_id`` is unique so a redelivery has no effect.

    ``object_id`` is the id of the object the event names (a checkout, charge, refund,
    dispute, invoice or subscription), kept when the event is stored; ``donation_id`` is the
    gift its handler found, kept when it is handled (None for none of ours)."""

    __tablename__ = "provider_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    object_id: Mapped[str | None] = mapped_column(String(255), index=True)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
