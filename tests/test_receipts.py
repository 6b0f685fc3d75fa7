"""Receipts: issued when a gift is paid, downloaded as the same stored bytes, voided or
replaced after refunds and lost disputes, verifiable in public; donor statements."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import Receipt, ReceiptCounter
from campaigns.payments import Dispute
from campaigns.pdf import StaticFilesFetcher
from campaigns.services.books.receipts import (
    ReceiptError,
    issue_receipt,
    live_receipt,
    render_statement,
)
from campaigns.services.giving import refunds, settlement
from tests.markup import parse
from tests.payments_fixtures import isolated
from tests.receipting import (
    SHIPPED_FONTS,
    embedded_fonts,
    paid_donation,
    pdf_of,
    pdf_text,
    unreceipted_donation,
)

VERIFY = "http://campaigns.test/receipts/verify/"


@pytest.fixture
def qurban(make_campaign, make_option):
    campaign = make_campaign("qurban", title="Kurban 2026: paylaşım", currency="TRY")
    return make_option(campaign, "1/7 share of a cow", unit_price=1500_00, needs_on_behalf=True)


def download(client, receipt: Receipt):
    return isolated(client.get, f"/receipts/{receipt.token}.pdf")


def test_a_paid_gift_has_a_receipt_with_everything_on_it(client, qurban):
    donation = paid_donation(
        qurban.campaign,
        amount=3000_00,
        option=qurban,
        quantity=2,
        designation="zakat",
        donor_name="Şükrü İğdeli",
        donor_email="sukru@example.org",
        on_behalf=["Ayşe Gül Çağlar", "محمد عبد الله"],
        dedication="In memory of Hüseyin Öztürk",
        locale="tr",
    )
    receipt = live_receipt(db.session, donation)

    response = download(client, receipt)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="receipt-{receipt.number}.pdf"'
    )
    text = pdf_text(response.data)
    assert receipt.number.startswith("RCPT-") and receipt.number in text
    assert "₺3.000,00" in text  # in the donation's language: Turkish grouping
    assert "üç bin Türk lirası" in text  # the amount in words, in Turkish too
    assert "Şükrü İğdeli" in text
    assert "sukru@example.org" in text
    assert "Kurban 2026: paylaşım" in text
    assert "1/7 share of a cow × 2" in text
    assert "Bağış makbuzu" in text  # the donor's language: the Turkish catalog
    assert "Zekât" in text
    assert "Ayşe Gül Çağlar" in text
    assert "محمد عبد الله" in text
    assert "In memory of Hüseyin Öztürk" in text
    assert "Kart (Stripe ile)" in text
    assert donation.provider_payment_id in text
    assert "Bu bağış karşılığında hiçbir mal veya hizmet verilmemiştir." in text
    assert "Example Relief Association" in text
    assert f"{VERIFY}{receipt.number}" in text
    fonts = embedded_fonts(response.data)
    assert {"Campaigns-Noto-Sans-Latin-Ext", "Campaigns-IBM-Plex-Sans-Arabic"} <= set(fonts)
    assert set(fonts) <= SHIPPED_FONTS  # nothing from the machine's own fonts
    assert all(fonts.values())


def test_a_custom_amount_in_words_and_figures(client, make_campaign):
    campaign = make_campaign("wells", title="Water wells", currency="USD")
    donation = paid_donation(campaign, amount=1250_50, provider="demo", designation="sadaqah")

    text = pdf_text(download(client, live_receipt(db.session, donation)).data)

    assert "$1,250.50" in text
    assert "one thousand two hundred fifty US dollars and fifty cents" in text
    assert "Sadaqah" in text
    assert "Demo checkout (TEST)" in text


def test_an_arabic_receipt_spells_the_amount_as_an_arab_cheque_does(client, make_campaign):
    campaign = make_campaign("food", title="Food parcels", currency="TRY")
    donation = paid_donation(campaign, amount=1250_50, locale="ar")

    text = pdf_text(download(client, live_receipt(db.session, donation)).data)

    assert "إيصال تبرع" in text
    # pypdf reads the glyph run that ends a right-to-left line ("ير" of "لا غير") out of
    # place, so the words are checked up to there.
    assert "فقط ألف ومئتان وخمسون ليرة تركية وخمسون قرشًا لا" in text
    assert "Turkish lira" not in text


def test_an_anonymous_gift_still_names_the_donor_on_the_receipt(client, make_campaign):
    donation = paid_donation(make_campaign(), donor_name="Zeynep Kaya", anonymous=True)

    text = pdf_text(download(client, live_receipt(db.session, donation)).data)

    assert "Zeynep Kaya" in text
    assert "anonymous" in text


def test_downloads_return_the_stored_bytes_every_time(client, make_campaign):
    donation = paid_donation(make_campaign())
    receipt = live_receipt(db.session, donation)
    assert receipt.pdf is None  # issuing only numbers it: the PDF waits for a first demand

    first, second = download(client, receipt), download(client, receipt)

    db.session.refresh(receipt)
    assert first.data == second.data == receipt.pdf
    assert hashlib.sha256(first.data).hexdigest() == receipt.sha256


def test_issuing_again_returns_the_same_receipt(app_ctx, make_campaign, settings):
    donation = paid_donation(make_campaign())
    first = live_receipt(db.session, donation)
    again = issue_receipt(db.session, donation, settings.receipts)
    db.session.commit()

    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 1
    assert db.session.scalars(select(ReceiptCounter.last)).one() == 1


def test_a_refunded_donation_gets_no_new_receipt(app_ctx, make_campaign, settings):
    donation = paid_donation(make_campaign())
    refunds.post_refund(db.session, settings, donation, "re_all", donation.amount)
    db.session.commit()

    with pytest.raises(ReceiptError):
        issue_receipt(db.session, donation, settings.receipts)


@pytest.mark.parametrize("kind", ["donation token", "guessed", "one letter off", "empty-ish"])
def test_any_other_token_is_not_found(client, make_campaign, kind):
    donation = paid_donation(make_campaign())
    receipt = live_receipt(db.session, donation)
    token = {
        "donation token": donation.token,
        "guessed": secrets.token_urlsafe(24),
        "one letter off": receipt.token[:-1] + ("A" if receipt.token[-1] != "A" else "B"),
        "empty-ish": "-",
    }[kind]

    response = isolated(client.get, f"/receipts/{token}.pdf")

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"%PDF" not in response.data


def test_another_donors_receipt_is_only_reached_by_its_own_token(client, make_campaign):
    campaign = make_campaign()
    mine = live_receipt(db.session, paid_donation(campaign, donor_name="Ayşe Yılmaz"))
    theirs = live_receipt(
        db.session, paid_donation(campaign, donor_name="Mehmet Demir", donor_email="m@example.org")
    )

    text = pdf_text(download(client, mine).data)

    assert "Ayşe Yılmaz" in text
    assert "Mehmet Demir" not in text
    assert mine.token != theirs.token


def test_a_full_refund_voids_the_receipt(client, make_campaign, settings):
    donation = paid_donation(make_campaign(), amount=500_00)
    receipt = live_receipt(db.session, donation)
    original = pdf_of(receipt)

    refunds.post_refund(db.session, settings, donation, "re_full", 500_00)
    db.session.commit()

    db.session.refresh(receipt)
    assert receipt.voided_at is not None
    assert live_receipt(db.session, donation) is None
    response = download(client, receipt)
    db.session.refresh(receipt)
    assert response.data != original
    assert hashlib.sha256(response.data).hexdigest() == receipt.sha256
    assert download(client, receipt).data == response.data
    text = pdf_text(response.data)
    assert "VOID" in text
    assert receipt.number in text
    assert "replaced by" not in text


def test_a_partial_refund_replaces_the_receipt_for_the_amount_kept(client, make_campaign, settings):
    donation = paid_donation(make_campaign(currency="TRY"), amount=3000_00)
    old = live_receipt(db.session, donation)

    refunds.post_refund(db.session, settings, donation, "re_part", 500_00)
    db.session.commit()

    new = live_receipt(db.session, donation)
    db.session.refresh(old)
    assert old.voided_at is not None
    assert new.replaces_id == old.id
    assert new.amount == 2500_00
    assert new.sequence == old.sequence + 1
    new_text = pdf_text(download(client, new).data)
    assert "₺2,500.00" in new_text
    assert "two thousand five hundred Turkish lira" in new_text
    assert f"Replaces receipt {old.number}" in new_text
    assert "₺500.00" in new_text  # refunded
    old_text = pdf_text(download(client, old).data)
    assert "VOID" in old_text
    assert f"It is replaced by receipt {new.number}" in old_text


def test_refunds_in_turn_replace_then_void(app_ctx, make_campaign, settings):
    donation = paid_donation(make_campaign(), amount=300_00)

    refunds.post_refund(db.session, settings, donation, "re_1", 100_00)
    refunds.post_refund(db.session, settings, donation, "re_2", 100_00)
    db.session.commit()
    kept = live_receipt(db.session, donation)
    refunds.post_refund(db.session, settings, donation, "re_3", 100_00)
    db.session.commit()

    receipts = db.session.scalars(select(Receipt).order_by(Receipt.sequence)).all()
    assert [r.amount for r in receipts] == [300_00, 200_00, 100_00]
    assert [r.replaces_id for r in receipts] == [None, receipts[0].id, receipts[1].id]
    assert kept.id == receipts[2].id
    assert all(r.voided_at is not None for r in receipts)
    assert live_receipt(db.session, donation) is None


class DisputeDesk:
    """Just enough of a payment provider for a dispute's word."""

    def __init__(self, dispute: Dispute) -> None:
        self.dispute = dispute

    def retrieve_dispute(self, dispute_id: str) -> Dispute:
        return self.dispute


