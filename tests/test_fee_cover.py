"""Covering the fees: the `cover_fees` box adds FEE_COVER_PERCENT of the gift, computed on
the server to the minor unit. The donor pays gift + cover (Stripe's and the demo checkout's
amount, a bank pledge's transfer), the campaign's totals count the gift only, the cover is
posted as its own ledger kind, and refunds and disputes take back both parts in
proportion, exactly."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Donation, LedgerEntry, Receipt
from campaigns.money import percent_of, share_of
from campaigns.services.books.ledger import recent_gifts, verify_totals
from campaigns.settings import read_fee_cover_percent
from tests.giving import donate, press
from tests.markup import parse
from tests.payments_fixtures import (
    charge_of,
    entries_of,
    invoice_payment_intent,
    isolated,
    reloaded,
    totals_of,
)
from tests.receipting import pdf_of, pdf_text

NO_TOTALS = {"raised": 0, "units_funded": 0, "donations": 0, "donors": 0}


def newest_gift() -> Donation:
    db.session.expire_all()
    return db.session.scalars(select(Donation).order_by(Donation.id.desc())).first()


def cover_entries(donation: Donation) -> list[tuple[str, int]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.donation_id == donation.id, LedgerEntry.kind.like("fee_cover%"))
        .order_by(LedgerEntry.id)
    )
    return [(e.kind.value, e.amount) for e in rows]


def gift_entries(donation: Donation) -> list[tuple[str, int]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.donation_id == donation.id, LedgerEntry.kind.not_like("fee_cover%"))
        .order_by(LedgerEntry.id)
    )
    return [(e.kind.value, e.amount) for e in rows]


# --- the arithmetic and the setting ----------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "points", "cover"),
    [
        (1234_50, 300, 37_04),  # 37.035 TRY: half a kuruş rounds up
        (1000_00, 300, 30_00),
        (150, 300, 5),  # 4.5 cents -> 5
        (149, 300, 4),  # 4.47 cents -> 4
        (1250, 300, 38),  # JPY has no minor unit: 37.5 yen -> 38
        (1001, 295, 30),  # 29.5295 -> 30
        (500_000_00, 2000, 100_000_00),
        (1234_50, 0, 0),
    ],
)
def test_the_cover_is_the_percentage_rounded_half_up_to_the_minor_unit(minor, points, cover):
    assert percent_of(minor, points) == cover


@pytest.mark.parametrize(
    ("text", "points"), [("3", 300), ("0", 0), ("2.9", 290), ("2.95", 295), ("20", 2000)]
)
def test_the_setting_is_a_percentage_from_0_to_20(text, points):
    assert read_fee_cover_percent(text) == points


@pytest.mark.parametrize("text", ["20.01", "21", "-1", "3%", "2.955", "", "1e1", "٣", "3 "])
def test_the_app_refuses_to_start_on_a_bad_percentage(configure, text):
    if text.strip() == "3":
        assert configure(FEE_COVER_PERCENT=text).fee_cover_basis_points == 300
        return
    with pytest.raises(RuntimeError, match="Refusing to start: FEE_COVER_PERCENT"):
        configure(FEE_COVER_PERCENT=text)


# --- the form --------------------------------------------------------------------------


def give_form(client, slug: str):
    return parse(isolated(client.get, f"/campaigns/{slug}").data).find("form", "give-form")


def test_the_form_offers_the_box_unchecked_in_its_own_block(client, make_campaign):
    make_campaign("water")
    form = give_form(client, "water")

    block = form.find("div", "cover-field")
    box = next(i for i in block.find_all("input") if i.attrs.get("name") == "cover_fees")
    assert box.attrs["type"] == "checkbox" and "checked" not in box.attrs
    assert block.find("label").text == "Add 3% so all of my gift reaches the field"
    assert block.attrs["data-basis-points"] == "300"


def test_the_percentage_is_the_setting_in_the_readers_language(client, make_campaign, configure):
    configure(FEE_COVER_PERCENT="2.5")
    make_campaign("water")
    label = give_form(client, "water").find("div", "cover-field").find("label").text
    assert label == "Add 2.5% so all of my gift reaches the field"
    tr = parse(isolated(client.get, "/campaigns/water", headers={"Accept-Language": "tr"}).data)
    label = tr.find("div", "cover-field").find("label").text
    assert label == "Bağışımın tamamı sahaya ulaşsın diye %2,5 ekle"


def test_a_percentage_of_0_hides_the_box_and_ignores_the_field(client, make_campaign, configure):
    configure(FEE_COVER_PERCENT="0")
    make_campaign("water")
    form = give_form(client, "water")
    assert not [i for i in form.find_all("input") if i.attrs.get("name") == "cover_fees"]

    checkout = donate(client, "water", amount="1234,50", cover_fees="1")
    assert checkout.status_code == 303
    gift = newest_gift()
    assert (gift.amount, gift.fee_cover) == (1234_50, 0)


@pytest.mark.parametrize(
    ("currency", "typed", "gift", "cover"),
    [
        ("TRY", "1234.50", 1234_50, 37_04),
        ("USD", "10.01", 10_01, 30),
        ("JPY", "1250", 1250, 38),
    ],
)
def test_the_server_computes_the_cover_exactly(client, make_campaign, currency, typed, gift, cover):
    make_campaign("water", currency=currency)
    checkout = donate(client, "water", amount=typed, cover_fees="1")

    assert checkout.status_code == 303
    donation = newest_gift()
    assert (donation.amount, donation.fee_cover, donation.gift_amount) == (
        gift + cover,
        cover,
        gift,
    )


def test_without_the_box_the_donor_pays_the_gift(client, make_campaign):
    make_campaign("water")
    donate(client, "water", amount="250")
    assert (newest_gift().amount, newest_gift().fee_cover) == (250_00, 0)


def test_made_up_fields_cannot_change_what_is_charged(client, make_campaign):
    make_campaign("water")
    checkout = donate(
        client,
        "water",
        amount="1000",
        cover_fees="yes please",
        fee_cover="1",
        total="1",
        cover="999999",
        amount_total="5",
    )
    assert checkout.status_code == 303
    donation = newest_gift()
    assert (donation.amount, donation.fee_cover) == (1030_00, 30_00)
    page = parse(isolated(client.get, checkout.headers["Location"]).data)
    assert "₺1,030.00" in page.text


def test_an_option_covers_each_share_alike(client, make_campaign, make_option):
    campaign = make_campaign("qurban")
    option = make_option(campaign, "Sheep", unit_price=1999_99, units=1)
    donate(client, "qurban", option=str(option.id), quantity="3", cover_fees="1")

    donation = newest_gift()
    per_share = percent_of(1999_99, 300)  # 60.00 (59.9997)
    assert per_share == 60_00
    assert (donation.amount, donation.fee_cover) == (3 * (1999_99 + 60_00), 3 * 60_00)


def test_the_cover_counts_against_the_currencys_maximum(client, make_campaign):
    make_campaign("water", currency="USD")
    response = donate(client, "water", amount="100000", cover_fees="1")  # the maximum
    assert response.status_code == 422
    assert newest_gift() is None


def test_a_returned_form_keeps_the_box_ticked(client, make_campaign):
    make_campaign("water")
    response = donate(client, "water", amount="250", cover_fees="1", email="not an address")
    assert response.status_code == 422
    form = parse(response.data).find("form", "give-form")
    box = next(i for i in form.find_all("input") if i.attrs.get("name") == "cover_fees")
    assert "checked" in box.attrs


# --- the demo checkout, the ledger and the receipt ---------------------------------------


def test_paying_posts_the_gift_to_the_totals_and_the_cover_beside_them(client, make_campaign):
    campaign = make_campaign("water")
    checkout = donate(client, "water", amount="1234.50", cover_fees="1")
    page = parse(isolated(client.get, checkout.headers["Location"]).data)
    assert "₺1,271.54" in page.text  # the demo checkout charges gift + cover
    back = press(client, checkout.headers["Location"], "pay")
    thanks = parse(isolated(client.get, back.headers["Location"]).data)

    donation = newest_gift()
    assert donation.status == "paid"
    assert totals_of(campaign) == {
        "raised": 1234_50,
        "units_funded": 0,
        "donations": 1,
        "donors": 1,
    }
    reference = donation.provider_payment_id
    # The cover is posted first: the gift's entry, which takes the totals, comes last.
    assert entries_of(campaign) == [
        ("fee_cover", 37_04, 0, f"{reference}:cover"),
        ("payment", 1234_50, 0, reference),
    ]
    assert verify_totals(db.session) == []
    cover_line = thanks.find("p", "thanks-cover").text
    assert "you paid ₺1,271.54, your gift of ₺1,234.50 and ₺37.04 for the fees" in cover_line
    # The recent gifts list shows the gift, not what was paid.
    db.session.expire_all()
    assert recent_gifts(db.session, campaign)[0]["amount"] == 1234_50

    receipt = db.session.scalars(select(Receipt).where(Receipt.donation_id == donation.id)).one()
    assert receipt.amount == 1271_54
    text = pdf_text(pdf_of(receipt))
    assert "₺1,271.54" in text
    assert "A gift of ₺1,234.50" in text
    assert "Fee cover you added ₺37.04" in text.replace("\n", " ")
    assert "Total paid ₺1,271.54" in text.replace("\n", " ")
    assert "fee cover included, is your donation" in text.replace("\n", " ")


def test_the_receipt_in_turkish_and_arabic_names_the_total_paid(client, make_campaign):
    make_campaign("water")
    for locale, words in (("tr", "Ödenen toplam"), ("ar", "إجمالي المدفوع")):
        checkout = donate(client, "water", amount="100", cover_fees="1")
        donation = newest_gift()
        donation.locale = locale  # the donor's language, as the form would record it
        db.session.commit()
        press(client, checkout.headers["Location"], "pay")
        receipt = db.session.scalars(
            select(Receipt).where(Receipt.donation_id == donation.id)
        ).one()
        text = pdf_text(pdf_of(receipt))
        assert words in text


def test_the_fulfilment_run_twice_posts_nothing_twice(client, make_campaign, app):
    from campaigns.services.giving import settlement

    campaign = make_campaign("water")
    checkout = donate(client, "water", amount="100", cover_fees="1")
    back = press(client, checkout.headers["Location"], "pay")
    isolated(client.get, back.headers["Location"])
    isolated(client.get, back.headers["Location"])
    donation = newest_gift()
    outcome = settlement.fulfill_checkout(
        db.session,
        app.extensions["payment_provider"],
        app.extensions["settings"],
        donation.provider_session_id,
    )
    db.session.commit()
    assert outcome == settlement.Outcome.ALREADY
    assert len(entries_of(campaign)) == 2
    assert totals_of(campaign)["raised"] == 100_00


def test_a_bank_transfer_pledge_expects_gift_and_cover(client, make_campaign, configure):
    configure(
        BANK_ACCOUNTS='[{"bank": "Ziraat", "holder": "Example Relief", '
        '"iban": "TR330006100519786457841326", "currency": "TRY"}]'
    )
    make_campaign("water")
    response = donate(client, "water", amount="500", cover_fees="1", method="bank_transfer")
    assert response.status_code == 303
    pledge = newest_gift()
    assert (pledge.amount, pledge.fee_cover, pledge.provider) == (515_00, 15_00, "bank_transfer")
    page = parse(isolated(client.get, response.headers["Location"]).data)
    assert "₺515.00" in page.text


# --- Stripe: what is charged, refunds, disputes, monthly gifts ---------------------------


@pytest.fixture
def covered(pending_donation, fake_stripe, deliver):
    """A 1,000.00 TRY gift with 30.00 TRY cover paid through Stripe and recorded."""
    donation = pending_donation(amount="1000", cover_fees=True)
    session = fake_stripe.complete_session(donation.provider_session_id)
    assert deliver("checkout.session.completed", session).status_code == 200
    return donation, session


def test_stripe_charges_the_gift_and_the_cover_as_two_lines(covered, fake_stripe):
    donation, session = covered
    [call] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    gift, cover = call.params["line_items"]
    assert (gift["price_data"]["unit_amount"], gift["quantity"]) == ("100000", "1")
    assert (cover["price_data"]["unit_amount"], cover["quantity"]) == ("3000", "1")
    assert cover["price_data"]["product_data"]["name"].startswith("Fee cover (3%)")
    assert session["amount_total"] == 1030_00
    assert charge_of(fake_stripe, session)["amount"] == 1030_00
    assert reloaded(donation).status == "paid"
    assert totals_of(donation.campaign)["raised"] == 1000_00


def test_a_replayed_webhook_posts_nothing_twice(covered, fake_stripe, deliver):
    donation, session = covered
    assert deliver("checkout.session.completed", session).status_code == 200
    intent = session["payment_intent"]
    assert entries_of(donation.campaign) == [
        ("fee_cover", 30_00, 0, f"{intent}:cover"),
        ("payment", 1000_00, 0, intent),
    ]
    assert verify_totals(db.session) == []


def test_partial_refunds_take_back_both_parts_in_proportion_exactly(covered, fake_stripe, deliver):
    donation, session = covered
    intent = session["payment_intent"]
    amounts = [100_00, 33_33, 1, 1, 500_00]
    for amount in amounts:
        fake_stripe.refund(payment_intent=intent, amount=amount)
        assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200
    refunded = sum(amounts)
    # The cover refunded so far is the cover's share of what was refunded, rounded down.
    assert -sum(a for _k, a in cover_entries(donation)[1:]) == share_of(refunded, 30_00, 1030_00)
    assert totals_of(donation.campaign)["raised"] == 1000_00 - (
        refunded - share_of(refunded, 30_00, 1030_00)
    )
    assert reloaded(donation).status == "partially_refunded"

    fake_stripe.refund(payment_intent=intent)  # the rest
    assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200

    assert reloaded(donation).status == "refunded"
    assert sum(a for _k, a in cover_entries(donation)) == 0
    assert sum(a for _k, a in gift_entries(donation)) == 0
    assert totals_of(donation.campaign)["raised"] == 0
    # Each refund's two parts add up to what Stripe refunded.
    refunds = fake_stripe.client().v1.refunds.list(
        {"charge": charge_of(fake_stripe, session)["id"]}
    )
    db.session.expire_all()
    for refund in refunds.data:
        parts = db.session.scalars(
            select(LedgerEntry.amount).where(
                LedgerEntry.reference.in_([refund.id, f"{refund.id}:cover"])
            )
        ).all()
        assert -sum(parts) == refund.amount
    assert verify_totals(db.session) == []


def test_a_refund_of_the_first_third_splits_as_computed(covered, fake_stripe, deliver):
    donation, session = covered
    refund = fake_stripe.refund(payment_intent=session["payment_intent"], amount=100_00)
    deliver("charge.refunded", charge_of(fake_stripe, session))
    # 100.00 of 1,030.00 paid: the cover's part is 2.91 (291.26 kuruş, rounded down).
    assert cover_entries(donation) == [("fee_cover", 30_00), ("fee_cover_returned", -2_91)]
    assert gift_entries(donation) == [("payment", 1000_00), ("refund", -97_09)]
    assert reloaded(donation).refunded_amount == 100_00
    assert refund["amount"] == 100_00


def test_a_refund_that_fails_gives_both_parts_back(covered, fake_stripe, deliver):
    donation, session = covered
    refund = fake_stripe.refund(payment_intent=session["payment_intent"], amount=515_00)
    deliver("charge.refunded", charge_of(fake_stripe, session))
    failed = fake_stripe.settle_refund(refund["id"], succeeded=False)
    assert deliver("refund.failed", failed).status_code == 200

    assert sum(a for _k, a in cover_entries(donation)) == 30_00
    assert totals_of(donation.campaign)["raised"] == 1000_00
    assert reloaded(donation).refunded_amount == 0
    assert verify_totals(db.session) == []


def test_refunding_one_share_takes_its_own_cover(
    pending_donation, qurban_option, fake_stripe, deliver
):
    donation = pending_donation(
        option=qurban_option, quantity=2, on_behalf=("Ali", "Can"), cover_fees=True
    )
    assert (donation.amount, donation.fee_cover) == (3090_00, 90_00)
    session = fake_stripe.complete_session(donation.provider_session_id)
    deliver("checkout.session.completed", session)

    fake_stripe.refund(payment_intent=session["payment_intent"], amount=1545_00)
    deliver("charge.refunded", charge_of(fake_stripe, session))

    assert cover_entries(donation)[-1] == ("fee_cover_returned", -45_00)
    assert gift_entries(donation)[-1] == ("refund", -1500_00)
    assert totals_of(donation.campaign)["raised"] == 1500_00
    assert totals_of(donation.campaign)["units_funded"] == 1


@pytest.mark.parametrize("won", [True, False], ids=["won", "lost"])
def test_a_dispute_takes_both_parts_and_a_won_one_gives_them_back(
    covered, fake_stripe, deliver, won
):
    donation, session = covered
    dispute = fake_stripe.create_dispute(charge_of(fake_stripe, session)["id"])
    assert deliver("charge.dispute.created", dispute).status_code == 200
    assert deliver("charge.dispute.created", dispute).status_code == 200
    assert totals_of(donation.campaign)["raised"] == 0
    assert sum(a for _k, a in cover_entries(donation)) == 0

    closed = fake_stripe.close_dispute(dispute["id"], won=won)
    assert deliver("charge.dispute.closed", closed).status_code == 200
    assert totals_of(donation.campaign)["raised"] == (1000_00 if won else 0)
    assert sum(a for _k, a in cover_entries(donation)) == (30_00 if won else 0)
    assert verify_totals(db.session) == []


def test_each_monthly_instalment_pays_and_splits_the_same(pending_donation, fake_stripe, deliver):
    donation = pending_donation(amount="100", frequency="monthly", cover_fees=True)
    [call] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert call.params["mode"] == "subscription"
    assert [item["price_data"]["recurring"] for item in call.params["line_items"]] == [
        {"interval": "month"},
        {"interval": "month"},
    ]
    session = fake_stripe.complete_session(donation.provider_session_id)
    deliver("checkout.session.completed", session)
    deliver("invoice.paid", fake_stripe.object(session["invoice"]))
    assert reloaded(donation).status == "paid"

    invoice = fake_stripe.pay_next_invoice(session["subscription"])
    assert invoice["amount_paid"] == 103_00
    assert deliver("invoice.paid", invoice).status_code == 200
    assert deliver("invoice.paid", invoice).status_code == 200

    instalment = newest_gift()
    assert instalment.parent_id == donation.id
    assert (instalment.amount, instalment.fee_cover) == (103_00, 3_00)
    intent = invoice_payment_intent(fake_stripe, invoice["id"])
    assert gift_entries(instalment) == [("payment", 100_00)]
    assert cover_entries(instalment) == [("fee_cover", 3_00)]
    assert intent == instalment.provider_payment_id
    assert totals_of(donation.campaign)["raised"] == 200_00
    assert verify_totals(db.session) == []


# --- the staff side --------------------------------------------------------------------


def test_the_export_and_the_dashboard_show_the_cover(client, make_campaign, staff_login):
    make_campaign("water")
    checkout = donate(client, "water", amount="200", cover_fees="1")
    press(client, checkout.headers["Location"], "pay")

    staff = staff_login(client, "viewer")
    page = parse(staff.get("/staff/").data)
    [cell] = page.find_all("td", "fig-fee-cover")
    assert cell.text == "₺6.00"

    csv = staff.get("/staff/donations.csv").data.decode("utf-8-sig")
    header, row = (line.split(";") for line in csv.strip().splitlines()[:2])
    assert row[header.index("amount")] == "206.00"
    assert row[header.index("fee_cover")] == "6.00"


def test_staff_see_the_split_before_a_refund_and_the_refund_takes_both_parts(
    client, make_campaign, staff_login
):
    campaign = make_campaign("water")
    checkout = donate(client, "water", amount="1000", cover_fees="1")
    press(client, checkout.headers["Location"], "pay")
    donation = newest_gift()
    admin = staff_login(client, "admin")
    detail = parse(admin.get(f"/staff/donations/{donation.id}").data).text
    assert "₺1,030.00 (gift ₺1,000.00, fee cover ₺30.00)" in detail

    review = confirm_refund_page(admin, donation, amount="515", reason="Gave twice")
    split = parse(review.data).find("dd", "refund-split").text
    assert split.startswith("₺500.00 of the gift and ₺15.00 of the fee cover")
    assert cover_entries(donation) == [("fee_cover", 30_00)]  # nothing moved yet

    done = admin.post(f"/staff/donations/{donation.id}/refund", refund_fields(review))
    assert done.status_code == 303
    assert cover_entries(donation) == [("fee_cover", 30_00), ("fee_cover_returned", -15_00)]
    assert totals_of(campaign)["raised"] == 500_00
    assert verify_totals(db.session) == []


def confirm_refund_page(admin, donation, **fields):
    page = parse(admin.get(f"/staff/donations/{donation.id}").data)
    [form] = [
        f
        for f in page.find_all("form")
        if f.attrs.get("action") == f"/staff/donations/{donation.id}/refund"
    ]
    values = {
        i.attrs["name"]: i.attrs.get("value", "")
        for i in form.find_all("input")
        if i.attrs.get("type") != "checkbox" and i.attrs["name"] != "csrf_token"
    }
    response = admin.post(f"/staff/donations/{donation.id}/refund", values | fields)
    assert response.status_code == 200, response.status_code
    return response


def refund_fields(page) -> dict[str, str]:
    [form] = [
        f
        for f in parse(page.data).find_all("form")
        if f.attrs.get("action", "").endswith("/refund")
    ]
    return {
        i.attrs["name"]: i.attrs.get("value", "")
        for i in form.find_all("input")
        if i.attrs["name"] != "csrf_token"
    }
