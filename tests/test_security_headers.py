"""Security headers on every kind of response, and pages the CSP can allow as they are:
no inline script, no inline style, no event-handler attributes. Session cookies follow
the secret key when it changes."""

from __future__ import annotations

import pytest
from flask import render_template
from itsdangerous import BadSignature
from werkzeug.exceptions import default_exceptions

from campaigns import create_app
from campaigns.extensions import db
from campaigns.models.campaign import CampaignStatus
from tests.markup import parse

HOSTILE_STORY = (
    "# Our appeal\n\n<script>alert(1)</script>\n\n<style>body{display:none}</style>\n\n"
    '<p style="color:red" onmouseover="alert(2)">hi</p>\n\n| a | b |\n|:-|-:|\n| 1 | 2 |'
)

PAGES = [
    "/",
    "/campaigns/wells",
    "/campaigns/closed-wells",
    "/reports",
    "/reports/wells-done",
    "/missing",
    "/campaigns/secret",
    "/reports?page=abc",
]


@pytest.fixture
def site(make_campaign, make_option, make_report, post_gift):
    """A site with something on every page: progress past its goal, options, reports."""
    wells = make_campaign(
        "wells",
        story=HOSTILE_STORY,
        cover_image="cover1.jpg",
        cover_alt="A well",
        unit_label="wells",
        units_goal=10,
        goal_amount=100_00,
    )
    make_campaign("closed-wells", status=CampaignStatus.CLOSED)
    make_campaign("secret", status=CampaignStatus.DRAFT)
    make_option(wells, "A well", stock=3)
    post_gift(wells, 150_00, units=3)
    make_report(
        "wells-done",
        campaigns=[wells],
        body=HOSTILE_STORY,
        figures=[("Wells", 3)],
        images=[("photo1.jpg", "A pump")],
    )


def assert_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("url", [*PAGES, "/api/v1/campaigns", "/api/v1/campaigns/missing"])
def test_every_response_carries_the_security_headers(client, site, url):
    response = client.get(url)

    assert_security_headers(response)


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_no_inline_script_or_style(client, site, url):
    response = client.get(url)

    assert response.mimetype == "text/html"
    page = parse(response.data)
    assert page.find_all("style") == []
    for script in page.find_all("script"):
        assert script.attrs.get("src"), "inline <script> would be blocked by the CSP"
    for element in page.iter():
        assert "style" not in element.attrs, f"style= on <{element.tag}>"
        assert not [name for name in element.attrs if name.startswith("on")], element.tag
        for name in ("href", "src"):
            assert not (element.attrs.get(name) or "").lower().startswith("javascript:")


def test_server_error_page_looks_like_the_site_and_keeps_the_headers(app):
    # A second app, because routes cannot be added to the shared one once it has served.
    broken = create_app("testing")
    broken.config["PROPAGATE_EXCEPTIONS"] = False

    @broken.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    try:
        response = broken.test_client().get("/boom")
    finally:
        with broken.app_context():
            db.engine.dispose()

    assert response.status_code == 500
    assert_security_headers(response)
    page = parse(response.data)
    assert page.find("h1").text == "Something went wrong on our side"
    assert page.find("a", "button").attrs["href"] == "/"
    assert "a bug" not in response.text


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500, 503])
def test_each_error_code_has_its_own_page(app, code):
    error = default_exceptions[code]()
    with app.test_request_context("/"):
        html = render_template("errors/error.html", error=error)

    page = parse(html)
    assert page.find("p", "error-code").text == f"Error {code}"
    assert page.find("h1").text and page.find("h1").text != error.name
    assert page.find("a", "button").attrs["href"] == "/"


def test_a_page_that_sets_its_own_header_keeps_it_and_gets_each_other_one_once(client):
    response = client.get("/donor")  # donor pages send no referrer at all

    assert response.status_code == 200
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    for name in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Permissions-Policy",
    ):
        assert len(response.headers.getlist(name)) == 1, name


def test_a_cached_campaign_page_carries_the_security_headers_once(client, site):
    client.get("/campaigns/wells")  # stores the page
    response = client.get("/campaigns/wells")

    assert_security_headers(response)
    assert len(response.headers.getlist("Content-Security-Policy")) == 1
    assert response.headers["X-Frame-Options"] == "DENY"


def test_sessions_follow_a_new_secret_key_and_its_fallbacks(app, monkeypatch):
    sessions, old_key = app.session_interface, app.secret_key
    cookie = sessions.get_signing_serializer(app).dumps({"csrf_token": "abc"})

    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret")
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    with pytest.raises(BadSignature):
        sessions.get_signing_serializer(app).loads(cookie)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    assert sessions.get_signing_serializer(app).loads(cookie) == {"csrf_token": "abc"}
