"""Accessibility in Chromium, in English, Turkish and Arabic: axe-core (WCAG 2.0, 2.1 and
2.2, levels A and AA) finds nothing on any public or staff page, forms with errors
included; a gift can be made with the keyboard alone; Arabic pages read right to left.

The demo data is loaded once for the whole module (marked shared_data, so the per-test
cleanup keeps it) and emptied when the module is done; the tests only add to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from campaigns.demo import load_demo
from campaigns.extensions import db
from campaigns.models import ActivityReport, Campaign, Donation, OutboxMessage
from campaigns.services.books import receipts
from campaigns.services.giving import donors
from tests.browser.axe import axe_violations
from tests.browser.conftest import DESKTOP
from tests.conftest import empty_tables
from tests.receipting import paid_donation
from tests.staff_fixtures import PASSWORD, create_account

pytestmark = [pytest.mark.browser, pytest.mark.shared_data]

LANGUAGES = ("en", "tr", "ar")
CAMPAIGN = "qurban"
DONOR_EMAIL = "leyla.axe@example.org"
STAFF_EMAIL = "axe.admin@example.org"
SIGN_IN_LINK = re.compile(r"https?://[^/\s]+(/donor/\S+)")


@dataclass(frozen=True)
class Site:
    """What the pages under test are about: ids and addresses in the shared demo data."""

    campaign_id: int
    option_id: int
    report_slug: str
    report_id: int
    donation_id: int
    thanks_path: str
    receipt_number: str
    receipt_code: str
    donor_path: str


@pytest.fixture(scope="module")
def site(app: Flask) -> Iterator[Site]:
    """The demo site, a paid gift with its receipt, a donor's sign-in link and a staff
    admin; all rows are removed when the module ends."""
    try:
        yield build_site(app)
    finally:  # a failed setup must not leave its rows to the next module either
        empty_tables(app)


def build_site(app: Flask) -> Site:
    settings = app.extensions["settings"]
    with app.test_request_context():
        load_demo(db.session)
        db.session.commit()
        campaign = db.session.scalars(select(Campaign).filter_by(slug=CAMPAIGN)).one()
        report = db.session.scalars(
            select(ActivityReport).filter_by(published=True).order_by(ActivityReport.id)
        ).first()
        gift = paid_donation(campaign, donor_email=DONOR_EMAIL, donor_name="Leyla Kaya")
        form = donors.SignInLinkForm(email=DONOR_EMAIL)
        donors.request_sign_in_link(db.session, settings, form, "en")
        db.session.commit()
        link = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.key.startswith("donor-link:"))
        ).one()
        site = Site(
            campaign_id=campaign.id,
            option_id=campaign.options[0].id,
            report_slug=report.slug,
            report_id=report.id,
            donation_id=gift.id,
            thanks_path=f"/donations/{gift.token}/thanks",
            receipt_number=receipts.live_receipt(db.session, gift).number,
            receipt_code=receipts.check_code(
                settings.receipts, receipts.live_receipt(db.session, gift).number
            ),
            donor_path=SIGN_IN_LINK.search(link.body_text).group(1),
        )
    create_account(app, "admin", STAFF_EMAIL)
    return site


def in_language(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def open_page(page: Page, path: str, status: int = 200) -> None:
    """Go to ``path`` and check its status: a lighter ``visit`` (no screenshots, no wait
    for lazy images), as axe needs only the document."""
    response = page.goto(path)
    assert response is not None and response.status == status, (path, response)


def assert_no_violations(found: dict[str, list[str]]) -> None:
    """``found`` maps each page checked to what axe found there."""
    problems = [f"{page}: {line}" for page, lines in found.items() for line in lines]
    assert problems == [], "axe-core found:\n" + "\n".join(problems)


PUBLIC_PAGES = {
    "home": lambda site: "/",
    "campaign": lambda site: f"/campaigns/{CAMPAIGN}",
    "reports": lambda site: "/reports",
    "report": lambda site: f"/reports/{site.report_slug}",
    "thanks": lambda site: site.thanks_path,
    "donor": lambda site: "/donor",
    "donor-gifts": lambda site: site.donor_path,
    "receipt-verify": lambda site: f"/receipts/verify/{site.receipt_number}",
    "receipt-verify-code": lambda site: (
        f"/receipts/verify/{site.receipt_number}?c={site.receipt_code}"
    ),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_page_has_no_accessibility_violations(site, page, name, lang):
    open_page(page, in_language(PUBLIC_PAGES[name](site), lang))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_no_violations({name: axe_violations(page)})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_not_found_page_has_no_accessibility_violations(
    site, page, lang, live_server, browser_problems
):
    path = in_language("/campaigns/no-such-campaign", lang)
    browser_problems.expected_status.add(live_server + path)
    open_page(page, path, status=404)
    assert_no_violations({"404": axe_violations(page)})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_giving_journey_has_no_accessibility_violations(
    site, page, lang, live_server, browser_problems
):
    """The form sent empty (errors), filled in, the demo checkout, the thank-you page."""
    browser_problems.expected_status.add(f"{live_server}/campaigns/{CAMPAIGN}/donate")
    found = {}
    open_page(page, in_language(f"/campaigns/{CAMPAIGN}", lang))
    form = page.locator("form.give-form")
    form.locator(".give-next a").click()  # step 2: who gives
    found["second step"] = axe_violations(page)
    form.locator("button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_focused()
    found["form with errors"] = axe_violations(page)

    form.locator("#option-amount").check()
    form.locator("#amount").fill("250")
    form.locator("#name").fill("Leyla Kaya")
    form.locator("#email").fill(DONOR_EMAIL)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/demo-checkout/"))
    found["demo checkout"] = axe_violations(page)

    page.locator("form[action$='/pay'] button").click()
    expect(page).to_have_url(re.compile(r"/thanks\?"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    found["thank-you"] = axe_violations(page)
    assert_no_violations(found)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_donor_and_staff_sign_in_forms_with_errors_have_no_violations(
    site, page, lang, live_server, browser_problems
):
    # Refused forms answer 400 and 401, which Chromium logs as failed loads.
    browser_problems.expected_status.update(
        (f"{live_server}/donor", f"{live_server}{in_language('/staff/login', lang)}")
    )
    found = {}
    open_page(page, in_language("/donor", lang))
    page.locator("form.donor-sign-in button[type=submit]").click()
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    found["donor form with errors"] = axe_violations(page)

    open_page(page, in_language("/staff/login", lang))
    found["staff sign-in"] = axe_violations(page)
    page.locator("form.staff-form button[type=submit]").click()
    email = page.locator("#email")
    expect(email).to_have_attribute("aria-invalid", "true")
    error = page.locator(f"#{email.get_attribute('aria-describedby')}")
    expect(error).to_have_class(re.compile("field-error"))
    found["staff sign-in with errors"] = axe_violations(page)

    email.fill(STAFF_EMAIL)
    page.locator("#password").fill("not the password")
    page.locator("form.staff-form button[type=submit]").click()
    # Which of the two was wrong is not said: the refusal is announced for the form.
    expect(page.get_by_role("alert")).to_have_count(1)
    found["staff sign-in refused"] = axe_violations(page)
    assert_no_violations(found)


def staff_pages(app: Flask, site: Site) -> list[str]:
    """Every staff page a GET without arguments shows (read from the app's routes, so a
    new page is checked too), and the pages of one campaign, option, donation and report."""
    plain = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff.")
        and "GET" in rule.methods
        and not rule.arguments
        and rule.endpoint not in ("staff.login", "staff.donations_csv", "staff.donations_xlsx")
    )
    return [
        *plain,
        f"/staff/campaigns/{site.campaign_id}",
        f"/staff/campaigns/{site.campaign_id}/options/{site.option_id}",
        f"/staff/campaigns/{site.campaign_id}/options/new",
        f"/staff/campaigns/{site.campaign_id}/gifts/new",
        f"/staff/donations/{site.donation_id}",
        f"/staff/reports/{site.report_id}",
    ]


def sign_in_as_staff(page: Page, lang: str) -> None:
    """Through the real sign-in form, as the module's admin."""
    page.goto(in_language("/staff/login", lang))
    page.locator("#email").fill(STAFF_EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.staff-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


@pytest.mark.parametrize("viewport", [DESKTOP], ids=["desktop"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_staff_page_has_no_accessibility_violations(app, site, page, lang):
    sign_in_as_staff(page, lang)
    found = {}
    for path in staff_pages(app, site):
        open_page(page, path)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        found[path] = axe_violations(page)
    assert len(found) >= 12
    assert_no_violations(found)


def tab_to(page: Page, selector: str, limit: int = 150) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.parametrize("lang", ["tr"])
def test_a_gift_can_be_made_with_the_keyboard_alone(
    site, app_ctx, visit, page, lang, screenshot_dir
):
    """Tab, Space, Enter and typing only: skip link, the form, the checkout, thank you."""
    visit(in_language(f"/campaigns/{CAMPAIGN}", lang))
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # The form opens on the first option: Tab reaches the chosen radio, the arrows move
    # the choice along the group to "Another amount".
    tab_to(page, "input[name=option]:checked")
    for _ in range(10):
        if page.locator("#option-amount").evaluate("e => e === document.activeElement"):
            break
        page.keyboard.press("ArrowDown")
    expect(page.locator("#option-amount")).to_be_checked()
    tab_to(page, "#amount")
    page.keyboard.type("1.250,50")
    tab_to(page, ".give-next a")
    page.keyboard.press("Enter")  # step 2 opens, its first field focused
    expect(page.locator("#give-details :focus")).to_have_count(1)
    tab_to(page, "#name")
    page.keyboard.type("Elif Şahin")
    tab_to(page, "#email")
    page.keyboard.type("elif.keyboard@example.org")
    tab_to(page, "form.give-form button[type=submit]")
    page.screenshot(path=screenshot_dir / "02-submit-focused.png")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/demo-checkout/"))
    expect(page.locator(".demo-summary")).to_contain_text("₺1.250,50")
    tab_to(page, "form[action$='/pay'] button")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/thanks\?"))
    page.screenshot(path=screenshot_dir / "03-thanks.png", full_page=True)
    db.session.expire_all()
    gift = db.session.scalars(
        select(Donation).filter_by(donor_email="elif.keyboard@example.org")
    ).one()
    assert (gift.status, gift.amount, gift.locale) == ("paid", 1250_50, "tr")


def test_axe_reports_what_it_should(site, page):
    """The harness itself: an image without a text alternative is reported."""
    open_page(page, "/")
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")
    assert any(line.startswith("image-alt ") for line in axe_violations(page))


def test_motion_stops_for_readers_who_ask_for_less(site, page):
    """Smooth scrolling (the skip link, the error summary's links) and any transition
    only for those who have not asked their system for reduced motion."""
    style = "getComputedStyle(document.documentElement).scrollBehavior"
    page.emulate_media(reduced_motion="no-preference")
    open_page(page, f"/campaigns/{CAMPAIGN}")
    assert page.evaluate(style) == "smooth"

    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(style) == "auto"
    durations = page.evaluate(
        """[...document.querySelectorAll('a, button, input, .progress-bar')]
             .map(e => parseFloat(getComputedStyle(e).transitionDuration))"""
    )
    assert durations and max(durations) <= 0.001
