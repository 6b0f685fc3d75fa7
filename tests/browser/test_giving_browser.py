"""Giving in Chromium: a donor offers two Qurban shares through the demo checkout, with
and without JavaScript, and the campaign's progress moves by exactly that gift."""

from __future__ import annotations

import re

import pytest
from babel.numbers import format_decimal
from playwright.sync_api import Page, expect

import campaigns.donations.forms as donation_form_module
from campaigns.extensions import db
from campaigns.models import Campaign, DonationOption
from campaigns.money import format_money
from campaigns.services.content import catalog
from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser

SHEEP = "One sheep or goat"
NAMES = ("Ali Yılmaz", "Zeynep Kaya")
PROXY = re.compile(r"^I authorise .+ to perform my sacrifice on my behalf\.$")


def qurban() -> tuple[Campaign, DonationOption]:
    """The demo Qurban campaign and its sheep option, as now committed."""
    db.session.expire_all()
    campaign = catalog.public_campaign(db.session, "qurban")
    sheep = next(o for o in catalog.offered_options(db.session, campaign) if o.label == SHEEP)
    return campaign, sheep


def totals(campaign: Campaign) -> dict[str, int]:
    t = campaign.totals
    return {
        "raised": t.raised,
        "units": t.units_funded,
        "donations": t.donations,
        "donors": t.donors,
    }


def name_inputs(page: Page):
    """The name inputs a donor can see."""
    return page.get_by_label(re.compile(r"^Name for share \d+$")).filter(visible=True)


@pytest.mark.parametrize(
    ("viewport", "javascript"),
    [(MOBILE, True), (DESKTOP, True), (MOBILE, False)],
    ids=["mobile", "desktop", "mobile-without-javascript"],
)
def test_a_donor_gives_two_qurban_shares_through_the_demo_checkout(
    demo_site, app_ctx, visit, page, screenshot_dir, viewport, javascript
):
    campaign, sheep = qurban()
    before, price = totals(campaign), sheep.unit_price
    email = f"browser-donor-{viewport['width']}-{javascript}@example.org"

    visit("/campaigns/qurban")
    give = page.locator("section#give")
    give.get_by_label(SHEEP).check()
    give.get_by_label("How many?").fill("2")
    total = format_money(2 * price, "TRY", "en")
    if javascript:
        # One name per share, and a sheep cannot be given every month.
        expect(give.locator(".give-total")).to_have_text(f"Total: {total}")
    else:
        expect(name_inputs(page)).to_have_count(7)
        expect(give.locator(".give-total")).to_be_hidden()
    # Step 2 (names, who gives) opens with the Give button; without JavaScript it is
    # already there and the button jumps to it.
    give.get_by_role("link", name="Give", exact=True).click()
    if javascript:
        expect(name_inputs(page)).to_have_count(2)
        expect(give.get_by_label("Every month")).to_be_disabled()
    for n, name in enumerate(NAMES, start=1):
        give.get_by_label(f"Name for share {n}", exact=True).fill(name)
    give.get_by_label("Your name").fill("Meryem Demir")
    give.get_by_label("Your e-mail address").fill(email)
    give.get_by_label(PROXY).check()
    give.screenshot(path=screenshot_dir / "01b-form-filled.png")
    give.get_by_role("button", name="Continue to payment").click()

    expect(page).to_have_url(re.compile(r"/demo-checkout/demo_cs_\w+$"))
    expect(page.locator(".test-banner")).to_contain_text("TEST")
    expect(page.locator(".demo-summary")).to_contain_text(total)
    page.screenshot(path=screenshot_dir / "01c-demo-checkout.png", full_page=True)
    page.get_by_role("button", name=f"Pay {total} (TEST)").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Meryem Demir!")
    expect(page.locator("section.thanks")).to_contain_text(", ".join(NAMES))
    page.screenshot(path=screenshot_dir / "01d-thank-you.png", full_page=True)
    campaign, sheep = qurban()
    after = totals(campaign)
    assert after == {
        "raised": before["raised"] + 2 * price,
        "units": before["units"] + 2,
        "donations": before["donations"] + 1,
        "donors": before["donors"] + 1,
    }
    raised = format_money(after["raised"], "TRY", "en", whole=True)
    expect(page.locator("section.thanks-progress .progress-money")).to_have_text(f"{raised} raised")

    visit("/campaigns/qurban")
    progress = page.locator("section.campaign-progress")
    expect(progress.locator(".progress-money")).to_have_text(f"{raised} raised")
    expect(progress.locator(".progress-amounts")).to_have_text(
        f"{format_decimal(after['units'], locale='en')} of "
        f"{format_decimal(campaign.units_goal, locale='en')} sacrifice shares"
    )
    expect(progress.locator(".progress-donors")).to_have_text(
        f"{format_decimal(after['donors'], locale='en')} donors"
    )


def test_a_missing_name_is_shown_at_the_top_and_beside_its_field(
    demo_site, visit, page, screenshot_dir, live_server, browser_problems
):
    browser_problems.expected_status.add(f"{live_server}/campaigns/qurban/donate")
    visit("/campaigns/qurban")
    give = page.locator("section#give")
    give.get_by_label(SHEEP).check()
    give.get_by_label("How many?").fill("2")
    give.get_by_role("link", name="Give", exact=True).click()
    give.get_by_label("Name for share 1", exact=True).fill(NAMES[0])
    give.get_by_label("Your name").fill("Meryem Demir")
    give.get_by_label("Your e-mail address").fill("meryem@example.org")
    give.get_by_label(PROXY).check()
    give.get_by_role("button", name="Continue to payment").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please give one name for each share (2 in all).")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(give.get_by_label(SHEEP)).to_be_checked()
    expect(name_inputs(page)).to_have_count(2)
    expect(give.get_by_label("Name for share 1", exact=True)).to_have_value(NAMES[0])
    summary.get_by_role("link").click()
    expect(give.get_by_label("Name for share 1", exact=True)).to_be_focused()
    page.screenshot(path=screenshot_dir / "01b-errors.png", full_page=True)


def test_name_inputs_stop_at_the_largest_quantity_the_form_gives(
    demo_site, visit, page, monkeypatch
):
    """give.js reads the limit from the form (data-max-names), not a number of its own."""
    monkeypatch.setattr(donation_form_module, "MAX_QUANTITY", 12)
    visit("/campaigns/qurban")
    give = page.locator("section#give")
    give.get_by_label(SHEEP).check()

    give.get_by_label("How many?").fill("30")
    give.get_by_role("link", name="Give", exact=True).click()

    expect(name_inputs(page)).to_have_count(12)
