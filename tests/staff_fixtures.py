"""Fixtures for the staff side: staff accounts signed in through the real sign-in form.

``staff = staff_login(client, "editor")`` creates an account with that role, signs in on
``/staff/login`` with the CSRF token read from the page, and returns a ``SignedIn``:
``staff.get(url)`` and ``staff.post(url, data)`` make requests as that person, the POST
carrying the session's CSRF token unless ``csrf=False``.

Every request runs isolated (see ``payments_fixtures.isolated``): with its own app
context, so Flask-Login's per-request user cache and the database session start fresh
on each request, as in production. A test that pushed ``app_ctx`` would otherwise share
both with the requests and could not see a session being refused.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaigns.extensions import db, limiter
from campaigns.models.staff import Role
from campaigns.services.people.staff import NewStaffForm, create_staff_user
from tests.markup import parse
from tests.payments_fixtures import isolated

PASSWORD = "correct horse battery staple"
_accounts = itertools.count(1)


def csrf_token_of(response) -> str:
    """The CSRF token of the first form on a page, as a browser would submit it."""
    assert response.status_code == 200, response.status_code
    [token, *_] = [
        e.attrs["value"]
        for e in parse(response.data).find_all("input")
        if e.attrs.get("name") == "csrf_token"
    ]
    return token


@dataclass
class SignedIn:
    """A staff member's browser after signing in."""

    client: FlaskClient
    user_id: int
    email: str
    role: Role
    csrf_token: str

    def get(self, url: str, **kwargs):
        """GET with the body read inside the request's own context (a streamed body too)."""
        return isolated(self.client.get, url, buffered=True, **kwargs)

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        form = ({"csrf_token": self.csrf_token} if csrf else {}) | (data or {})
        return isolated(self.client.post, url, data=form, buffered=True, **kwargs)


def create_account(app: Flask, role: Role | str, email: str, password: str = PASSWORD) -> int:
    """Commit a new active staff account in a context of its own; return its id."""

    def create() -> int:
        with app.app_context():
            form = NewStaffForm(email, "Test Staff", Role(role).value, password)
            user = create_staff_user(db.session, form)
            db.session.commit()
            return user.id

    return isolated(create)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs):
    """Submit the sign-in form as a browser does: GET the page, POST with its token."""
    token = csrf_token_of(isolated(client.get, "/staff/login"))
    form = {"csrf_token": token, "email": email, "password": password}
    return isolated(client.post, "/staff/login", data=form, **kwargs)


@pytest.fixture
def fresh_rate_limits(app):
    """Sign-in limits count failures per address and account for the whole session's
    app; each test starts from none."""
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def staff_login(app, fresh_rate_limits) -> Callable[..., SignedIn]:
    """``staff_login(client, role="admin", email=None)``: a new account, signed in."""

    def login(client: FlaskClient, role: Role | str = Role.ADMIN, email: str | None = None):
        email = email or f"staff{next(_accounts)}@example.org"
        user_id = create_account(app, role, email)
        response = sign_in(client, email)
        assert response.status_code == 303, response.status_code
        # Signing in starts a fresh session, with a new CSRF secret: read the token again.
        token = csrf_token_of(isolated(client.get, "/staff/password"))
        return SignedIn(client, user_id, email, Role(role), token)

    return login


@pytest.fixture
def make_donation(app_ctx):
    """Build and commit a donation row as it would stand after checkout, without the
    provider: make_donation(campaign, 50_00, status="paid", donor_name="Ayşe", ...)."""
    from campaigns.models import Donation

    references = itertools.count(1)

    def make(campaign, amount: int = 100_00, **fields) -> Donation:
        n = next(references)
        defaults = {
            "currency": campaign.currency,
            "donor_name": f"Donor {n}",
            "donor_email": f"donor{n}@example.org",
            "provider": "demo",
            "provider_session_id": f"cs_test_{campaign.id}_{n}",
        }
        donation = Donation(campaign=campaign, amount=amount, **(defaults | fields))
        db.session.add(donation)
        db.session.commit()
        return donation

    return make
