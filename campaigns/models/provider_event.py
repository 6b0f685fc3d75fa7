"""Every webhook delivery, stored raw by its event id before it is handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, utcnow


class ProviderEvent(db.Model):
    """A payment provider's event; ``event_id`` is unique so a redelivery has no effect."""

    __tablename__ = "provider_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
