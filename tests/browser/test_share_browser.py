"""Sharing and trust in Chromium, at 1280x800 and 390x844, in English, Turkish and
Arabic: the thank-you page after a Qurban gift (what it does, what happens next, share
links, "Copy link"), About, Privacy, the embed page framed by another page, and the
campaign page's share block. axe-core finds nothing; screenshots of each land in
/work/wt/shots/share/ for a person to look at.

The demo data is loaded once for the module (shared_data) and emptied when it ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from campaigns.demo import load_demo
from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import Campaign, Donation
from campaigns.services.giving.donations import GiftForm, start_donation, validate_gift
from campaigns.services.giving.settlement import fulfill_checkout
from campaigns.services.mail.news import unsubscribe_url
from tests.browser.axe import axe_violations
from tests.browser.conftest import DESKTOP, MOBILE
from tests.conftest import empty_tables
from tests.payments_fixtures import thank_you_urls

pytestmark = [pytest.mark.browser, pytest.mark.shared_data]

SHOTS = Path("/work/wt/shots/share")
LANGUAGES = ("en", "tr", "ar")
VIEWPORTS = {"1280": DESKTOP, "390": MOBILE}


@pytest.fixture(scope="module")
def thanks_path(app: Flask) -> Iterator[str]:
    """The demo site and a paid gift of two Qurban shares, named; its thank-you page."""
    try:
        with app.test_request_context():
            load_demo(db.session)
            db.session.commit()
            qurban = db.session.scalars(select(Campaign).filter_by(slug="qurban")).one()
            form = GiftForm(
                option=str(qurban.options[0].id),
                quantity="2",
                name="Leyla Kaya",
                email="leyla.share@example.org",
                on_behalf=["Leyla Kaya", "Murat Kaya"],
                dedication="In memory of my grandmother",
                designation="sacrifice",
                proxy=True,
            )
            gift = validate_gift(db.session, qurban, form, locale="en", today=local_today())
            provider = app.extensions["payment_provider"]
            settings = app.extensions["settings"]
            donation, _url = start_donation(
                db.session,
                provider,
                settings,
                qurban,
                gift,
                thank_you_urls,
                commit=db.session.commit,
            )
            provider.pay(donation.provider_session_id)
            fulfill_checkout(db.session, provider, settings, donation.provider_session_id)
            db.session.commit()
            yield f"/donations/{donation.token}/thanks"
    finally:
        empty_tables(app)


def look(page: Page, path: str, shot: str) -> list[str]:
    """Open ``path``, save a full-page screenshot named ``shot``, return axe's findings."""
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{shot}.png", full_page=True)
    return [f"{path}: {line}" for line in axe_violations(page)]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("width", VIEWPORTS)
def test_after_paying_trust_and_embed_pages_pass_axe(
    thanks_path, browser, page, live_server, lang, width
):
    page.set_viewport_size(VIEWPORTS[width])
    found = look(page, f"{thanks_path}?lang={lang}", f"thanks-{lang}-{width}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator(".thanks-next")).to_be_visible()
    expect(page.locator(".thanks-does")).to_contain_text("2")
    # share.js shows "Copy link" where the clipboard can be written to (a secure context).
    expect(page.locator(".share-copy")).to_be_visible()

    found += look(page, f"/about?lang={lang}", f"about-{lang}-{width}")
    found += look(page, f"/privacy?lang={lang}", f"privacy-{lang}-{width}")
    found += look(page, f"/embed/campaigns/qurban?lang={lang}", f"embed-{lang}-{width}")
    found += look(page, f"/campaigns/qurban?lang={lang}", f"campaign-{lang}-{width}")
    page.locator(".share").scroll_into_view_if_needed()
    page.locator(".share").screenshot(path=SHOTS / f"campaign-share-{lang}-{width}.png")

    assert found == [], "axe-core found:\n" + "\n".join(found)


def test_copy_link_puts_the_campaign_address_on_the_clipboard(thanks_path, page, live_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/campaigns/qurban?lang=tr")

    page.get_by_role("button", name="Bağlantıyı kopyala").click()

    expect(page.locator(".share-status")).to_have_text("Bağlantı kopyalandı")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_server}/campaigns/qurban?lang=tr"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_unsubscribe_link_asks_once_then_stops_news(app, thanks_path, page, lang):
    token = thanks_path.split("/")[2]
    with app.app_context():
        gift = db.session.scalars(select(Donation).filter_by(token=token)).one()
        path = urlsplit(unsubscribe_url(app.extensions["settings"], gift.id)).path

    found = look(page, f"{path}?lang={lang}", f"unsubscribe-{lang}-390")
    page.locator("form button").click()
    expect(page.locator("h1")).not_to_have_text(re.compile(r"\?|؟"))
    page.screenshot(path=SHOTS / f"unsubscribed-{lang}-390.png", full_page=True)
    found += [f"after: {line}" for line in axe_violations(page)]

    assert found == [], "axe-core found:\n" + "\n".join(found)


def test_another_site_can_frame_the_embed_page_but_not_the_campaign_page(
    thanks_path, page, live_server, browser_problems
):
    """A page frames both: the embed page loads in its frame; Chromium refuses to frame
    the campaign page (frame-ancestors 'none') and says so on the console."""
    page.goto("/about")  # a document to hold the frames
    with page.expect_console_message(lambda m: "frame-ancestors 'none'" in m.text):
        page.set_content(
            f'<iframe id="embed" src="{live_server}/embed/campaigns/qurban" title="e"></iframe>'
            f'<iframe id="page" src="{live_server}/campaigns/qurban" title="p"></iframe>'
        )
    embed = page.frame_locator("#embed")
    expect(embed.locator("h1")).to_be_visible()
    expect(embed.locator(".embed-give a")).to_have_attribute("target", "_blank")
    expect(page.frame_locator("#page").locator("#give")).to_have_count(0)
    # The refusal asked for above is the one console error expected here.
    browser_problems.errors = [e for e in browser_problems.errors if "frame-ancestors" not in e]
