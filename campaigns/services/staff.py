"""Staff accounts: creation, sign-in checks, passwords and ending sessions."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from campaigns.models import StaffUser
from campaigns.models.base import new_token
from campaigns.models.staff import Role

MIN_PASSWORD = 12
# Checked against when the account does not exist, so unknown e-mails cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class StaffError(ValueError):
    """A staff account change that cannot be made; ``str()`` is the message to show."""


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise StaffError("Please enter a valid e-mail address.") from error


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"Passwords need at least {MIN_PASSWORD} characters.")


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
        raise StaffError("A staff account with that e-mail already exists.")
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


def change_password(user: StaffUser, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise StaffError("Your current password is not right.")
    set_password(user, new)


def set_password(user: StaffUser, new: str) -> None:
    check_password_strength(new)
    user.password_hash = generate_password_hash(new, method="scrypt")
    end_sessions(user)
