"""Card-testing defence: POST /campaigns/<slug>/donate is rate-limited per client address,
with a clear 429 page; behind a proxy the address comes from X-Forwarded-For only when
TRUSTED_PROXIES says how many proxies to trust."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import config as settings
from campaigns import create_app
from campaigns.extensions import csrf, db, limiter
from campaigns.models import Donation
from tests.giving import csrf_token, post_gift
from tests.markup import parse

LIMIT = 3
# A gift the form refuses (below the minimum): it costs an attempt but stores nothing.
REFUSED = {"option": "", "amount": "1"}
GOOD = {"option": "", "amount": "50"}


@pytest.fixture
def small_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "DONATE_RATE_LIMIT", f"{LIMIT} per minute")


@pytest.fixture
def appeal(make_campaign):
    return make_campaign("appeal")


def attempts(client, token: str, count: int, fields: dict = REFUSED, **kwargs) -> list[int]:
    """Post the form ``count`` times; the status codes."""
    return [post_gift(client, "appeal", token, fields, **kwargs).status_code for _ in range(count)]


def donations() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Donation))


def test_too_many_attempts_get_a_clear_429_page_and_store_nothing(client, appeal, small_limit):
    token = csrf_token(client, "appeal")

    assert attempts(client, token, LIMIT) == [422] * LIMIT
    response = post_gift(client, "appeal", token, GOOD)

    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    page = parse(response.data)
    assert page.find("h1").text == "Too many requests"
    text = page.find("main").text
    assert "Please wait a few minutes, then try again." in text
    assert page.find("a", "button").attrs["href"] == "/"
    assert donations() == 0


def test_the_limit_is_per_client_address(client, appeal, small_limit):
    token = csrf_token(client, "appeal")
    attempts(client, token, LIMIT, environ_base={"REMOTE_ADDR": "198.51.100.1"})

    blocked = post_gift(client, "appeal", token, GOOD, environ_base={"REMOTE_ADDR": "198.51.100.1"})
    other = post_gift(client, "appeal", token, GOOD, environ_base={"REMOTE_ADDR": "198.51.100.2"})

    assert (blocked.status_code, other.status_code) == (429, 303)
    assert donations() == 1


def test_reading_the_campaign_page_is_not_limited(client, appeal, small_limit):
    statuses = {client.get("/campaigns/appeal").status_code for _ in range(LIMIT * 3)}

    assert statuses == {200}


def test_without_trusted_proxies_a_forged_forwarded_for_gets_no_fresh_quota(
    client, app, appeal, small_limit
):
    assert app.config["TRUSTED_PROXIES"] == 0
    token = csrf_token(client, "appeal")
    forged = [{"headers": {"X-Forwarded-For": f"203.0.113.{n}"}} for n in range(1, LIMIT + 2)]

    statuses = [post_gift(client, "appeal", token, REFUSED, **f).status_code for f in forged]

    assert statuses == [422] * LIMIT + [429]


@pytest.fixture
def proxied_app(app):
    """The app as deployed behind one proxy (TRUSTED_PROXIES=1), on the same database."""
    config = settings.TestingConfig()
    config.TRUSTED_PROXIES = 1
    config.DONATE_RATE_LIMIT = f"{LIMIT} per minute"
    behind_proxy = create_app(config)
    yield behind_proxy
    with behind_proxy.app_context():
        db.session.remove()
        db.engine.dispose()


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(proxied_app, appeal):
    client = proxied_app.test_client()
    token = csrf_token(client, "appeal")
    donor = {"headers": {"X-Forwarded-For": "203.0.113.7"}}
    neighbour = {"headers": {"X-Forwarded-For": "203.0.113.8"}}
    # A client may prepend anything; only the address the proxy appended counts.
    spoofed = {"headers": {"X-Forwarded-For": "10.0.0.1, 203.0.113.7"}}

    assert attempts(client, token, LIMIT, **donor) == [422] * LIMIT
    assert post_gift(client, "appeal", token, REFUSED, **spoofed).status_code == 429
    assert post_gift(client, "appeal", token, REFUSED, **neighbour).status_code == 422


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DONATE_RATE_LIMIT", "5 per minute")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")

    config = settings.Config()

    assert (config.DONATE_RATE_LIMIT, config.RATELIMIT_ENABLED) == ("5 per minute", False)
    monkeypatch.delenv("RATELIMIT_ENABLED")
    assert settings.Config().RATELIMIT_ENABLED is True


@pytest.fixture
def app_with_a_limited_page():
    """A fresh app with one more view, limited to one request a minute for every method."""
    limited = create_app(settings.TestingConfig())
    limited.add_url_rule(
        "/limited-page",
        "limited_page",
        csrf.exempt(limiter.limit("1 per minute")(lambda: "ok")),
        methods=["GET", "HEAD", "POST"],
    )
    yield limited
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


def test_reads_are_never_limited_and_writes_are(app_with_a_limited_page):
    # Reads skip the limiter before any of its bookkeeping (campaigns.extensions.WriteLimiter),
    # even where a limit names no methods.
    client = app_with_a_limited_page.test_client()
    assert [client.get("/limited-page").status_code for _ in range(3)] == [200] * 3
    assert client.head("/limited-page").status_code == 200
    assert [client.post("/limited-page").status_code for _ in range(2)] == [200, 429]


def test_stripes_deliveries_are_never_limited_even_by_an_operators_limit_on_every_write():
    """An operator may set a limit on every request (RATELIMIT_APPLICATION): it counts the
    donation form's posts, never Stripe's deliveries, which check their own signature and
    come in bursts (a refused one waits for Stripe's retry, hours later)."""
    config = settings.TestingConfig()
    config.RATELIMIT_APPLICATION = "1 per minute"
    config.WTF_CSRF_ENABLED = False  # so that the donation form's posts reach the limit
    app = create_app(config)
    client = app.test_client()
    try:
        forged = [
            client.post(
                "/webhooks/stripe", data="{}", headers={"Stripe-Signature": "t=1,v1=forged"}
            ).status_code
            for _ in range(3)
        ]
        donations = [client.post("/campaigns/none/donate").status_code for _ in range(2)]
    finally:
        # Flask-Limiter keeps an application's limit on the limiter, which every app of
        # the test run shares.
        limiter.limit_manager.set_application_limits([])
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    assert forged == [400] * 3
    assert donations == [404, 429]
