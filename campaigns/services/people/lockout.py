"""Failed sign-ins per account, and the one-time code e-mailed once there are too many.

Past ``STAFF_ACCOUNT_RATE_LIMIT`` failures an account is *guarded*: its password alone no
longer signs in or changes the password; the password plus a code e-mailed to the account
does. Nobody is refused outright, so an outsider who only guesses passwords can make the
owner take one more step but can never keep them out. Guessing stays bounded: the
per-address limit on the sign-in page, and a code that is only e-mailed when the password
is right, works once, for ``CODE_MINUTES``, with ``CODE_TRIES`` tries, and is stored as a
keyed hash. At most one code is e-mailed per ``RESEND_MINUTES`` per account.

Failures are counted in the rate limiter's storage (Redis in production), keyed by the
e-mail typed, so an unknown address behaves exactly like a known one. Two counters:
``PASSWORD`` (anyone can add to it) and ``SECOND_FACTOR`` (only someone past the password
can). Either one full guards the account; the second-factor step looks only at its own,
so outsiders guessing passwords never stop an owner who is past the password. A right
e-mailed code empties both.
"""

from __future__ import annotations

import enum
import secrets
from datetime import timedelta

from limits import parse_many
from sqlalchemy import update
from sqlalchemy.orm import Session

from campaigns.extensions import limiter
from campaigns.models import StaffUser
from campaigns.models.base import utcnow
from campaigns.services.mail.notifications import queue_staff_code
from campaigns.services.people.keys import keyed_hash
from campaigns.settings import Settings
from campaigns.text import column_length

CODE_DIGITS = 8
CODE_MINUTES = 15
CODE_TRIES = 5
RESEND_MINUTES = 5
PASSWORD = "staff-password-failures"  # noqa: S105 - a counter's name
SECOND_FACTOR = "staff-second-factor-failures"


class Outcome(enum.Enum):
    OK = "ok"  # the password is right and no code was needed, or the code was right too
    WRONG = "wrong"  # wrong password, account not guarded
    CODE_NEEDED = "code-needed"  # guarded, no code given (e-mailed if the password is right)
    CODE_WRONG = "code-wrong"  # guarded, and the password or the code is wrong


def _counting() -> bool:
    return limiter.enabled


def _limits(settings: Settings):
    return parse_many(settings.staff_account_rate_limit)


def account_key(email: str) -> str:
    return (email or "").strip().lower()[: column_length(StaffUser.email)]


def record_failure(settings: Settings, email: str, counter: str = PASSWORD) -> None:
    if _counting():
        for item in _limits(settings):
            limiter.limiter.hit(item, counter, account_key(email))


def take_try(settings: Settings, email: str, counter: str = SECOND_FACTOR) -> bool:
    """Count one try on ``counter`` before it is made; False (and nothing counted past
    the limit) when the counter is already full. Counting first, in one atomic step, keeps
    parallel requests from trying more than the limit allows."""
    if not _counting():
        return True
    key = account_key(email)
    return all([limiter.limiter.hit(item, counter, key) for item in _limits(settings)])


def is_full(settings: Settings, email: str, counter: str) -> bool:
    if not _counting():
        return False
    key = account_key(email)
    return any(not limiter.limiter.test(item, counter, key) for item in _limits(settings))


def is_guarded(settings: Settings, email: str) -> bool:
    return is_full(settings, email, PASSWORD) or is_full(settings, email, SECOND_FACTOR)


def _clear(settings: Settings, email: str) -> None:
    if _counting():
        for item in _limits(settings):
            for counter in (PASSWORD, SECOND_FACTOR):
                limiter.limiter.clear(item, counter, account_key(email))


def _code_hash(settings: Settings, user: StaffUser, code: str) -> str:
    return keyed_hash(settings, "staff-email-code", f"{user.id}:{code}")


def send_code(session: Session, settings: Settings, user: StaffUser) -> bool:
    """E-mail ``user`` a new sign-in code (replacing any earlier one) unless one was sent
    in the last RESEND_MINUTES; True if one was queued."""
    now = utcnow()
    if user.email_code_sent_at and now - user.email_code_sent_at < timedelta(
        minutes=RESEND_MINUTES
    ):
        return False
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    user.email_code_hash = _code_hash(settings, user, code)
    user.email_code_sent_at = now
    user.email_code_tries = 0
    queue_staff_code(session, settings, user, code, minutes=CODE_MINUTES)
    session.flush()
    return True


def use_code(session: Session, settings: Settings, user: StaffUser, code: str) -> bool:
    """Whether ``code`` is ``user``'s live e-mailed code; a right one is used up. Each call
    counts a try first, in one UPDATE, so at most CODE_TRIES guesses reach a code."""
    code = "".join(code.split())
    live = (
        StaffUser.id == user.id,
        StaffUser.email_code_hash.is_not(None),
        StaffUser.email_code_sent_at > utcnow() - timedelta(minutes=CODE_MINUTES),
    )
    counted = session.execute(
        update(StaffUser)
        .where(*live, StaffUser.email_code_tries < CODE_TRIES)
        .values(email_code_tries=StaffUser.email_code_tries + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not counted or not code.isascii() or not code.isdigit():
        return False
    used = session.execute(
        update(StaffUser)
        .where(*live, StaffUser.email_code_hash == _code_hash(settings, user, code))
        .values(email_code_hash=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.expire(user)
    return used == 1


def check(
    session: Session, settings: Settings, email: str, user: StaffUser | None, code: str | None
) -> Outcome:
    """The lock-out rules for one password check. ``user`` is the account whose password
    was just proved right, or None when it was not (wrong, unknown or inactive).

    Guarded accounts answer CODE_NEEDED or CODE_WRONG whether the password was right or
    not, so the answer never tells a guesser that a password is right."""
    if not is_guarded(settings, email):
        if user is None:
            record_failure(settings, email)
            return Outcome.WRONG
        return Outcome.OK
    if user is None:
        record_failure(settings, email)
        return Outcome.CODE_WRONG if code else Outcome.CODE_NEEDED
    if not code:
        send_code(session, settings, user)
        return Outcome.CODE_NEEDED
    if use_code(session, settings, user, code):
        _clear(settings, email)
        return Outcome.OK
    record_failure(settings, email)
    return Outcome.CODE_WRONG
