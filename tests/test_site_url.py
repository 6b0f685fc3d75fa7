"""Every absolute address the site hands out is built on SITE_URL, never on the request's
Host header, which the client chooses: a donate POST sent with ``Host: evil.example``
still sends the donor back to the charity's site, through either provider."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Donation, OutboxMessage
from campaigns.payments.demo_provider import demo_checkout
from tests.giving import DONOR, form_token
from tests.markup import parse
from tests.payments_fixtures import isolated

EVIL = "http://evil.example"


@pytest.fixture
def site(app) -> str:
    return app.config["SITE_URL"]


@pytest.fixture
def appeal(make_campaign):
    return make_campaign("appeal")


def forged(client, method: str, path: str, **kwargs):
    """A request whose Host header names another site (the test client sets it from
    ``base_url``; the session cookie follows that host)."""
    return isolated(getattr(client, method), path, base_url=EVIL, **kwargs)


def give_forged(client) -> str:
    """The donation form, read and posted with the forged Host; the redirect's target."""
    page = parse(forged(client, "get", "/campaigns/appeal").data)
    token = form_token(page.find("form", "give-form"))
    data = DONOR | {"csrf_token": token, "amount": "250"}
    response = forged(client, "post", "/campaigns/appeal/donate", data=data)
    assert response.status_code == 303, response.status_code
    return response.headers["Location"]


def test_the_demo_checkout_returns_the_donor_to_site_url(client, appeal, site):
    checkout = give_forged(client)

    assert urlsplit(checkout).netloc in ("", "evil.example")  # the checkout page itself
    success_url, cancel_url = db.session.execute(
        select(demo_checkout.c.success_url, demo_checkout.c.cancel_url)
    ).one()
    assert success_url.startswith(f"{site}/donations/")
    assert cancel_url == f"{site}/campaigns/appeal#give"
    page = parse(forged(client, "get", urlsplit(checkout).path).data)
    pay = next(f for f in page.find_all("form") if f.attrs["action"].endswith("/pay"))
    back = forged(client, "post", pay.attrs["action"], data={"csrf_token": form_token(pay)})
    assert back.headers["Location"].startswith(f"{site}/donations/")


def test_stripe_gets_return_urls_on_site_url(client, appeal, site, stripe_provider, fake_stripe):
    checkout = give_forged(client)

    [call] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    token = db.session.scalars(select(Donation.token)).one()
    assert call.params["success_url"] == (
        f"{site}/donations/{token}/thanks?session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert call.params["cancel_url"] == f"{site}/campaigns/appeal#give"
    assert "evil.example" not in checkout


def test_a_sign_in_link_asked_for_with_a_forged_host_points_at_site_url(client, give, site):
    give(email="ayse@example.org")
    page = parse(forged(client, "get", "/donor").data)
    data = {"csrf_token": form_token(page.find("form", "donor-sign-in")), "email": DONOR["email"]}

    assert forged(client, "post", "/donor", data=data).status_code == 303

    link = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.key.startswith("donor-link:"))
    ).one()
    assert f"{site}/donor/" in link.body_text
    assert "evil.example" not in link.body_text + link.body_html
