"""Refunds staff cannot get wrong: a page that shows what will happen before anything
does, a required reason, shares refunded by name (their units and stock come back), and
the donor's e-mail in their language with the receipt that replaces theirs."""

from __future__ import annotations

import io

import pytest
from flask import current_app
from pypdf import PdfReader
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import AuditEntry, DonationOption, OutboxMessage, Receipt
from campaigns.services.giving import settlement
from campaigns.services.giving.donations import GiftForm, start_donation, validate_gift
from campaigns.services.mail.outbox import SmtpMailer, send_pending
from tests.mail_fixtures import attachments_of, text_of
from tests.markup import parse
from tests.payments_fixtures import charge_of, reloaded, thank_you_urls, totals_of

NAMES = ["Ahmet Kaya", "أحمد علي", "Zeynep Kaya"]
CHANGED = "This donation changed while you were looking at it; please check it again."


def pay(campaign, form: GiftForm, locale: str = "en"):
    """A gift paid through the current provider's checkout, as a donor makes it."""
    provider = current_app.extensions["payment_provider"]
    settings = current_app.extensions["settings"]
    gift = validate_gift(db.session, campaign, form, locale=locale, today=local_today())
    donation, _url = start_donation(
        db.session, provider, settings, campaign, gift, thank_you_urls, commit=db.session.commit
    )
    provider.pay(donation.provider_session_id)
    settlement.fulfill_checkout(db.session, provider, settings, donation.provider_session_id)
    db.session.commit()
    return donation


@pytest.fixture
def sheep(app_ctx, make_campaign, make_option):
    campaign = make_campaign("qurban", title="Kurban 2026")
    return make_option(
        campaign, "Sheep share", unit_price=4500_00, units=1, stock=10, needs_on_behalf=True
    )


@pytest.fixture
def shares_gift(sheep):
    """Three sheep shares, each for a name, paid by a Turkish donor (demo checkout)."""
    form = GiftForm(
        option=str(sheep.id),
        quantity="3",
        name="Ayşe Yılmaz",
        email="ayse@example.org",
        on_behalf=list(NAMES),
    )
    donation = pay(sheep.campaign, form, locale="tr")
    assert (donation.status, donation.units, stock_held(sheep)) == ("paid", 3, 3)
    return donation


@pytest.fixture
def whole_gift(app_ctx, make_campaign):
    return pay(make_campaign("food-aid"), GiftForm(amount="250", name="Ali", email="ali@x.org"))


def stock_held(option: DonationOption) -> int:
    db.session.expire_all()
    return db.session.get(DonationOption, option.id).reserved


def form_fields(admin, donation) -> dict[str, object]:
    """The refund form's inputs as the donation page shows them (checkboxes unticked)."""
    page = parse(admin.get(f"/staff/donations/{donation.id}").data)
    [form] = [
        f
        for f in page.find_all("form")
        if f.attrs.get("action") == f"/staff/donations/{donation.id}/refund"
    ]
    fields = {
        i.attrs["name"]: i.attrs.get("value", "")
        for i in form.find_all("input")
        if i.attrs.get("type") != "checkbox"
    }
    fields.pop("csrf_token")
    return fields


def confirmation_fields(page) -> dict[str, object]:
    """What the confirmation page's button posts (shares as a list)."""
    [form] = [
        f
        for f in parse(page.data).find_all("form")
        if f.attrs.get("action", "").endswith("/refund")
    ]
    fields: dict[str, object] = {}
    for i in form.find_all("input"):
        name = i.attrs["name"]
        if name == "shares":
            fields.setdefault("shares", []).append(i.attrs["value"])
        elif name != "csrf_token":
            fields[name] = i.attrs.get("value", "")
    return fields


def review(admin, donation, **fields):
    return admin.post(
        f"/staff/donations/{donation.id}/refund", form_fields(admin, donation) | fields
    )


def confirm(admin, donation, page) -> list[str]:
    response = admin.post(f"/staff/donations/{donation.id}/refund", confirmation_fields(page))
    assert response.status_code == 303, response.status_code
    landed = admin.get(response.headers["Location"])
    return [li.text for li in parse(landed.data).find_all("li", "flash")]


