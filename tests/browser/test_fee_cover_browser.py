"""Covering the fees in Chromium: ticking the box shows the cover and what the donor pays,
the demo checkout charges gift + cover, and the thank-you page and the receipt show it; the
form with the box passes axe in every language at both widths."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from campaigns.money import format_money, percent_of
from tests.browser.axe import axe_violations
from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser

CAMPAIGN = "/campaigns/earthquake-food-aid"
BOX = "Add 3% so all of my gift reaches the field"


def open_step_two(page: Page, amount: str) -> None:
    give = page.locator("section#give")
    give.locator("#option-amount").check()
    give.locator("#amount").fill(amount)
    give.locator(".give-next a").click()


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
def test_ticking_the_box_shows_the_cover_and_the_receipt_shows_the_total_paid(
    demo_site, visit, page, screenshot_dir, viewport
):
    gift, cover = 1234_50, percent_of(1234_50, 300)
    assert cover == 37_04
    total = format_money(gift + cover, "TRY", "en")
    visit(CAMPAIGN)
    open_step_two(page, "1,234.50")
    give = page.locator("section#give")
    shown = give.locator(".cover-total")
    box = give.get_by_label(BOX)
    expect(box).not_to_be_checked()
    expect(shown).to_be_hidden()

    box.check()
    expect(shown).to_have_text(f"You pay {total}: your gift of ₺1,234.50 and ₺37.04 for the fees.")
    give.locator("#amount").fill("1000")
    expect(shown).to_have_text("You pay ₺1,030.00: your gift of ₺1,000.00 and ₺30.00 for the fees.")
    box.uncheck()
    expect(shown).to_be_hidden()
    box.check()
    give.locator("#amount").fill("1,234.50")
    assert axe_violations(page) == []

    give.get_by_label("Your name").fill("Meryem Demir")
    give.get_by_label("Your e-mail address").fill("meryem@example.org")
    give.get_by_role("button", name="Continue to payment").click()
    expect(page.locator(".demo-summary")).to_contain_text(total)
    page.get_by_role("button", name=f"Pay {total} (TEST)").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Meryem Demir"))
    expect(page.locator(".thanks-cover")).to_contain_text(
        f"you paid {total}, your gift of ₺1,234.50 and ₺37.04 for the fees"
    )
    assert axe_violations(page) == []
    page.screenshot(path=screenshot_dir / "thank-you.png", full_page=True)

    link = page.get_by_role("link", name=re.compile("Download your receipt"))
    pdf = page.request.get(link.get_attribute("href")).body()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", " ")
    assert f"Total paid {total}" in text
    assert "Fee cover you added ₺37.04" in text


@pytest.mark.parametrize("lang", ["en", "tr", "ar"])
@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["1280", "390"])
def test_the_form_with_the_box_and_the_thank_you_page_in_every_language(
    demo_site, page, screenshot_dir, viewport, lang
):
    """axe on the form with the box ticked and on the thank-you page, in each language;
    screenshots of both and the receipt for a person to look at."""
    page.goto(f"{CAMPAIGN}?lang={lang}")
    open_step_two(page, "1000")
    page.locator("#cover_fees").check()
    expect(page.locator(".cover-total")).to_contain_text("1.030" if lang == "tr" else "1,030")
    assert axe_violations(page) == []
    page.locator(".cover-field").scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / f"form-{lang}.png")

    page.locator("#name").fill("Meryem Demir")
    page.locator("#email").fill("meryem@example.org")
    page.locator(".give-submit button").click()
    page.locator("form[action$='/pay'] button").click()
    expect(page.locator(".thanks-cover")).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path=screenshot_dir / f"thanks-{lang}.png", full_page=True)
    href = page.locator("a[href*='/receipts/']").first.get_attribute("href")
    (screenshot_dir / f"receipt-{lang}.pdf").write_bytes(page.request.get(href).body())