@pytest.mark.parametrize(("status", "void"), [("lost", True), ("won", False)])
def test_a_lost_dispute_voids_the_receipt(client, make_campaign, status, void, settings):
    donation = paid_donation(make_campaign(), amount=400_00)
    receipt = live_receipt(db.session, donation)
    dispute = Dispute("dp_1", donation.provider_payment_id, 400_00, donation.currency, status)

    settlement.open_dispute(db.session, DisputeDesk(dispute), settings, dispute.id)
    db.session.commit()

    db.session.refresh(receipt)
    assert (receipt.voided_at is not None) is void
    assert ("VOID" in pdf_text(download(client, receipt).data)) is void


def test_the_verification_page_confirms_without_personal_data(client, make_campaign):
    campaign = make_campaign(title="Iftar tables", currency="TRY")
    donation = paid_donation(campaign, amount=750_00, donor_name="Elif Şahin")
    receipt = live_receipt(db.session, donation)
    text = pdf_text(pdf_of(receipt))
    url = text[text.index(VERIFY) :].split()[0]

    response = isolated(client.get, url.removeprefix("http://campaigns.test"))

    assert response.status_code == 200
    page = parse(response.data)
    body = page.text
    assert f"Receipt {receipt.number} is genuine" in body
    assert "Iftar tables" in body
    assert "₺750.00" in body
    assert "Valid" in body
    assert "Elif Şahin" not in body
    assert donation.donor_email not in body


