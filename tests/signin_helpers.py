"""Helpers for the sign-in tests: failures from many addresses, the e-mailed code read from
the outbox, the authenticator app (pyotp), and the two sign-in steps as a browser does them."""

from __future__ import annotations

import itertools
import re
import time

import pyotp
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry, OutboxMessage
from tests.markup import parse
from tests.payments_fixtures import isolated
from tests.staff_fixtures import PASSWORD, csrf_token_of

GUARDED = (
    "Too many failed sign-ins for this account. If the password is right, we have e-mailed "
    "a code: enter it with your password."
)
CODE_MISMATCH = "That e-mail, password and code do not match."
_addresses = itertools.count(1)


def new_address() -> dict:
    """A new client address for each request, so only the per-account rules apply."""
    n = next(_addresses)
    return {"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}


def flashes(response) -> list[str]:
    return [li.text for li in parse(response.data).find_all("li", "flash")]


def field_errors(response) -> list[str]:
    return [p.text for p in parse(response.data).find_all("p", "field-error")]


def input_names(response) -> list[str]:
    return [e.attrs.get("name") for e in parse(response.data).find_all("input")]


def sign_in(client, email: str, password: str = PASSWORD, code: str | None = None, **kwargs):
    """The sign-in form as a browser submits it, the e-mailed code too when given."""
    kwargs.setdefault("environ_base", new_address())
    token = csrf_token_of(isolated(client.get, "/staff/login"))
    form = {"csrf_token": token, "email": email, "password": password}
    if code is not None:
        form["code"] = code
    return isolated(client.post, "/staff/login", data=form, **kwargs)


def second_step(client, code: str, **kwargs):
    kwargs.setdefault("environ_base", new_address())
    token = csrf_token_of(isolated(client.get, "/staff/login/code"))
    return isolated(
        client.post, "/staff/login/code", data={"csrf_token": token, "code": code}, **kwargs
    )


def fail(app, email: str, times: int) -> None:
    """``times`` wrong passwords for ``email``, each from another address and browser."""
    for _ in range(times):
        assert sign_in(app.test_client(), email, "a wrong guess").status_code == 401


def code_messages(app, email: str) -> list[OutboxMessage]:
    def read():
        with app.app_context():
            query = select(OutboxMessage).where(
                OutboxMessage.to == email, OutboxMessage.key.startswith("staff-code:")
            )
            rows = list(db.session.scalars(query.order_by(OutboxMessage.id)))
            db.session.expunge_all()
            return rows

    return isolated(read)


def code_in(text: str) -> str:
    [code] = re.findall(r"^\s*(\d{8})\s*$", text, re.MULTILINE)
    return code


def latest_code(app, email: str) -> str:
    return code_in(code_messages(app, email)[-1].body_text)


def audit_actions(app) -> list[str]:
    def read():
        with app.app_context():
            return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))

    return isolated(read)


def app_code(secret: str, steps_ahead: int = 0) -> str:
    """What the authenticator app shows now (or ``steps_ahead`` 30-second steps later)."""
    return pyotp.TOTP(secret).at(time.time(), counter_offset=steps_ahead)


def setup_key(response) -> str:
    return parse(response.data).find("code", "setup-key").text.replace(" ", "")
