"""Bank transfer in Chromium: a donor pledges in Turkish and sees the IBAN and the
reference code; staff upload the statement that carries it; the campaign's total moves."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from campaigns.extensions import db
from campaigns.models import Donation
from tests.bank_fixtures import ACCOUNTS
from tests.browser.axe import axe_violations
from tests.browser.conftest import DESKTOP, MOBILE
from tests.staff_fixtures import PASSWORD, create_account

pytestmark = pytest.mark.browser

STATEMENT = """:20:STMT261130
:25:TR330006100519786457841326
:28C:00042/001
:60F:C261129TRY10000,00
:61:2611301130C1250,50NTRFNONREF//2611300777
:86:EFT {code} AYSE YILMAZ
:62F:C261130TRY11250,50
-
"""


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["mobile", "desktop"])
def test_a_turkish_donor_pledges_and_a_statement_pays_it(
    app, page: Page, visit, screenshot_dir, tmp_path, bank_accounts, make_campaign, viewport
):
    make_campaign("deprem", title="Deprem gıda yardımı")
    create_account(app, "editor", "muhasebe@example.org")

    visit("/campaigns/deprem?lang=tr")
    give = page.locator("section#give")
    give.locator("#amount").fill("1250,50")
    give.locator(".give-next a").click()  # step 2: who gives, and how
    give.get_by_label("Banka havalesi (havale/EFT)").check()
    give.get_by_label("Adınız").fill("Ayşe Yılmaz")
    give.get_by_label("E-posta adresiniz").fill("ayse@example.org")
    give.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/donations/[\w-]+/thanks$"))
    reference = page.locator("#transfer-reference")
    expect(reference).to_have_text(re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$"))
    iban = ACCOUNTS[0]["iban"]
    expect(page.get_by_text(iban)).to_be_visible()
    expect(page.locator("h1")).to_contain_text("havalenizi gönderin")
    page.screenshot(path=screenshot_dir / "02-pledge.png", full_page=True)
    assert axe_violations(page) == []
    code = reference.inner_text()

    statement = tmp_path / "ekstre.sta"
    statement.write_text(STATEMENT.format(code=code).replace("\n", "\r\n"), newline="")
    visit("/staff/login?lang=en")
    page.get_by_label("E-mail").fill("muhasebe@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    visit("/staff/bank")
    page.get_by_label("Statement file").set_input_files(statement)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("main")).to_contain_text("1 paid a pledge")
    page.screenshot(path=screenshot_dir / "04-imported.png", full_page=True)

    db.session.expire_all()
    assert db.session.query(Donation).one().status == "paid"
    visit("/campaigns/deprem?lang=tr")
    expect(page.locator(".progress-raised").first).to_have_text(re.compile(r"1\.250,5"))
