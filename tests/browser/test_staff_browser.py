"""The staff side in Chromium: no page scrolls sideways on a phone (English and Arabic),
a refund goes through its confirmation with a reason, the new pages have no axe-core
violations. Screenshots of the main staff screens land in test-output/browser/ and, when
STAFF_SHOTS names a folder, there too (at 1280 and 390 px, in en and ar).

The demo data, a paid gift of three named Qurban shares and a monthly gift are loaded once
for the module (marked shared_data) and emptied when it is done.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from campaigns.demo import load_demo
from campaigns.extensions import db
from campaigns.models import ActivityReport, Campaign, DonationOption
from campaigns.services.giving.donations import GiftForm
from tests.browser.axe import axe_violations
from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_accessibility_browser import (
    assert_no_violations,
    in_language,
    staff_pages,
)
from tests.conftest import empty_tables
from tests.staff_fixtures import PASSWORD, create_account
from tests.test_staff_refund_confirmation import pay

pytestmark = [pytest.mark.browser, pytest.mark.shared_data]

STAFF_EMAIL = "staff.browser@example.org"
NAMES = ["Ahmet Kaya", "أحمد علي", "Zeynep Kaya"]
SHOTS = os.environ.get("STAFF_SHOTS")


@dataclass(frozen=True)
class StaffSite:
    campaign_id: int
    option_id: int
    report_id: int
    donation_id: int  # the gift of three shares
    monthly_id: int


@pytest.fixture(scope="module")
def site(app: Flask) -> Iterator[StaffSite]:
    try:
        with app.test_request_context():
            load_demo(db.session)
            db.session.commit()
            campaign = db.session.scalars(select(Campaign).filter_by(slug="qurban")).one()
            sheep = DonationOption(
                campaign=campaign,
                label="Sheep share (browser)",
                unit_price=4500_00,
                stock=10,
                needs_on_behalf=True,
                position=99,
            )
            db.session.add(sheep)
            db.session.commit()
            shares = pay(
                campaign,
                GiftForm(
                    option=str(sheep.id),
                    quantity="3",
                    name="Ayşe Yılmaz",
                    email="ayse.browser@example.org",
                    on_behalf=list(NAMES),
                ),
                locale="tr",
            )
            monthly = pay(
                campaign,
                GiftForm(amount="300", frequency="monthly", name="Omar", email="omar@x.org"),
            )
            report = db.session.scalars(select(ActivityReport).order_by(ActivityReport.id)).first()
            built = StaffSite(campaign.id, sheep.id, report.id, shares.id, monthly.id)
        create_account(app, "admin", STAFF_EMAIL)
        yield built
    finally:
        empty_tables(app)


def sign_in(page: Page, lang: str) -> None:
    page.goto(in_language("/staff/login", lang))
    page.locator("#email").fill(STAFF_EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.staff-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def shot(page: Page, name: str, lang: str, width: int) -> None:
    if SHOTS:
        folder = Path(SHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{name}-{lang}-{width}.png", full_page=True)


def every_page(app: Flask, site: StaffSite) -> list[str]:
    return [*staff_pages(app, site), f"/staff/donations/{site.monthly_id}"]


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_staff_page_scrolls_sideways(app, site, page, lang, viewport):
    sign_in(page, lang)
    too_wide = {}
    for path in every_page(app, site):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > page.evaluate("window.innerWidth"):
            too_wide[path] = width
        name = re.sub(r"[^\w]+", "-", path.removeprefix("/staff")).strip("-") or "dashboard"
        shot(page, name, lang, viewport["width"])
    assert too_wide == {}, f"pages wider than {viewport['width']} px: {too_wide}"


def test_the_chart_has_a_scale_and_a_value_on_each_bar(app, site, page):
    sign_in(page, "ar")
    chart = page.locator(".chart-svg").first
    titles = chart.locator("rect.chart-bar title")
    expect(titles).to_have_count(30)
    assert re.search(r"\d", titles.first.text_content())
    expect(chart.locator(".chart-tick")).not_to_have_count(0)
    box = chart.bounding_box()
    container = page.locator(".dashboard-campaign").first.bounding_box()
    assert box["width"] >= container["width"] * 0.85  # it fills its width
    # Every label is drawn inside the picture (none clipped at an edge).
    outside = chart.evaluate(
        """svg => [...svg.querySelectorAll('text')].filter(t => {
            const b = t.getBBox(), v = svg.viewBox.baseVal;
            const m = t.transform.baseVal.consolidate();
            if (m) return false;  // the turned axis title, centred on the plot
            return b.x < v.x - 0.5 || b.x + b.width > v.x + v.width + 0.5;
        }).map(t => t.textContent)"""
    )
    assert outside == []


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_refund_asks_for_a_reason_and_a_confirmation(
    app, site, page, lang, viewport, app_ctx, live_server, browser_problems
):
    """Looked at in both languages and sizes; refunds the first share left in English on a
    desktop only (the gift then has fewer shares)."""
    path = f"/staff/donations/{site.donation_id}/refund"
    browser_problems.expected_status.add(live_server + path)  # the form again: 422
    sign_in(page, lang)
    page.goto(in_language(f"/staff/donations/{site.donation_id}", lang))
    refund = page.locator("form[action$='/refund']")
    first = refund.locator("li.checkbox-field").first
    name = first.text_content().strip()
    first.locator("input").check()
    refund.locator("button[type=submit]").click()
    # No reason: the form again, the message beside the field, nothing refunded.
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    shot(page, "refund-reason-missing", lang, viewport["width"])
    page.locator("#reason").fill("Gave twice by mistake")
    page.locator("form[action$='/refund'] button[type=submit]").click()
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator(".refund-plan")).to_contain_text(name)
    expect(page.locator(".mail-preview")).to_have_attribute("lang", "tr")
    shot(page, "refund-confirmation", lang, viewport["width"])
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    assert_no_violations({"refund confirmation": axe_violations(page)})
    if (lang, viewport) != ("en", DESKTOP):
        return
    page.locator("form[action$='/refund'] button.button-danger").click()
    expect(page.locator(".flash")).to_contain_text("Refunded")
    db.session.expire_all()
    assert db.session.get(DonationOption, site.option_id).reserved == 2
    assert name not in page.locator(".details").first.text_content()  # left the list


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_new_pages_have_no_accessibility_violations(app, site, page, lang):
    sign_in(page, lang)
    found = {}
    page.goto(in_language("/staff/monthly", lang))
    found["monthly list"] = axe_violations(page)
    page.goto(in_language(f"/staff/donations/{site.monthly_id}", lang))
    page.locator("form[action$='/cancel-monthly'] button").click()
    expect(page.locator("form[action$='/cancel-monthly'] .button-danger")).to_be_visible()
    found["monthly cancel confirmation"] = axe_violations(page)
    assert_no_violations(found)
