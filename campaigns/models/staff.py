"""Staff who sign in to run the charity's fundraising."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.extensions import db, login
from campaigns.models.base import UTCDateTime, enum_type, new_token, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        """Each role can do all that the roles below it can."""
        return RANKS[self]


RANKS = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}
# What staff may do, by name, and the least role that may do it. Views (``requires``) and
# templates (``current_user.can("edit")``) both ask through StaffUser.can.
ACTIONS = {
    "view": Role.VIEWER,  # read every staff page but the admin areas
    "edit": Role.EDITOR,  # campaigns, options, reports; send a message again
    "handle_money": Role.ADMIN,  # offline gifts, refunds and their reversal
    "manage_staff": Role.ADMIN,  # staff accounts and the audit log
}


class StaffUser(UserMixin, db.Model):
    """A staff account; ``session_token`` is rotated to end every session of the user.

    Second factors (``campaigns.services.people.two_factor``): ``totp_secret`` is encrypted with a
    key derived from SECRET_KEY and set only while two-step sign-in is on
    (``totp_enabled_at``); ``totp_last_step`` is the last time step accepted, so a code is
    never accepted twice. The e-mailed sign-in code (``campaigns.services.people.lockout``) is kept
    only as a keyed hash, with when it was sent and how many wrong tries it has had.
    """

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role), default=Role.VIEWER)
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(String(64), default=new_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The language of the last sign-in: e-mails to this person are written in it.
    locale: Mapped[str | None] = mapped_column(String(8))
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None]
    email_code_hash: Mapped[str | None] = mapped_column(String(64))
    email_code_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_code_tries: Mapped[int] = mapped_column(default=0)

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    def at_least(self, role: Role) -> bool:
        return self.role.rank >= role.rank

    def can(self, action: str) -> bool:
        """Whether this user may do ``action`` (a key of ACTIONS; KeyError for any other)."""
        return self.at_least(ACTIONS[action])

    @property
    def two_factor(self) -> bool:
        """Whether signing in needs a code from an authenticator app (or a recovery code)."""
        return self.totp_enabled_at is not None


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app; only its keyed hash is
    kept, and ``used_at`` is set once, by the sign-in that uses it."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@login.user_loader
def load_staff_user(session_token: str) -> StaffUser | None:
    """Flask-Login's lookup by the session token it stored: a rotated token signs out."""
    return db.session.scalars(
        select(StaffUser).where(StaffUser.session_token == session_token, StaffUser.active)
    ).first()
