"""Limited stock cannot be hoarded: one client address or e-mail holds at most
MAX_HELD_UNITS units of an option in unpaid checkouts; and no lock spans the call to the
payment provider, so donors of one limited option never queue behind its latency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from campaigns.extensions import db
from campaigns.models import Donation, DonationOption
from campaigns.models.base import utcnow
from tests.giving import csrf_token, form_token, post_gift
from tests.markup import parse
from tests.payments_fixtures import isolated

HELD_MESSAGE = "At most 14 of this gift can wait for payment per donor."


def reserved(option: DonationOption) -> int:
    db.session.expire_all()
    return db.session.get(DonationOption, option.id).reserved


def donations() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Donation))


@pytest.fixture
def water(make_campaign, make_option):
    """A limited option with no names to give: 100 water tanks."""
    campaign = make_campaign("water")
    return make_option(campaign, "Water tank", unit_price=100_00, stock=100)


def give(client, option, quantity: int, email: str = "ayse@example.org", address: str = ""):
    environ = {"REMOTE_ADDR": address} if address else {}
    token = csrf_token(client, "water")
    fields = {"option": str(option.id), "quantity": str(quantity), "email": email}
    return post_gift(client, "water", token, fields, environ_base=environ)


def quantity_error(response) -> str:
    assert response.status_code == 422
    return parse(response.data).find("p", "field-error").text  # the quantity's, the only one


# -- MAX_HELD_UNITS ----------------------------------------------------------------------


def test_one_address_holds_at_most_fourteen_units_whatever_the_email(client, water):
    assert give(client, water, 10, email="one@example.org").status_code == 303
    assert give(client, water, 4, email="two@example.org").status_code == 303
    before = donations()

    refused = give(client, water, 1, email="three@example.org")

    assert HELD_MESSAGE in quantity_error(refused)
    assert donations() == before  # nothing stored
    assert reserved(water) == 14
    # Another donor, elsewhere, is not held back.
    assert (
        give(client, water, 14, email="four@example.org", address="203.0.113.9").status_code == 303
    )


def test_one_email_holds_at_most_fourteen_units_whatever_the_address(client, water):
    assert (
        give(client, water, 8, email="Ayse@Example.org", address="198.51.100.1").status_code == 303
    )

    refused = give(client, water, 7, email="ayse@example.org", address="198.51.100.2")

    assert HELD_MESSAGE in quantity_error(refused)
    assert reserved(water) == 8


def test_one_gift_of_more_than_fourteen_limited_units_is_refused(client, water, make_option):
    unlimited = make_option(water.campaign, "Food parcel", unit_price=10_00)

    assert HELD_MESSAGE in quantity_error(give(client, water, 15))
    answer = give(client, unlimited, 40)
    assert answer.status_code == 303, parse(answer.data).find("div", "error-summary").text
    assert reserved(water) == 0


def test_paid_and_expired_gifts_hold_nothing(client, water, monkeypatch):
    page = give(client, water, 14).headers["Location"]
    forms = parse(isolated(client.get, page).data).find_all("form")
    pay = next(f for f in forms if f.attrs["action"].endswith("/pay"))
    paid = isolated(client.post, pay.attrs["action"], data={"csrf_token": form_token(pay)})
    assert paid.status_code == 303

    assert give(client, water, 14).status_code == 303  # the first 14 are paid
    assert HELD_MESSAGE in quantity_error(give(client, water, 1))
    moment = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr("campaigns.services.giving.donations.utcnow", lambda: moment)
    assert give(client, water, 14).status_code == 303  # the second 14 are past their expiry
    assert reserved(water) == 42  # until reconcile releases the expired ones


def test_the_limit_follows_the_setting(client, water, configure):
    configure(MAX_HELD_UNITS=2)

    assert give(client, water, 2).status_code == 303
    assert "At most 2 of this gift" in quantity_error(give(client, water, 1))


@pytest.mark.postgres
def test_concurrent_gifts_from_one_address_never_hold_more_than_the_limit(app, water, is_postgres):
    """The count is taken under the option's row lock: racing gifts count in turn."""
    attempts = 8 if is_postgres else 4
    ready = threading.Barrier(attempts)
    option_id = str(water.id)

    def one(number: int) -> int:
        browser = app.test_client()
        token = csrf_token(browser, "water")
        fields = {"option": option_id, "quantity": "5", "email": f"d{number}@example.org"}
        ready.wait(10)
        return post_gift(browser, "water", token, fields).status_code

    with ThreadPoolExecutor(attempts) as pool:
        answers = list(pool.map(one, range(attempts)))

    assert sorted(answers) == [303, 303] + [422] * (attempts - 2)
    assert reserved(water) == 10


# -- no lock spans the provider call -------------------------------------------------------


@pytest.mark.postgres
def test_the_option_row_is_free_while_stripe_is_being_asked(
    app, client, water, fake_stripe, stripe_provider, is_postgres
):
    """While the provider is called, a second connection can take the option's row
    ``FOR UPDATE NOWAIT`` (PostgreSQL) or write at once (SQLite: no write lock held)."""
    entered, release = threading.Event(), threading.Event()

    def hold(method: str, path: str) -> None:
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            entered.set()
            release.wait(20)

    fake_stripe.on_request = hold
    token = csrf_token(client, "water")
    answers: list = []
    fields = {"option": str(water.id), "quantity": "3"}
    giving = threading.Thread(
        target=lambda: answers.append(post_gift(client, "water", token, fields))
    )
    giving.start()
    try:
        assert entered.wait(20), "the checkout was never asked for"
        with db.engine.connect() as other:
            if is_postgres:
                row = other.execute(
                    text("SELECT reserved FROM donation_option WHERE id = :id FOR UPDATE NOWAIT"),
                    {"id": water.id},
                ).scalar_one()
            else:
                other.exec_driver_sql("PRAGMA busy_timeout = 0")
                other.execute(
                    text("UPDATE donation_option SET position = position WHERE id = :id"),
                    {"id": water.id},
                )
                row = other.execute(
                    text("SELECT reserved FROM donation_option WHERE id = :id"), {"id": water.id}
                ).scalar_one()
            other.rollback()
            # Not back to the pool: a later test's writer must wait, not fail at once.
            other.invalidate()
    finally:
        release.set()
        giving.join(30)
        fake_stripe.on_request = None

    assert row == 3  # the units were held and committed before Stripe was asked
    [answer] = answers
    assert answer.status_code == 303
    db.session.expire_all()
    donation = db.session.scalars(select(Donation)).one()
    assert donation.provider_session_id in answer.headers["Location"]
    assert reserved(water) == 3
