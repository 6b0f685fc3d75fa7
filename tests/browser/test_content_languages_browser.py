"""What the charity writes, read in Turkish and Arabic in Chromium: on the home page, every
campaign page with its donation form, a report, the thank-you page and the staff edit
page, no English text shows where a translation exists; a text not yet translated shows
in English marked lang="en" dir="ltr"; axe-core finds nothing. Screenshots are saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from campaigns.demo import load_demo
from campaigns.demo.data import demo_data
from campaigns.extensions import db
from campaigns.models import Campaign
from campaigns.services.content import campaign_editing
from tests.browser.axe import axe_violations
from tests.browser.conftest import DESKTOP, MOBILE
from tests.conftest import empty_tables
from tests.receipting import paid_donation
from tests.staff_fixtures import PASSWORD, create_account

pytestmark = [pytest.mark.browser, pytest.mark.shared_data]

STAFF_EMAIL = "translator@example.org"
# The one text left untranslated: the Qurban campaign's Arabic summary.
FALLBACK_CAMPAIGN = "qurban"


@dataclass(frozen=True)
class Site:
    campaign_id: int
    report_slug: str
    thanks: dict[str, str]  # language -> thank-you page of a gift made in it


@pytest.fixture(scope="module")
def site(app: Flask) -> Iterator[Site]:
    try:
        yield build_site(app)
    finally:
        empty_tables(app)


def build_site(app: Flask) -> Site:
    with app.test_request_context():
        load_demo(db.session, donations=0)
        db.session.commit()
        qurban = db.session.scalars(select(Campaign).filter_by(slug=FALLBACK_CAMPAIGN)).one()
        # As an editor would: clear the Arabic summary on the edit page.
        form = campaign_editing.campaign_form(qurban, "en")
        form.translations = form.translations | {
            "ar": {k: v for k, v in form.translations["ar"].items() if k != "summary"}
        }
        campaign_editing.save_campaign(
            db.session,
            form,
            locale="en",
            actor=None,
            folder=app.config["UPLOAD_FOLDER"],
            campaign=qurban,
            languages=("tr", "ar"),
        )
        db.session.commit()
        thanks = {
            lang: f"/donations/{paid_donation(qurban, locale=lang).token}/thanks?lang={lang}"
            for lang in ("en", "tr", "ar")
        }
        site = Site(qurban.id, demo_data().reports[2].slug, thanks)
    create_account(app, "editor", STAFF_EMAIL)
    return site


def english_texts() -> set[str]:
    """What the demo says in English, each translated into Turkish and Arabic."""
    data = demo_data()
    texts = set()
    for c in data.campaigns:
        texts |= {c.title, c.summary, c.cover_alt}
        texts |= {o.label for o in c.options} | {o.description for o in c.options}
    for r in data.reports:
        texts |= {r.title, r.summary}
        texts |= {f.label for f in r.figures}
    return texts


def fallback_summary() -> str:
    return next(c.summary for c in demo_data().campaigns if c.slug == FALLBACK_CAMPAIGN)


def check(page: Page, path: str, lang: str, name: str, shots) -> list[str]:
    """Open ``path``; fail on English shown where a translation exists; return what axe
    finds. Saves a full-page screenshot."""
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    expect(page.locator("html")).to_have_attribute("lang", lang)
    text = page.locator("main").inner_text()
    allowed = {fallback_summary()} if lang == "ar" else set()
    if lang != "en":
        shown = sorted(t for t in english_texts() - allowed if t in text)
        assert shown == [], f"English on {path}: {shown}"
        images = page.locator("main img[alt]").evaluate_all("es => es.map(e => e.alt)")
        english_alts = sorted(alt for alt in images if alt in english_texts())
        assert english_alts == [], f"English alt text on {path}: {english_alts}"
    page.screenshot(path=shots / f"{lang}-{name}.png", full_page=True)
    return axe_violations(page)


def sign_in(page: Page, lang: str) -> None:
    page.goto(f"/staff/login?lang={lang}")
    page.locator("#email").fill(STAFF_EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.staff-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "tr", "ar"])
def test_pages_speak_the_readers_language_with_fallbacks_marked(site, page, lang, screenshot_dir):
    found = {}
    found["home"] = check(page, f"/?lang={lang}", lang, "home", screenshot_dir)
    for spec in demo_data().campaigns:
        path = f"/campaigns/{spec.slug}"
        found[path] = check(page, path, lang, spec.slug, screenshot_dir)
        # The donation form, with its options in the reader's language.
        labels = set(page.locator("form.give-form .choice-label").all_inner_texts())
        english = {o.label for o in spec.options}
        assert english <= labels if lang == "en" else not labels & english
    path = f"/reports/{site.report_slug}"
    found[path] = check(page, path, lang, "report", screenshot_dir)
    found["thanks"] = check(page, site.thanks[lang], lang, "thanks", screenshot_dir)

    page.goto(f"/campaigns/{FALLBACK_CAMPAIGN}")
    lead = page.locator(".campaign .lead")
    if lang == "ar":
        expect(lead).to_have_text(fallback_summary())
        expect(lead).to_have_attribute("lang", "en")
        expect(lead).to_have_attribute("dir", "ltr")
    else:
        assert lead.get_attribute("lang") is None

    sign_in(page, lang)
    path = f"/staff/campaigns/{site.campaign_id}"
    response = page.goto(path)
    assert response is not None and response.status == 200
    arabic_title = page.locator("input[name='ar-title']")
    expect(arabic_title).to_have_attribute("lang", "ar")
    expect(arabic_title).to_have_attribute("dir", "rtl")
    expect(arabic_title).to_have_value("الأضاحي")
    expect(page.locator("input[name='tr-title']")).to_have_value("Kurban Bayramı hisseleri")
    # Arabic lacks the summary (named as its field is, in the staff's language); Turkish
    # lacks nothing.
    summary = page.locator("label[for='summary']").inner_text()
    expect(page.locator("#language-ar .translation-status")).to_contain_text(summary)
    expect(page.locator("#language-tr .translation-status")).not_to_contain_text(summary)
    page.screenshot(path=screenshot_dir / f"{lang}-staff-edit.png", full_page=True)
    found[path] = axe_violations(page)

    problems = [f"{where}: {line}" for where, lines in found.items() for line in lines]
    assert problems == [], "axe-core found:\n" + "\n".join(problems)
