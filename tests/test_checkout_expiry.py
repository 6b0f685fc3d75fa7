"""Every checkout expires after CHECKOUT_EXPIRES_MINUTES: Stripe sessions carry
``expires_at``, demo checkouts close, and `flask stripe reconcile` releases the stock of
pending gifts past their expiry, asking the provider first, exactly once beside the
``checkout.session.expired`` webhook."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from campaigns import create_app
from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import Donation, DonationOption
from campaigns.models.base import utcnow
from campaigns.payments.stripe_provider import StripeProvider
from campaigns.services.giving.donations import GiftForm, start_donation, validate_gift
from tests.giving import csrf_token, donate
from tests.markup import parse
from tests.payments_fixtures import (
    WEBHOOK_SECRET,
    entries_of,
    isolated,
    reloaded,
    thank_you_urls,
)

MINUTE = 60


def reserved(option: DonationOption) -> int:
    db.session.expire_all()
    return db.session.get(DonationOption, option.id).reserved


@pytest.fixture
def water(make_campaign, make_option):
    """A limited option with no names to give: 50 water tanks."""
    campaign = make_campaign("water")
    return make_option(campaign, "Water tank", unit_price=100_00, stock=50)


@pytest.fixture
def later(monkeypatch):
    """Move the app's clock (the one reconcile reads) ``minutes`` ahead."""

    def move(minutes: int) -> None:
        moment = utcnow() + timedelta(minutes=minutes)
        monkeypatch.setattr("campaigns.services.giving.reconcile.utcnow", lambda: moment)

    return move


@pytest.fixture
def reconcile(runner, stripe_provider):
    def run() -> str:
        result = isolated(runner.invoke, args=["stripe", "reconcile", "--since", "72h"])
        assert result.exit_code == 0, result.output
        return result.output

    return run


# -- the setting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CHECKOUT_EXPIRES_MINUTES", "29", "CHECKOUT_EXPIRES_MINUTES must be from 30 to 1440"),
        ("CHECKOUT_EXPIRES_MINUTES", "1441", "CHECKOUT_EXPIRES_MINUTES must be from 30 to 1440"),
        ("CHECKOUT_EXPIRES_MINUTES", "half an hour", "must be a whole number"),
        ("CHECKOUT_EXPIRES_MINUTES", "³⁰", "must be a whole number"),
        ("MAX_HELD_UNITS", "0", "MAX_HELD_UNITS must be 1 or more"),
        ("MAX_HELD_UNITS", "-3", "MAX_HELD_UNITS must be a whole number"),
    ],
)
def test_a_bad_setting_stops_the_app_with_one_line(app, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)

    with pytest.raises(RuntimeError) as refused:
        create_app("testing")

    assert message in str(refused.value)
    assert str(refused.value).startswith("Refusing to start: ")
    assert "\n" not in str(refused.value)


def test_the_settings_default_to_stripes_minimum_and_fourteen_units(app):
    assert (app.config["CHECKOUT_EXPIRES_MINUTES"], app.config["MAX_HELD_UNITS"]) == (30, 14)


# -- what the providers are asked for ------------------------------------------------------


@pytest.mark.parametrize("minutes", [30, 90, 1440])
def test_a_stripe_session_expires_with_its_donation(
    app, pending_donation, fake_stripe, configure, minutes
):
    configure(CHECKOUT_EXPIRES_MINUTES=minutes)
    before = time.time()

    donation = pending_donation(amount="250")

    [call] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    sent = int(call.params["expires_at"])
    expires = donation.expires_at.timestamp()
    assert before + minutes * MINUTE <= expires <= time.time() + minutes * MINUTE
    # Inside Stripe's window with room for the request's travel: never before the
    # donation's own expiry, except at 24 hours where Stripe's ceiling comes first.
    assert before + 30 * MINUTE < sent <= time.time() + 24 * 60 * MINUTE
    assert sent >= int(expires) or minutes == 1440
    assert fake_stripe.object(donation.provider_session_id)["expires_at"] == sent


def test_a_demo_checkout_past_its_expiry_says_so_and_releases_the_stock(client, app, water):
    answer = donate(client, "water", option=str(water.id), quantity="3")
    page = answer.headers["Location"]
    assert reserved(water) == 3
    provider = app.extensions["payment_provider"]
    own_clock = provider.clock
    provider.clock = lambda: own_clock() + timedelta(minutes=31)
    try:
        shown = parse(isolated(client.get, page).data)
        token = csrf_token(client, "water")
        paid = isolated(client.post, f"{page}/pay", data={"csrf_token": token})
    finally:
        provider.clock = own_clock

    assert "This checkout has expired" in shown.find("section", "demo-checkout").text
    assert shown.find_all("button") == []  # no Pay button any more
    assert paid.status_code == 303
    db.session.expire_all()
    donation = db.session.scalars(select(Donation)).one()
    assert donation.status == "expired"
    assert reserved(water) == 0
    assert entries_of(donation.campaign) == []  # paying after the expiry took nothing


