"""The campaign page as a donor meets it, in Chromium, at 1280x800 and 390x844, in
English, Turkish and Arabic: the first step of giving in the first screen (beside the
story on a wide screen, a Give bar on a phone), suggested amounts that fill the amount,
recent gifts that never name an anonymous donor, and no axe-core violation.

Screenshots of the home and campaign pages land in test-output/browser/<test>/ and, when
SHOTS_DIR is set, in that folder too (for people to look at)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from campaigns.extensions import db
from campaigns.models import Donation, DonationStatus
from campaigns.services.books.ledger import recent_gifts
from campaigns.services.content import catalog
from tests.browser.axe import axe_violations
from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser

LANGUAGES = ["en", "tr", "ar"]
SIZES = {"desktop": DESKTOP, "mobile": MOBILE}


def save_shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=folder / f"{name}.png")
    shots = os.environ.get("SHOTS_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(shots) / f"{name}.png", full_page=True)


def in_first_screen(page: Page, selector: str) -> bool:
    """The element is drawn wholly inside the window as the page opened."""
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("viewport", list(SIZES.values()), ids=list(SIZES))
def test_giving_is_in_the_first_screen_and_the_page_passes_axe(
    demo_site, visit, page, screenshot_dir, viewport, lang
):
    size = "desktop" if viewport == DESKTOP else "mobile"
    visit(f"/?lang={lang}")
    assert axe_violations(page) == []
    save_shot(page, screenshot_dir, f"home-{size}-{lang}")
    # Every open campaign's card has its own Give button.
    expect(page.locator(".campaign-card .card-give")).to_have_count(4)

    visit(f"/campaigns/qurban?lang={lang}")
    if viewport == DESKTOP:
        # The choice of gift and the Give button, beside the story, without scrolling.
        assert in_first_screen(page, ".give-choices")
        assert in_first_screen(page, ".give-next .button")
        expect(page.locator(".give-bar")).to_be_hidden()
        # It stays in view while the donor reads on.
        page.evaluate("window.scrollTo(0, 1500)")
        assert page.evaluate("window.scrollY") > 1000
        assert in_first_screen(page, ".give-next .button")
        page.evaluate("window.scrollTo(0, 0)")
    else:
        assert in_first_screen(page, ".give-bar .button")
        page.evaluate("window.scrollTo(0, 2000)")
        assert page.evaluate("window.scrollY") > 1000
        assert in_first_screen(page, ".give-bar .button")
        page.locator(".give-bar .button").click()
        expect(page.locator(".give-choices")).to_be_in_viewport()
        page.evaluate("window.scrollTo(0, 0)")
    assert axe_violations(page) == []
    save_shot(page, screenshot_dir, f"campaign-{size}-{lang}")

    # Step 2 opens with the Give button, and passes axe too.
    page.locator(".give-next .button").click()
    expect(page.locator("#give-details")).to_be_visible()
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", [DESKTOP], ids=["desktop"])
def test_a_suggested_amount_fills_the_amount_and_is_what_the_donor_pays(
    demo_site, visit, page, viewport, screenshot_dir
):
    visit("/campaigns/earthquake-food-aid")
    give = page.locator("section#give")
    # The form opens on the first option; the amounts wait behind "Another amount".
    expect(give.get_by_label("Food parcel for a family")).to_be_checked()
    give.get_by_label("Another amount").check()
    # The middle suggested amount is already chosen, never an empty box.
    expect(
        give.get_by_label("₺1,500.00 A food parcel: a family of five eats for a month")
    ).to_be_checked()

    give.get_by_label("₺3,000.00 Food parcels for two families").check()

    expect(give.get_by_label("Or type an amount in TRY")).to_have_value("3,000.00")
    save_shot(page, screenshot_dir, "campaign-desktop-en-suggested-amounts")
    give.get_by_role("link", name="Give", exact=True).click()
    give.get_by_label("Your name").fill("Leyla Arslan")
    give.get_by_label("Your e-mail address").fill("leyla@example.org")
    give.get_by_role("button", name="Continue to payment").click()
    expect(page.locator(".demo-summary")).to_contain_text("₺3,000.00")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_gift_marked_anonymous_never_shows_its_name(demo_site, app_ctx, visit, page, lang):
    visit("/campaigns/ramadan-iftar")
    give = page.locator("section#give")
    give.get_by_role("radio", name="Iftar for a family €25.00").check()
    give.get_by_role("link", name="Give", exact=True).click()
    give.get_by_label("Your name").fill("Hatice Secretname")
    give.get_by_label("Your e-mail address").fill(f"hatice-{lang}@example.org")
    give.get_by_label("Show my gift as anonymous").check()
    give.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay €25.00 (TEST)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")

    visit(f"/campaigns/ramadan-iftar?lang={lang}")
    newest = page.locator(".recent-gift").first
    anonymous = {"en": "Anonymous donor", "tr": "İsimsiz bağışçı", "ar": "فاعل خير"}[lang]
    expect(newest.locator(".recent-name")).to_have_text(anonymous)
    expect(page.locator("body")).not_to_contain_text("Hatice")
    expect(page.locator("body")).not_to_contain_text("Secretname")
    db.session.expire_all()
    gift = db.session.query(Donation).filter_by(donor_name="Hatice Secretname").one()
    assert gift.status == DonationStatus.PAID and gift.anonymous
    assert (
        recent_gifts(db.session, catalog.public_campaign(db.session, "ramadan-iftar"))[0]["name"]
        is None
    )
    for path in ("/", "/api/v1/campaigns", "/api/v1/campaigns/ramadan-iftar", "/reports"):
        assert "Hatice" not in page.request.get(path).text()