def test_the_confirmation_shows_what_will_happen_and_changes_nothing(
    client, staff_login, shares_gift, sheep
):
    admin = staff_login(client, "admin")
    receipt = db.session.scalars(select(Receipt)).one()

    page = review(admin, shares_gift, shares=["1"], reason="Gave twice")

    assert page.status_code == 200
    text = parse(page.data).text
    assert "Confirm the refund" in text
    assert "₺4,500.00" in text  # the amount: one share
    assert "أحمد علي" in text.split("Shares refunded")[1].split("Shares kept")[0]
    assert "Ahmet Kaya, Zeynep Kaya" in text  # the shares kept
    assert f"Receipt {receipt.number} is voided and replaced by a new receipt for ₺9,000.00" in text
    # The e-mail as the donor will read it, in Turkish.
    preview = parse(page.data).find("div", "mail-preview")
    assert preview.attrs["lang"] == "tr"
    assert "Kurban 2026 için bağışınız iade edildi" in preview.text
    assert "ayse@example.org" in text
    # Nothing moved yet.
    donation = reloaded(shares_gift)
    assert (donation.refunded_amount, donation.on_behalf, donation.version) == (0, NAMES, 0)
    assert stock_held(sheep) == 3
    assert db.session.scalars(select(OutboxMessage.key)).all() == [f"thanks:{donation.token}"]


def test_a_share_refunded_by_name_gives_back_its_unit_and_stock_and_leaves_the_lists(
    client, staff_login, shares_gift, sheep
):
    admin = staff_login(client, "admin")
    campaign = sheep.campaign

    flashes = confirm(admin, shares_gift, review(admin, shares_gift, shares=["1"], reason="Asked"))

    assert flashes == ["Refunded: the totals are updated."]
    donation = reloaded(shares_gift)
    assert (donation.status, donation.refunded_amount) == ("partially_refunded", 4500_00)
    assert donation.on_behalf == ["Ahmet Kaya", "Zeynep Kaya"]
    assert donation.refunded_on_behalf == ["أحمد علي"]
    assert donation.refund_reason == "Asked"
    assert stock_held(sheep) == 2
    assert totals_of(campaign)["units_funded"] == 2
    assert totals_of(campaign)["raised"] == 9000_00
    # The replacement receipt names only the shares still given.
    live = db.session.scalars(select(Receipt).where(Receipt.voided_at.is_(None))).one()
    assert live.amount == 9000_00
    # The page now offers the two shares left, by name.
    page = parse(admin.get(f"/staff/donations/{donation.id}").data)
    boxes = [li.text for li in page.find_all("li", "checkbox-field")]
    assert boxes == ["Ahmet Kaya", "Zeynep Kaya"]

    # The rest: every unit and all the stock come back.
    confirm(admin, donation, review(admin, donation, shares=["0", "1"], reason="All of it"))

    donation = reloaded(donation)
    assert (donation.status, donation.on_behalf) == ("refunded", [])
    assert donation.refunded_on_behalf == ["أحمد علي", "Ahmet Kaya", "Zeynep Kaya"]
    assert stock_held(sheep) == 0
    assert totals_of(campaign)["units_funded"] == 0
    reasons = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "donation.refund_request")
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.after["reason"], e.after["shares"]) for e in reasons] == [
        ("Asked", ["أحمد علي"]),
        ("All of it", ["Ahmet Kaya", "Zeynep Kaya"]),
    ]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"shares": ["1"], "reason": ""}, "reason", "Please say why this gift is refunded."),
        ({"shares": ["1"], "reason": "  \n "}, "reason", "Please say why this gift is refunded."),
        ({"shares": ["1"], "reason": "a\x00b"}, "reason", None),
        ({"shares": [], "reason": "Asked"}, "shares", "Please choose the shares to refund."),
        ({"shares": ["7"], "reason": "Asked"}, "shares", "Please choose the shares to refund."),
        ({"shares": ["-1"], "reason": "Asked"}, "shares", "Please choose the shares to refund."),
        ({"shares": ["1"], "reason": "x" * 1001}, "reason", "1000 characters"),
    ],
)
def test_a_missing_reason_or_no_shares_is_refused_beside_the_field(
    client, staff_login, shares_gift, sheep, fields, field, message
):
    admin = staff_login(client, "admin")

    page = review(admin, shares_gift, **fields)

    assert page.status_code == 422
    errors = parse(page.data).find_all("p", "field-error")
    assert len(errors) == 1
    assert errors[0].attrs["id"] == ("reason-error" if field == "reason" else "refund-shares-error")
    if message:
        assert message in errors[0].text
    assert reloaded(shares_gift).refunded_amount == 0
    assert stock_held(sheep) == 3


