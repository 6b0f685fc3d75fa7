"""Languages in Chromium: the switcher works without JavaScript and is remembered; Arabic
pages are laid out right to left (screenshots saved); a gift made in Arabic brings an
Arabic e-mail and an Arabic receipt while the site speaks English; motion stops for
those who ask for less of it."""

from __future__ import annotations

import io
import re

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Donation, OutboxMessage
from campaigns.money import format_money
from campaigns.services.books import receipts
from campaigns.services.mail.notifications import compose
from tests.browser.conftest import DESKTOP
from tests.receipting import pdf_text

pytestmark = pytest.mark.browser

ARABIC_LETTERS = re.compile(r"[\u0600-\u06FF]")
BRAND_GREEN = (0x0B, 0x5D, 0x57)  # --brand in site.css: the filled part of a progress bar


@pytest.mark.parametrize("javascript", [False], ids=["without-javascript"])
def test_the_language_switcher_is_a_link_and_is_remembered(demo_site, visit, page, javascript):
    visit("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switcher = page.get_by_role("navigation", name="Language")
    expect(switcher.get_by_role("link", name="English")).to_have_attribute("aria-current", "true")

    switcher.get_by_role("link", name="Türkçe").click()
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page).to_have_url(re.compile(r"/\?lang=tr$"))
    # Another page, reached by a plain link: still Turkish, amounts the Turkish way.
    visit("/campaigns/qurban")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    price = page.locator(".option-price").first.inner_text()
    assert re.fullmatch(r"₺\d{1,3}(\.\d{3})*,\d{2}", price), price


def right_half(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    assert box is not None
    return box["x"] > page.viewport_size["width"] / 2


@pytest.mark.parametrize("viewport", [DESKTOP], ids=["desktop"])
def test_arabic_pages_are_laid_out_right_to_left(demo_site, visit, page, screenshot_dir):
    visit("/?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    assert right_half(page, ".brand"), "the charity's name starts the header on the right"
    assert not right_half(page, ".language-switcher"), "and the header ends on the left"

    visit("/campaigns/water-wells-africa")  # the remembered language: still Arabic
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    bar = page.locator(".campaign-progress progress")
    value = float(bar.get_attribute("value"))
    assert 0 < value < 100, "a partly funded campaign shows both ends of the bar"
    bar.screenshot(path=screenshot_dir / "03-progress-bar.png")
    image = Image.open(io.BytesIO(bar.screenshot())).convert("RGB")
    middle = image.height // 2
    near = lambda pixel: all(abs(a - b) < 24 for a, b in zip(pixel, BRAND_GREEN, strict=True))  # noqa: E731
    assert near(image.getpixel((image.width - 4, middle))), "filled from the right"
    assert not near(image.getpixel((3, middle))), "empty on the left"

    visit("/staff/login")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert right_half(page, ".brand")


def arabic(message: str, **values) -> str:
    """``message`` as the Arabic catalog has it."""
    with force_locale("ar"):
        return _(message, **values)


def test_a_gift_made_in_arabic_brings_an_arabic_email_and_receipt(
    demo_site, app_ctx, visit, page, screenshot_dir, settings
):
    visit("/campaigns/water-wells-africa?lang=ar")
    form = page.locator("form.give-form")
    form.locator("#option-amount").check()
    form.locator("#amount").fill("500")
    form.locator(".give-next a").click()
    form.locator("#name").fill("Fatima Rahman")
    form.locator("#email").fill("fatima.ar@example.org")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/demo-checkout/"))
    # From here on the browser reads English (no remembered choice; Accept-Language en):
    # the e-mail and receipt must follow the donor's language, not this request's.
    page.context.clear_cookies(name="lang")
    page.locator("form[action$='/pay'] button").click()
    expect(page).to_have_url(re.compile(r"/thanks\?"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=screenshot_dir / "02-thanks.png", full_page=True)

    db.session.expire_all()
    gift = db.session.scalars(select(Donation).filter_by(donor_email="fatima.ar@example.org")).one()
    assert (gift.locale, gift.status) == ("ar", "paid")
    [mail] = db.session.scalars(select(OutboxMessage).filter_by(donation_id=gift.id)).all()
    compose(db.session, settings, mail)  # as the sender does, with no request at all
    # The title is isolated inside the subject (FSI ... PDI), in whatever script it is.
    title = f"\u2068{gift.campaign.translation('title', 'ar')}\u2069"
    subject = arabic("Thank you for your gift to %(campaign)s", campaign=title)
    assert ARABIC_LETTERS.search(subject), "the Arabic catalog is compiled and loaded"
    assert mail.subject == subject
    assert arabic("With gratitude,") in mail.body_text
    assert format_money(500_00, gift.currency, "ar") in mail.body_text
    assert 'lang="ar" dir="rtl"' in mail.body_html

    # The receipt was rendered for the e-mail, during that English request.
    receipt = receipts.live_receipt(db.session, gift)
    assert mail.receipt_id == receipt.id
    text = pdf_text(receipts.receipt_pdf(db.session, receipt, settings.receipts))
    db.session.commit()
    assert arabic("Donation receipt") in text
    assert arabic("Amount received") in text
    assert "Fatima Rahman" in text and receipt.number in text
