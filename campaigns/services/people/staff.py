"""Staff accounts: creation, sign-in checks, passwords and ending sessions."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from campaigns.models import StaffUser
from campaigns.models.base import new_token
from campaigns.models.staff import Role
from campaigns.services.audit import Actor, record_change

MIN_PASSWORD = 12
# Checked against when the account does not exist, so unknown e-mails cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class StaffError(ValueError):
    """A staff account change that cannot be made; ``str()`` is the message to show."""


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise StaffError(_("Please enter a valid e-mail address.")) from error


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError(_("Passwords need at least %(count)d characters.", count=MIN_PASSWORD))


def user_by_email(session: Session, email: str) -> StaffUser | None:
    return session.scalars(
        select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
    ).first()


def create_staff_user(
    session: Session, email: str, password: str, role: Role, name: str = ""
) -> StaffUser:
    """A new active account; the e-mail must be unused and the password long enough."""
    email = normalise_email(email)
    check_password_strength(password)
    if user_by_email(session, email) is not None:
        raise StaffError(_("A staff account with that e-mail already exists."))
    user = StaffUser(
        email=email,
        name=name.strip(),
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
    check_password_strength(new)
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


def add_staff_user(
    session: Session,
    actor: Actor | None,
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
) -> StaffUser:
    """Create an account (see ``create_staff_user``) and write it to the audit log;
    ``actor`` None means the command line."""
    user = create_staff_user(session, email, password, role, name)
    record_change(
        session,
        actor=actor,
        action="staff_user.create",
        entity_type="staff_user",
        entity_id=user.id,
        after={"email": user.email, "name": user.name, "role": user.role.value, "active": True},
    )
    return user


def change_role(session: Session, actor: Actor, user: StaffUser, role: Role) -> None:
    """Give ``user`` another role; the last active admin keeps theirs."""
    if role == user.role:
        return
    if role != Role.ADMIN and _would_leave_no_admin(session, user):
        raise StaffError(_("The last active admin cannot be given another role."))
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
    the last active admin cannot be deactivated."""
    if active == user.active:
        return
    if not active and _would_leave_no_admin(session, user):
        raise StaffError(_("The last active admin cannot be deactivated."))
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
