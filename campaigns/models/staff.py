"""Staff who sign in to run the charity's fundraising."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.extensions import db, login
from campaigns.models.base import UTCDateTime, enum_type, new_token, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class StaffUser(UserMixin, db.Model):
    """A staff account; ``session_token`` is rotated to end every session of the user."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role), default=Role.VIEWER)
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(String(64), default=new_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active


@login.user_loader
def load_staff_user(session_token: str) -> StaffUser | None:
    """Flask-Login's lookup by the session token it stored: a rotated token signs out."""
    return db.session.scalars(
        select(StaffUser).where(StaffUser.session_token == session_token, StaffUser.active)
    ).first()
