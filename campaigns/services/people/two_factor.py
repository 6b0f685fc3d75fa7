"""Two-step sign-in for staff: a time-based code from an authenticator app (TOTP, RFC 6238),
or one of ten one-time recovery codes.

Invariants: the app's secret is stored only encrypted (``services.people.keys``) and only while
two-step sign-in is on; recovery codes only as keyed hashes. A TOTP code is accepted for
its 30-second step and one step either side, and never twice: ``totp_last_step`` only
grows, in one conditional UPDATE, so two requests with the same code cannot both pass.
A recovery code is used up the same way. Turning it on, off (or an admin's reset) and
each recovery code used are audited.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from campaigns.models import RecoveryCode, StaffUser
from campaigns.models.base import utcnow
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change
from campaigns.services.people.keys import decrypt, encrypt, keyed_hash
from campaigns.services.people.staff import end_sessions, read_code, read_password
from campaigns.settings import Settings

RECOVERY_CODES = 10
# 31 letters and digits that cannot be mistaken for one another (no i, l, o, 0, 1).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SECRET_PURPOSE = "staff-totp-secret"  # noqa: S105 - names a derived key


class TwoFactorError(ValueError):
    """Two-step sign-in is already off (``disable``); ``str()`` is the message."""


@dataclass
class CodeForm:
    """A code from the app or a recovery code: the second sign-in step, or set-up."""

    code: str = ""


@dataclass
class TurnOffForm:
    password: str = ""
    code: str = ""


def read_second_step(form: CodeForm) -> str:
    """The code typed; FormInvalid when it is missing or too long (no try counted)."""
    errors: dict[str, str] = {}
    code = read_code(form.code, "code", errors)
    if errors:
        raise FormInvalid(errors)
    return code


def read_turn_off(form: TurnOffForm) -> TurnOffForm:
    """The form turning two-step sign-in off, as read; FormInvalid when a field is
    missing or too long, before the password or the code is checked."""
    errors: dict[str, str] = {}
    read = TurnOffForm(
        password=read_password(form.password, "password", errors),
        code=read_code(form.code, "code", errors),
    )
    if errors:
        raise FormInvalid(errors)
    return read


def new_secret() -> str:
    """A fresh base32 secret of 160 bits, as authenticator apps expect."""
    return pyotp.random_base32()


def setup_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG ``data:`` URI, for an <img> (no script, CSP-safe)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _digits(code: str) -> str:
    return "".join(code.split())


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = _digits(code)
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_hash(settings: Settings, user_id: int, code: str) -> str:
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return keyed_hash(settings, "staff-recovery-code", f"{user_id}:{normal}")


def _new_recovery_codes(session: Session, settings: Settings, user: StaffUser) -> list[str]:
    """Replace the user's recovery codes with new ones; returns them, shown only once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.staff_user_id == user.id))
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _c in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        code_hash = _recovery_hash(settings, user.id, raw)
        session.add(RecoveryCode(staff_user_id=user.id, code_hash=code_hash))
    return codes


def enable(
    session: Session, settings: Settings, actor: Actor, secret: str, form: CodeForm
) -> list[str]:
    """Turn two-step sign-in on for ``actor.user`` with ``secret`` once the code typed
    proves the app has it (else FormInvalid); ends the user's other sessions (the caller
    signs this browser in again). Returns the new recovery codes."""
    code = read_second_step(form)
    user = actor.user
    if user.two_factor:
        raise FormInvalid({"code": _("Two-step sign-in is already on.")})
    step = _matching_step(secret, code, utcnow())
    if step is None:
        raise FormInvalid({"code": _("That code is not right. Please try again.")})
    user.totp_secret = encrypt(settings, SECRET_PURPOSE, secret)
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(session, settings, user)
    end_sessions(user)
    record_change(
        session,
        actor=actor,
        action="staff.2fa_enable",
        entity_type="staff_user",
        entity_id=user.id,
    )
    session.flush()
    return codes


def _use_totp(session: Session, settings: Settings, user: StaffUser, code: str) -> bool:
    secret = decrypt(settings, SECRET_PURPOSE, user.totp_secret or "")
    step = _matching_step(secret, code, utcnow()) if secret else None
    if step is None:
        return False
    moved = session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            StaffUser.totp_enabled_at.is_not(None),
            (StaffUser.totp_last_step.is_(None)) | (StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    return moved == 1


def recovery_codes_left(session: Session, user: StaffUser) -> int:
    return session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.staff_user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def _use_recovery_code(session: Session, settings: Settings, actor: Actor, code: str) -> bool:
    user = actor.user
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.staff_user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(settings, user.id, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        return False
    record_change(
        session,
        actor=actor,
        action="staff.2fa_recovery_code_used",
        entity_type="staff_user",
        entity_id=user.id,
        after={"recovery_codes_left": recovery_codes_left(session, user)},
    )
    return True


def use_code(session: Session, settings: Settings, actor: Actor, code: str) -> bool:
    """Whether ``code`` (six digits from the app, or a recovery code) proves the second
    step for ``actor.user``; it is used up either way it passes."""
    user = actor.user
    if not user.two_factor or not code:
        return False
    if len(_digits(code)) == 6:
        return _use_totp(session, settings, user, code)
    return _use_recovery_code(session, settings, actor, code)


def disable(
    session: Session,
    user: StaffUser,
    *,
    actor: Actor | None,
    action: str = "staff.2fa_disable",
) -> None:
    """Turn two-step sign-in off: the secret and recovery codes are deleted. ``actor`` None
    is the command line (``flask staff reset-2fa``, which also ends every session)."""
    if not user.two_factor:
        raise TwoFactorError(_("Two-step sign-in is off."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.staff_user_id == user.id))
    if actor is None:
        end_sessions(user)
    record_change(
        session,
        actor=actor,
        action=action,
        entity_type="staff_user",
        entity_id=user.id,
    )
    session.flush()
