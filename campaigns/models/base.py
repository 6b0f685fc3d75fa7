"""Column helpers shared by the models."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_token() -> str:
    """An unguessable public token: 24 random bytes (192 bits), URL-safe."""
    return secrets.token_urlsafe(24)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_type(enum_cls: type[enum.StrEnum]) -> Enum:
    """Store a StrEnum by its value as a VARCHAR (no native enum: migrations stay simple)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=30,
        values_callable=lambda members: [m.value for m in members],
    )
