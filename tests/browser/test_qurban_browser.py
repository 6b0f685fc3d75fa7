"""Qurban in Chromium: the proxy box a sheep needs, staff grouping paid shares into
animals, moving one, marking animals performed with a photo, and the donors' e-mails in
Turkish and Arabic; the animals and donor pages pass axe-core and never scroll sideways
on a phone."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Donation, OutboxMessage
from campaigns.services.giving import donors, fulfilment
from tests.browser.axe import axe_violations
from tests.browser.conftest import DESKTOP, MOBILE
from tests.mail_fixtures import text_of
from tests.qurban_fixtures import give_shares
from tests.staff_fixtures import PASSWORD, create_account
from tests.staff_forms import photo

pytestmark = pytest.mark.browser

EDITOR = "qurban.editor@example.org"
PROXY = re.compile(r"^I authorise .+ to perform my sacrifice on my behalf\.$")
SIGN_IN_LINK = re.compile(r"https?://[^/\s]+(/donor/\S+)")
TURKISH = [f"İsim {n}" for n in range(1, 8)]


def sign_in(page: Page, app: Flask, lang: str = "en") -> None:
    create_account(app, "editor", EDITOR)
    page.goto(f"/staff/login?lang={lang}")
    page.locator("#email").fill(EDITOR)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.staff-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def no_sideways_scroll(page: Page) -> None:
    # Measured once the web fonts are in: a fallback font's wider text is not the page's.
    width = page.evaluate("document.fonts.ready.then(() => document.documentElement.scrollWidth)")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def gifts(qurban) -> None:
    """A Turkish donor's seven cow shares, an Arabic donor's two, an English sheep."""
    give_shares(qurban.cow, TURKISH, email="tr@example.org", locale="tr")
    give_shares(qurban.cow, ["أحمد علي", "Omar Ali"], email="ar@example.org", locale="ar")
    give_shares(qurban.sheep, ["Mehmet Demir"], email="en@example.org")


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["mobile", "desktop"])
def test_the_proxy_box_must_be_ticked_for_a_sheep(
    app_ctx, qurban, visit, page, live_server, browser_problems, screenshot_dir, viewport
):
    browser_problems.expected_status.add(f"{live_server}/campaigns/qurban/donate")
    visit("/campaigns/qurban")
    give = page.locator("section#give")
    give.get_by_label("One sheep").check()
    give.locator(".give-next a").click()  # step 2: who gives
    give.get_by_label("Name for share 1", exact=True).fill("Ali Kaya")
    give.get_by_label("Your name").fill("Meryem Demir")
    give.get_by_label("Your e-mail address").fill("meryem@example.org")
    give.get_by_role("button", name="Continue to payment").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(
        "Please tick the box to authorise us to perform your sacrifice on your behalf."
    )
    expect(summary).to_be_focused()
    summary.get_by_role("link").click()
    proxy = give.get_by_label(PROXY)
    expect(proxy).to_be_focused()
    expect(proxy).not_to_be_checked()
    expect(proxy).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=screenshot_dir / "proxy-refused.png", full_page=True)
    assert axe_violations(page) == []
    assert db.session.scalars(select(Donation)).all() == []

    proxy.check()
    give.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name=re.compile(r"^Pay .* \(TEST\)$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Meryem Demir!")
    db.session.expire_all()
    donation = db.session.scalars(select(Donation)).one()
    assert donation.proxy_at is not None and donation.on_behalf == ["Ali Kaya"]


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["mobile", "desktop"])
def test_staff_group_move_and_mark_performed_and_donors_hear_in_their_language(
    app, app_ctx, qurban, visit, page, screenshot_dir, runner, mail_url, viewport, tmp_path
):
    gifts(qurban)
    runner.invoke(args=["outbox", "send"])  # the thank-yous
    mail_url.messages.clear()
    sign_in(page, app)
    url = f"/staff/campaigns/{qurban.campaign.id}/animals"

    visit(url)
    expect(page.locator("main")).to_contain_text("10 paid shares are waiting for an animal.")
    page.get_by_role("button", name="Place waiting shares in animals").click()
    expect(page.locator(".flash")).to_have_text("10 shares were placed in animals.")
    cards = page.locator(".animal")
    expect(cards).to_have_count(3)
    expect(cards.nth(0).locator(".share-name")).to_have_text(["Mehmet Demir"])
    expect(cards.nth(1).locator(".share-name")).to_have_text(TURKISH)
    expect(cards.nth(2).locator(".share-name")).to_have_text(["أحمد علي", "Omar Ali"])
    expect(cards.nth(2).locator(".share-name").first).to_have_attribute("dir", "rtl")

    # A full cow refuses a share; the Arabic donor's cow takes one.
    omar = cards.nth(2).locator(".share", has_text="Omar Ali")
    omar.get_by_label("Move to animal no.").fill("2")
    omar.get_by_role("button", name="Move Omar Ali").click()
    expect(page.locator(".flash")).to_have_text("Animal 2 is full (7 of 7 shares).")
    last = page.locator(".animal").nth(1).locator(".share", has_text="İsim 7")
    last.get_by_label("Move to animal no.").fill("3")
    last.get_by_role("button", name="Move İsim 7").click()
    expect(page.locator(".flash")).to_have_text("Moved the share of İsim 7 to animal 3.")
    # Names are read in order of payment, and İsim 7 was paid first.
    expect(page.locator(".animal").nth(2).locator(".share-name")).to_have_text(
        ["İsim 7", "أحمد علي", "Omar Ali"]
    )
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    picture = tmp_path / "cow.jpg"
    picture.write_bytes(photo().getvalue())
    page.get_by_label("Mark as performed Animal 2").check()
    page.get_by_label("Mark as performed Animal 3").check()
    page.get_by_label("Day").fill("2026-05-27")
    page.get_by_label("Place", exact=True).fill("Konya")
    page.get_by_label("Photos (optional)").set_input_files(picture)
    page.get_by_role("button", name="Mark the ticked animals performed").click()
    expect(page.locator(".flash")).to_have_text(
        "Marked 2 animals performed. Donors whose shares are all performed will be e-mailed."
    )
    expect(page.locator(".animal-performed")).to_have_count(2)
    expect(page.locator(".animal-performed").first).to_contain_text(
        "Performed on May 27, 2026 in Konya"
    )
    expect(page.locator(".animal-photos img")).to_have_count(2)
    page.screenshot(path=screenshot_dir / "animals-performed.png", full_page=True)
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    runner.invoke(args=["outbox", "send"])
    [turkish] = mail_url.to("tr@example.org")
    [arabic] = mail_url.to("ar@example.org")
    assert mail_url.to("en@example.org") == []  # the sheep waits
    assert "İsim 1 adına kurbanınız 27 Mayıs 2026 tarihinde kesildi (yer: Konya)." in text_of(
        turkish
    )
    assert "ذُبحت أضحيتك نيابةً عن" in text_of(arabic) and "أحمد علي" in text_of(arabic)
    assert "Konya" in text_of(arabic)


def donor_path(email: str, settings) -> str:
    donors.request_sign_in_link(db.session, settings, donors.SignInLinkForm(email=email), "en")
    db.session.commit()
    link = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.key.startswith("donor-link:"))
        .order_by(OutboxMessage.id.desc())
    ).first()
    return SIGN_IN_LINK.search(link.body_text).group(1)


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["390", "1280"])
@pytest.mark.parametrize("lang", ["en", "tr", "ar"])
def test_the_animals_and_donor_pages_read_well_in_each_language(
    app, app_ctx, qurban, visit, page, screenshot_dir, settings, lang, viewport
):
    gifts(qurban)
    fulfilment.fill_animals(db.session, qurban.campaign, actor=None)
    [_sheep, cow, _arabic] = fulfilment.animals_of(db.session, qurban.campaign)
    form = fulfilment.PerformedForm(animals=[str(cow.id)], performed_on="2026-05-27", place="Konya")
    fulfilment.mark_performed(db.session, settings, qurban.campaign, form, [], ".", actor=None)
    give_shares(qurban.cow, ["Bekleyen Hisse"], email="tr@example.org", locale="tr")
    db.session.commit()
    path = donor_path("tr@example.org", settings)
    sign_in(page, app, lang)

    visit(f"/staff/campaigns/{qurban.campaign.id}/animals?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    visit(f"{path}?lang={lang}")
    expect(page.locator(".share-states li")).to_have_count(8)
    no_sideways_scroll(page)
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["390", "1280"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_delivery_is_recorded_and_shown_beside_funding(
    app, app_ctx, make_campaign, make_option, visit, page, lang, viewport, tmp_path
):
    campaign = make_campaign("wells", title="Wells", unit_label="wells", units_goal=20)
    well = make_option(campaign, "One well", unit_price=1_000_00)
    give_shares(well, ["", ""], email="wells@example.org")
    sign_in(page, app, lang)

    visit(f"/staff/campaigns/{campaign.id}/deliveries?lang={lang}")
    no_sideways_scroll(page)
    assert axe_violations(page) == []
    page.locator("#units").fill("2")
    page.locator("#delivered_on").fill("2026-06-01")
    page.locator("#note").fill("Kuyu: Ayşe Hanım")
    picture = tmp_path / "well.jpg"
    picture.write_bytes(photo().getvalue())
    page.locator("#photo").set_input_files(picture)
    page.locator("form.staff-form button[type=submit]").click()
    expect(page.locator(".flash")).to_have_count(1)
    expect(page.locator(".deliveries-table tbody tr")).to_have_count(1)
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    visit(f"/campaigns/wells?lang={lang}")
    expect(page.locator(".campaign-progress .progress-delivered")).to_have_count(1)
