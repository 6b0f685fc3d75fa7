"""Pages staff write in Markdown, one text per language: About, Contact, Privacy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, utcnow


class Page(db.Model):
    """A trust page's text in one language; a language without a row shows the default
    text the app ships (``services.content.pages``)."""

    __tablename__ = "page"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("slug", "locale"),)