def test_a_demo_checkout_in_time_can_still_be_paid(client, app, water):
    answer = donate(client, "water", option=str(water.id), quantity="3")
    provider = app.extensions["payment_provider"]
    own_clock = provider.clock
    provider.clock = lambda: own_clock() + timedelta(minutes=29)
    try:
        shown = parse(isolated(client.get, answer.headers["Location"]).data)
    finally:
        provider.clock = own_clock

    assert len(shown.find_all("button")) == 3  # pay, decline, cancel
    assert reserved(water) == 3


# -- reconcile ------------------------------------------------------------------------


def test_reconcile_expires_an_open_session_at_stripe_first_then_releases_once(
    pending_donation, water, fake_stripe, reconcile, later, deliver
):
    donation = pending_donation(option=water, quantity=4)
    session_id = donation.provider_session_id
    assert "0 checkout(s) repaired." in reconcile()  # not overdue yet: left alone
    assert reserved(water) == 4

    later(31)
    output = reconcile()

    assert f"repaired {session_id} (donation {donation.token}): expired" in output
    assert len(fake_stripe.calls("POST", f"/v1/checkout/sessions/{session_id}/expire")) == 1
    assert fake_stripe.object(session_id)["status"] == "expired"
    assert reloaded(donation).status == "expired"
    assert reserved(water) == 0

    # Stripe's webhook for that expiry, and another run: the stock is released once.
    assert deliver("checkout.session.expired", fake_stripe.object(session_id)).status_code == 200
    assert "0 checkout(s) repaired." in reconcile()
    assert reserved(water) == 0


def test_the_webhook_first_then_reconcile_releases_once(
    pending_donation, water, fake_stripe, reconcile, later, deliver
):
    donation = pending_donation(option=water, quantity=4)
    kept = pending_donation(option=water, quantity=2, email="other@example.org")
    fake_stripe.complete_session(kept.provider_session_id)
    deliver("checkout.session.completed", fake_stripe.object(kept.provider_session_id))
    session = fake_stripe.expire_session(donation.provider_session_id)

    assert deliver("checkout.session.expired", session).status_code == 200
    assert reserved(water) == 2
    later(31)
    assert "0 checkout(s) repaired." in reconcile()

    assert reloaded(donation).status == "expired"
    assert reserved(water) == 2  # the paid gift's units stay sold


def test_reconcile_fulfils_an_overdue_gift_the_donor_paid_after_all(
    pending_donation, water, fake_stripe, reconcile, later
):
    donation = pending_donation(option=water, quantity=4)
    session = fake_stripe.complete_session(donation.provider_session_id)

    later(31)
    output = reconcile()

    assert f"repaired {session['id']} (donation {donation.token}): paid" in output
    assert fake_stripe.calls("POST", f"/v1/checkout/sessions/{session['id']}/expire") == []
    assert reloaded(donation).status == "paid"
    assert reserved(water) == 4  # sold, not released
    assert entries_of(water.campaign) == [("payment", 400_00, 4, session["payment_intent"])]


class StoppedWhileAsking(StripeProvider):
    """The worker dies after the gift and its stock were committed, before Stripe
    answered (a deploy, an out-of-memory kill): the exception stands for the process end."""

    def create_checkout(self, request):
        raise SystemExit("worker killed")


def test_a_gift_stopped_before_its_checkout_is_released_by_reconcile(
    app, water, fake_stripe, reconcile, later, stripe_provider, settings
):
    app.extensions["payment_provider"] = StoppedWhileAsking(
        fake_stripe.api_key, WEBHOOK_SECRET, fake_stripe.url
    )
    form = GiftForm(option=str(water.id), quantity="6", name="Ayşe", email="a@example.org")
    gift = validate_gift(db.session, water.campaign, form, locale="en", today=local_today())
    with pytest.raises(SystemExit):
        start_donation(
            db.session,
            app.extensions["payment_provider"],
            settings,
            water.campaign,
            gift,
            thank_you_urls,
            commit=db.session.commit,
        )
    db.session.rollback()
    app.extensions["payment_provider"] = stripe_provider
    [donation] = db.session.scalars(select(Donation)).all()
    assert (donation.status, donation.provider_session_id) == ("pending", None)
    assert reserved(water) == 6  # held, with an expiry

    assert "0 checkout(s) repaired." in reconcile()
    later(31)
    output = reconcile()

    assert f"repaired - (donation {donation.token}): expired" in output
    assert reloaded(donation).status == "expired"
    assert reserved(water) == 0
