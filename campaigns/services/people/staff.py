"""Staff accounts: creation, sign-in checks, passwords and ending sessions.

Forms arrive as dataclasses of the raw strings typed (``campaigns.forms``); each is read
by the rules of ``campaigns.text`` and refused with FormInvalid, naming the fields, before
anything is looked up, counted or changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from campaigns.models import StaffUser
from campaigns.models.base import new_token
from campaigns.models.staff import Role
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change
from campaigns.text import column_length, read_email, read_text

MIN_PASSWORD = 12
# Longer passwords are refused before they are hashed: scrypt's work grows with the input.
MAX_PASSWORD = 200
# A code typed by hand (six digits, an e-mailed code, a recovery code), with room for spaces.
MAX_CODE = 20
# Checked against when the account does not exist, so unknown e-mails cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


@dataclass
class SignInForm:
    """The sign-in form; ``code`` is the e-mailed code a guarded account needs."""

    email: str = ""
    password: str = ""
    code: str = ""


@dataclass
class PasswordChangeForm:
    current: str = ""
    new: str = ""
    confirm: str = ""
    code: str = ""


@dataclass
class NewStaffForm:
    email: str = ""
    name: str = ""
    role: str = Role.VIEWER.value
    password: str = ""


@dataclass
class RoleForm:
    role: str = ""


def read_password(text: str, name: str, errors: dict, *, new: bool = False) -> str:
    """A password as typed (never trimmed nor normalised: it is a secret, not text), at
    most MAX_PASSWORD characters; a ``new`` one at least MIN_PASSWORD."""
    password = text or ""
    if not password.strip():
        errors[name] = _("Please fill this in.")
    elif len(password) > MAX_PASSWORD:
        errors[name] = _("Please shorten this to %(n)d characters.", n=MAX_PASSWORD)
    elif new and len(password) < MIN_PASSWORD:
        errors[name] = _("Passwords need at least %(count)d characters.", count=MIN_PASSWORD)
    return password


def read_code(text: str, name: str, errors: dict, *, required: bool = True) -> str:
    """A code typed by hand (its spaces are ignored where it is checked)."""
    return read_text(text, name, MAX_CODE, errors, required=required)


def _read_role(text: str, errors: dict) -> Role | None:
    try:
        return Role(text)
    except ValueError:
        errors["role"] = _("Not a valid choice.")
        return None


def _refuse(errors: dict) -> None:
    if errors:
        raise FormInvalid(errors)


def read_sign_in(form: SignInForm) -> SignInForm:
    """The sign-in form as read (e-mail in NFC and trimmed); FormInvalid when a field is
    missing or too long, before any account is looked up or any failure counted."""
    errors: dict[str, str] = {}
    read = SignInForm(
        email=read_text(form.email, "email", column_length(StaffUser.email), errors, required=True),
        password=read_password(form.password, "password", errors),
        code=read_code(form.code, "code", errors, required=False),
    )
    _refuse(errors)
    return read


def read_password_change(form: PasswordChangeForm) -> PasswordChangeForm:
    """The password change form as read; FormInvalid (the current password not yet
    checked, nothing counted) when a field is missing, the new password too short or
    too long, or typed differently the second time."""
    errors: dict[str, str] = {}
    read = PasswordChangeForm(
        current=read_password(form.current, "current", errors),
        new=read_password(form.new, "new", errors, new=True),
        confirm=form.confirm or "",
        code=read_code(form.code, "code", errors, required=False),
    )
    if not read.confirm.strip():
        errors["confirm"] = _("Please fill this in.")
    elif read.confirm != read.new:
        errors["confirm"] = _("The two new passwords differ.")
    _refuse(errors)
    return read


def user_by_email(session: Session, email: str) -> StaffUser | None:
    return session.scalars(
        select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
    ).first()


def create_staff_user(session: Session, form: NewStaffForm) -> StaffUser:
    """A new active account; FormInvalid unless the e-mail is valid and unused, the role
    one of the roles and the password long enough."""
    errors: dict[str, str] = {}
    email = read_text(form.email, "email", column_length(StaffUser.email), errors, required=True)
    if "email" not in errors:
        invalid = _("Please enter a valid e-mail address.")
        email = read_email(email, "email", errors, invalid=invalid).lower()
    if "email" not in errors and user_by_email(session, email) is not None:
        errors["email"] = _("A staff account with that e-mail already exists.")
    name = read_text(form.name, "name", column_length(StaffUser.name), errors)
    role = _read_role(form.role, errors)
    password = read_password(form.password, "password", errors, new=True)
    _refuse(errors)
    user = StaffUser(
        email=email,
        name=name,
        role=role,
        password_hash=generate_password_hash(password, method="scrypt"),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The active account for these credentials, or None. Unknown accounts, inactive ones
    and wrong passwords all take one scrypt check, so timing does not tell them apart."""
    user = user_by_email(session, email)
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not user.active or not valid:
        return None
    return user