def test_confirming_without_a_reason_refunds_nothing(client, staff_login, whole_gift):
    admin = staff_login(client, "admin")
    fields = form_fields(admin, whole_gift) | {"confirm": "yes", "reason": ""}

    response = admin.post(f"/staff/donations/{whole_gift.id}/refund", fields)

    assert response.status_code == 303
    assert reloaded(whole_gift).refunded_amount == 0


def test_a_double_click_on_confirm_refunds_once_and_says_so(client, staff_login, whole_gift):
    admin = staff_login(client, "admin")
    page = review(admin, whole_gift, amount="100", reason="Asked")

    first, second = confirm(admin, whole_gift, page), confirm(admin, whole_gift, page)

    assert first == ["Refunded: the totals are updated."]
    assert second == [CHANGED]
    assert reloaded(whole_gift).refunded_amount == 100_00
    provider = current_app.extensions["payment_provider"]
    assert len(provider.list_refunds(whole_gift.provider_payment_id)) == 1


def test_a_page_left_open_after_a_refund_says_the_gift_changed(client, staff_login, whole_gift):
    admin = staff_login(client, "admin")
    stale = form_fields(admin, whole_gift)
    confirm(admin, whole_gift, review(admin, whole_gift, amount="100", reason="Asked"))

    response = admin.post(
        f"/staff/donations/{whole_gift.id}/refund", stale | {"amount": "50", "reason": "Again"}
    )

    assert response.status_code == 303
    landed = admin.get(response.headers["Location"])
    assert CHANGED in landed.get_data(as_text=True)
    assert reloaded(whole_gift).refunded_amount == 100_00


def test_the_donor_is_emailed_in_turkish_with_the_replacement_receipt(
    client, staff_login, shares_gift, smtp_server, settings
):
    admin = staff_login(client, "admin")
    confirm(admin, shares_gift, review(admin, shares_gift, shares=["0"], reason="Asked"))
    replacement = db.session.scalars(select(Receipt).where(Receipt.voided_at.is_(None))).one()

    send_pending(db.session, SmtpMailer(smtp_server.url, "Relief <d@example.org>"), settings)
    send_pending(db.session, SmtpMailer(smtp_server.url, "Relief <d@example.org>"), settings)

    _thanks, notice = smtp_server.to("ayse@example.org")  # once, however often it runs
    assert notice["Subject"] == "Kurban 2026 için bağışınız iade edildi"
    body = text_of(notice)
    assert "₺4.500,00" in body  # Turkish number format
    assert "أحمد علي, Zeynep Kaya" in body
    assert replacement.number in body
    assert f"/receipts/{replacement.token}.pdf" in body
    [(name, pdf)] = attachments_of(notice)
    assert name == f"receipt-{replacement.number}.pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert replacement.number in text


def test_a_stripe_share_refund_returns_the_unit_when_stripe_confirms(
    client, staff_login, sheep, pending_donation, fake_stripe, deliver
):
    donation = pending_donation(option=sheep, quantity=3, email="ali@x.org", on_behalf=NAMES)
    session = fake_stripe.complete_session(donation.provider_session_id)
    deliver("checkout.session.completed", session)
    admin = staff_login(client, "admin")

    flashes = confirm(admin, donation, review(admin, donation, shares=["2"], reason="Asked"))

    assert flashes == ["Refund requested; the totals change when Stripe confirms."]
    assert reloaded(donation).on_behalf == NAMES[:2]  # the name left at once
    assert (stock_held(sheep), totals_of(sheep.campaign)["units_funded"]) == (3, 3)
    deliver("charge.refunded", charge_of(fake_stripe, session))
    assert (stock_held(sheep), totals_of(sheep.campaign)["units_funded"]) == (2, 2)
    [notice] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.key.startswith("refund:"))
    ).all()
    assert notice.to == "ali@x.org"
    assert "Ahmet Kaya, أحمد علي" in notice.body_text  # naming the shares kept
