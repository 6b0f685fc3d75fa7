"""The public receipt check: receipt numbers run in sequence, so a number alone must tell
only that we issued it; the check code printed beside it (and in the QR code's URL)
opens the details. Codes cannot be guessed within the page's rate limit."""

from __future__ import annotations

import pytest
from flask import current_app

from campaigns.extensions import db
from campaigns.services.books.receipts import CHECK_ALPHABET, CHECK_LENGTH, live_receipt
from tests.markup import parse
from tests.payments_fixtures import isolated
from tests.receipting import paid_donation, pdf_of, pdf_text

SITE = "http://campaigns.test"
VERIFY = f"{SITE}/receipts/verify/"
LOOK_ALIKES = set("0O1IL5S2Z8B")


@pytest.fixture
def receipt(make_campaign):
    campaign = make_campaign("iftar", title="Iftar tables", currency="TRY")
    return live_receipt(db.session, paid_donation(campaign, amount=750_00))


def printed(receipt) -> tuple[str, str]:
    """The check code beside the number and the verification URL, read off the PDF."""
    text = pdf_text(pdf_of(receipt))
    code = text[text.index("Check code") :].split()[2]
    return code, text[text.index(VERIFY) :].split()[0].removeprefix(SITE)


def check(client, path: str):
    response = isolated(client.get, path)
    return response, parse(response.data).find("main").text


DETAILS = ("is genuine", "Iftar tables", "₺750.00", "Valid", "Date of gift", "Issued on")


def test_the_receipt_prints_a_check_code_that_opens_the_details(client, receipt):
    code, url = printed(receipt)

    response, text = check(client, url)

    assert len(code) == CHECK_LENGTH and set(code) <= set(CHECK_ALPHABET)
    assert not set(CHECK_ALPHABET) & LOOK_ALIKES
    assert url == f"/receipts/verify/{receipt.number}?c={code}"
    assert response.status_code == 200
    for detail in DETAILS:
        assert detail in text


@pytest.mark.parametrize("code", [None, "", "WRONG", "ACDEFGHJ", "previous receipt's code"])
def test_without_the_right_code_the_page_says_only_that_the_number_exists(
    client, receipt, make_campaign, code
):
    other = live_receipt(db.session, paid_donation(make_campaign("wells"), amount=999_00))
    if code == "previous receipt's code":
        code = printed(other)[0]
    query = "" if code is None else f"?c={code}"

    response, text = check(client, f"/receipts/verify/{receipt.number}{query}")

    assert response.status_code == 200
    assert f"We issued receipt {receipt.number}" in text
    assert "enter the check code printed beside the receipt number" in text
    for detail in DETAILS:
        assert detail not in text
    assert ("does not match" in text) is bool(code)


def test_the_code_may_be_typed_in_any_case_with_spaces_or_a_dash(client, receipt):
    code, _url = printed(receipt)
    typed = f"{code[:4].lower()} - {code[4:]}"

    _response, text = check(client, f"/receipts/verify/{receipt.number}?c={typed}")

    assert f"Receipt {receipt.number} is genuine" in text


def test_codes_made_before_the_secret_key_changed_still_work(app, client, receipt, configure):
    _code, url = printed(receipt)
    old_key = current_app.config["SECRET_KEY"]
    configure(SECRET_KEY="a-new-secret-key-after-rotation", SECRET_KEY_FALLBACKS=[old_key])

    assert "is genuine" in check(client, url)[1]
    configure(SECRET_KEY_FALLBACKS=[])
    assert "is genuine" not in check(client, url)[1]


def test_an_unknown_number_is_still_not_found(client, receipt):
    response, text = check(client, "/receipts/verify/RCPT-2026-999999?c=ACDEFGHJ")

    assert response.status_code == 404
    assert "This is not one of our receipts" in text


def test_checks_are_rate_limited_per_client(client, receipt):
    _code, url = printed(receipt)
    guesses = [
        isolated(client.get, f"/receipts/verify/{receipt.number}?c={n:08d}").status_code
        for n in range(30)
    ]

    assert guesses == [200] * 30
    assert isolated(client.get, url).status_code == 429
    other = isolated(client.get, url, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 200