def end_sessions(user: StaffUser) -> None:
    """Sign the user out everywhere: sessions carry the old token and stop matching."""
    user.session_token = new_token()


def set_password(user: StaffUser, new: str) -> None:
    """``new`` as ``read_password_change`` read it."""
    user.password_hash = generate_password_hash(new, method="scrypt")
    end_sessions(user)


def _would_leave_no_admin(session: Session, user: StaffUser) -> bool:
    """Whether taking ``user`` out of the active admins leaves none. The active admins'
    rows are locked (PostgreSQL) so two admins demoting each other at once cannot both
    pass this check."""
    if user.role != Role.ADMIN or not user.active:
        return False
    admins = session.scalars(
        select(StaffUser.id).where(StaffUser.role == Role.ADMIN, StaffUser.active).with_for_update()
    ).all()
    return set(admins) <= {user.id}


def add_staff_user(session: Session, actor: Actor | None, form: NewStaffForm) -> StaffUser:
    """Create an account (see ``create_staff_user``) and write it to the audit log;
    ``actor`` None means the command line."""
    user = create_staff_user(session, form)
    record_change(
        session,
        actor=actor,
        action="staff_user.create",
        entity_type="staff_user",
        entity_id=user.id,
        after={"email": user.email, "name": user.name, "role": user.role.value, "active": True},
    )
    return user


def change_role(session: Session, actor: Actor, user: StaffUser, form: RoleForm) -> None:
    """Give ``user`` another role; the last active admin keeps theirs (FormInvalid)."""
    errors: dict[str, str] = {}
    role = _read_role(form.role, errors)
    _refuse(errors)
    if role == user.role:
        return
    if role != Role.ADMIN and _would_leave_no_admin(session, user):
        raise FormInvalid({"": _("The last active admin cannot be given another role.")})
    before = user.role
    user.role = role
    record_change(
        session,
        actor=actor,
        action="staff_user.role",
        entity_type="staff_user",
        entity_id=user.id,
        before={"role": before.value},
        after={"role": role.value},
    )


def set_active(session: Session, actor: Actor, user: StaffUser, active: bool) -> None:
    """Deactivate (ending every session of the user at once) or reactivate an account;
    the last active admin cannot be deactivated (FormInvalid)."""
    if active == user.active:
        return
    if not active and _would_leave_no_admin(session, user):
        raise FormInvalid({"": _("The last active admin cannot be deactivated.")})
    user.active = active
    # A new token either way: reactivating must not bring old sessions back to life.
    end_sessions(user)
    record_change(
        session,
        actor=actor,
        action="staff_user.activate" if active else "staff_user.deactivate",
        entity_type="staff_user",
        entity_id=user.id,
        before={"active": not active},
        after={"active": active},
    )


def staff_users(session: Session) -> list[StaffUser]:
    """Every account: active ones first, then by e-mail."""
    return list(
        session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.email))
    )
