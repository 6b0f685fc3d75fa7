"""E-mails written in the same transaction as the fact they report, sent later."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    """A message to send; ``key`` names its purpose (e.g. ``thanks:<donation token>``) once."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"), index=True)
    # A receipt to attach: its PDF is rendered when the message is sent, not when queued.
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipt.id"))
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    # A message queued by template (the thank-you) is written when it is first sent, out of
    # the paying transaction; its bodies stay empty until then, and are kept once written.
    template: Mapped[str | None] = mapped_column(String(50))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # Extra headers the message carries, e.g. List-Unsubscribe: {name: value}.
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Set when the last try failed: the sender leaves it alone until staff send it again.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