def test_the_verification_page_shows_a_void_receipt_and_its_replacement(
    client, make_campaign, settings
):
    donation = paid_donation(make_campaign(), amount=600_00)
    old = live_receipt(db.session, donation)
    refunds.post_refund(db.session, settings, donation, "re_part", 100_00)
    db.session.commit()
    new = live_receipt(db.session, donation)

    text = pdf_text(pdf_of(old))  # the VOID copy, as printed
    url = text[text.index(VERIFY) :].split()[0]

    page = parse(isolated(client.get, url.removeprefix("http://campaigns.test")).data)

    assert f"Receipt {old.number} is void" in page.text
    assert f"replaced by receipt {new.number}" in page.text
    assert "₺600.00" in page.text
    # The replacement's own details are one click away (the same donor's gift).
    [link] = [a for a in page.find_all("a") if a.text == f"Check {new.number}"]
    replacement = parse(isolated(client.get, link.attrs["href"]).data).text
    assert f"Receipt {new.number} is genuine" in replacement
    assert "₺500.00" in replacement


def test_an_unknown_number_is_not_our_receipt(client, make_campaign):
    paid_donation(make_campaign())

    response = isolated(client.get, "/receipts/verify/RCPT-2026-999999")

    assert response.status_code == 404
    assert "This is not one of our receipts" in parse(response.data).text


def test_what_donors_type_never_becomes_a_fetch(app_ctx, make_campaign, monkeypatch):
    fetched = []
    real_fetch = StaticFilesFetcher.fetch

    def record(self, url, headers=None):
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(StaticFilesFetcher, "fetch", record)
    campaign = make_campaign(title='<img src="file:///etc/passwd"> Aid')
    donation = paid_donation(
        campaign,
        donor_name='<link rel="stylesheet" href="http://example.org/x.css">Ali',
        dedication="url(file:///etc/passwd) http://example.org/x.png",
    )

    text = pdf_text(pdf_of(live_receipt(db.session, donation)))

    assert '<img src="file:///etc/passwd"> Aid' in text
    assert "Ali" in text
    assert fetched
    assert all(url.startswith(("http://campaigns.test/static/", "data:")) for url in fetched), (
        fetched
    )


def test_a_statement_lists_kept_gifts_with_totals_per_currency(app_ctx, make_campaign, settings):
    lira = make_campaign("food", title="Food parcels", currency="TRY")
    dollars = make_campaign("wells", title="Water wells", currency="USD")
    first = paid_donation(lira, amount=1000_00)
    second = paid_donation(lira, amount=500_00, donor_email="AYSE@example.org")
    third = paid_donation(dollars, amount=80_00)
    refunded = paid_donation(dollars, amount=20_00)
    refunds.post_refund(db.session, settings, second, "re_part", 200_00)
    refunds.post_refund(db.session, settings, refunded, "re_all", 20_00)
    paid_donation(lira, amount=999_00, donor_email="someone-else@example.org")
    earlier = unreceipted_donation(lira, paid_at=datetime(2019, 6, 1, tzinfo=UTC))
    db.session.commit()
    today = local_today()

    pdf = render_statement(
        db.session,
        "Ayse@Example.org",
        date(today.year, 1, 1),
        date(today.year, 12, 31),
        "en",
        settings.receipts,
    )

    text = pdf_text(pdf)
    assert "Statement of gifts" in text
    assert "Ayşe Yılmaz" in text
    for donation in (first, second, third):
        assert live_receipt(db.session, donation).number in text
    assert "₺300.00" in text  # 500 less 200 refunded
    assert "₺1,300.00" in text  # lira total
    assert "$80.00" in text  # dollar total, never added to the lira
    assert "₺999.00" not in text
    assert "$20.00" not in text
    assert earlier.amount == 100_00 and "₺100.00" not in text
