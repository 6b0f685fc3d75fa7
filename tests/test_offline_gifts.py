"""Offline gifts (admins): cash and bank transfers recorded against a campaign, posted to
the ledger, receipted when the donor gave an e-mail; reversed by a ledger entry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import AuditEntry, Donation, DonationOption, OutboxMessage, Receipt
from campaigns.services.mail.notifications import compose
from tests.markup import field_errors, parse
from tests.payments_fixtures import entries_of, reloaded, totals_of

GIFT = {
    "method": "bank_transfer",
    "amount": "2,500.00",
    "option": "",
    "quantity": "1",
    "designation": "general",
    "donor_name": "Mehmet Demir",
    "donor_email": "mehmet@example.org",
    "received_on": "2026-01-15",
    "note": "Transfer ref. TR-889",
}


def only_donation() -> Donation:
    db.session.expire_all()
    return db.session.scalars(select(Donation)).one()


def flashes(page) -> list[str]:
    return [li.text for li in parse(page.data).find_all("li", "flash")]


@pytest.fixture
def campaign(make_campaign):
    return make_campaign("food-aid", currency="TRY", designations="general,zakat")


def test_admin_records_a_bank_transfer_with_a_receipt(client, staff_login, campaign, app_ctx):
    admin = staff_login(client, "admin")

    response = admin.post(f"/staff/campaigns/{campaign.id}/gifts/new", GIFT)

    assert response.status_code == 303
    donation = only_donation()
    assert response.headers["Location"].endswith(f"/staff/donations/{donation.id}")
    assert (donation.provider, donation.status, donation.amount, donation.currency) == (
        "bank_transfer",
        "paid",
        2500_00,
        "TRY",
    )
    assert donation.paid_at.date() == date(2026, 1, 15)
    assert donation.note == "Transfer ref. TR-889"
    assert entries_of(campaign) == [("offline_gift", 2500_00, 0, f"offline:{donation.token}")]
    assert totals_of(campaign) == {
        "raised": 2500_00,
        "units_funded": 0,
        "donations": 1,
        "donors": 1,
    }
    [receipt] = db.session.scalars(select(Receipt).where(Receipt.donation_id == donation.id))
    assert receipt.amount == 2500_00 and receipt.number.startswith("RCPT-2026-")
    [mail] = db.session.scalars(select(OutboxMessage))
    compose(db.session, app_ctx.extensions["settings"], mail)  # as the sender does
    assert mail.to == "mehmet@example.org" and mail.receipt_id == receipt.id
    [entry] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "donation.offline_gift")
    )
    assert entry.staff_user_id == admin.user_id and entry.after["amount"] == 2500_00
    assert flashes(admin.get(response.headers["Location"])) == [
        "Recorded the gift of Mehmet Demir."
    ]


def test_a_cash_gift_without_an_email_moves_the_totals_without_a_receipt(
    client, staff_login, campaign, app_ctx
):
    admin = staff_login(client, "admin")

    response = admin.post(
        f"/staff/campaigns/{campaign.id}/gifts/new",
        GIFT | {"method": "cash", "donor_email": "", "amount": "300", "designation": "zakat"},
    )

    assert response.status_code == 303
    donation = only_donation()
    assert (donation.provider, donation.designation, donation.donor_email) == ("cash", "zakat", "")
    assert totals_of(campaign) == {"raised": 300_00, "units_funded": 0, "donations": 1, "donors": 1}
    assert db.session.scalars(select(Receipt)).all() == []
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_an_option_gift_counts_units_and_takes_stock(
    client, staff_login, campaign, make_option, app_ctx
):
    option = make_option(campaign, "Cow share", unit_price=1500_00, units=1, stock=7)
    admin = staff_login(client, "admin")

    response = admin.post(
        f"/staff/campaigns/{campaign.id}/gifts/new",
        GIFT | {"amount": "", "option": str(option.id), "quantity": "3"},
    )

    assert response.status_code == 303
    donation = only_donation()
    assert (donation.amount, donation.quantity, donation.units) == (4500_00, 3, 3)
    assert totals_of(campaign)["units_funded"] == 3
    assert db.session.get(DonationOption, option.id).reserved == 3
    too_many = admin.post(
        f"/staff/campaigns/{campaign.id}/gifts/new",
        GIFT | {"amount": "", "option": str(option.id), "quantity": "5"},
    )
    assert field_errors(too_many)["quantity"] == "Only 4 left."
    assert totals_of(campaign)["raised"] == 4500_00


def test_bad_gifts_are_refused_with_messages_and_change_nothing(
    client, staff_login, campaign, app_ctx
):
    admin = staff_login(client, "admin")
    tomorrow = (local_today() + timedelta(days=2)).isoformat()

    response = admin.post(
        f"/staff/campaigns/{campaign.id}/gifts/new",
        GIFT
        | {
            "amount": "0",
            "donor_name": "",
            "donor_email": "not-an-email",
            "received_on": tomorrow,
            "designation": "sadaqah",  # not offered by this campaign
        },
    )

    assert response.status_code in (400, 422)
    errors = field_errors(response)
    assert errors["amount"] == "Please enter an amount above zero."
    assert errors["donor_name"] == "Please fill this in."
    assert errors["donor_email"] == "Please enter a valid e-mail address, or leave it empty."
    assert errors["received_on"] == "The date received cannot be in the future."
    assert "designation" in errors
    assert db.session.scalars(select(Donation)).all() == []
    assert totals_of(campaign)["raised"] == 0


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_admins_handle_money(client, staff_login, campaign, role, app_ctx):
    person = staff_login(client, role)

    assert person.get(f"/staff/campaigns/{campaign.id}/gifts/new").status_code == 403
    assert person.post(f"/staff/campaigns/{campaign.id}/gifts/new", GIFT).status_code == 403
    assert db.session.scalars(select(Donation)).all() == []


def test_recording_a_gift_needs_the_csrf_token(client, staff_login, campaign, app_ctx):
    admin = staff_login(client, "admin")

    response = admin.post(f"/staff/campaigns/{campaign.id}/gifts/new", GIFT, csrf=False)

    assert response.status_code == 400
    assert db.session.scalars(select(Donation)).all() == []


# -- reversal --------------------------------------------------------------------------------


def record(admin, campaign) -> Donation:
    """Record GIFT as the admin would, reading the page it leads to."""
    response = admin.post(f"/staff/campaigns/{campaign.id}/gifts/new", GIFT)
    admin.get(response.headers["Location"])
    return only_donation()


def reverse(admin, donation: Donation, amount: str, seen: int | None = None):
    seen = donation.refunded_amount if seen is None else seen
    return admin.post(
        f"/staff/donations/{donation.id}/refund",
        {"amount": amount, "seen_refunded": str(seen), "reason": "Handed back", "confirm": "yes"},
    )


def test_an_offline_gift_is_reversed_by_a_ledger_entry(client, staff_login, campaign, app_ctx):
    admin = staff_login(client, "admin")
    donation = record(admin, campaign)

    part = reverse(admin, donation, "500")
    assert flashes(admin.get(part.headers["Location"])) == [
        "Reversed: the gift is taken off the totals."
    ]
    rest = reverse(admin, reloaded(donation), "2,000.00")

    assert rest.status_code == 303
    token = donation.token
    assert entries_of(campaign) == [
        ("offline_gift", 2500_00, 0, f"offline:{token}"),
        ("refund", -500_00, 0, f"offline-reversal:{token}:1"),
        ("refund", -2000_00, 0, f"offline-reversal:{token}:2"),
    ]
    assert totals_of(campaign)["raised"] == 0
    donation = reloaded(donation)
    assert (donation.status, donation.refunded_amount) == ("refunded", 2500_00)
    receipts = db.session.scalars(select(Receipt).order_by(Receipt.id)).all()
    assert all(r.voided_at is not None for r in receipts)  # nothing left to receipt
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("donation.offline_reversal") == 2


def test_a_reversal_beyond_what_is_left_or_from_a_stale_page_is_refused(
    client, staff_login, campaign, app_ctx
):
    admin = staff_login(client, "admin")
    donation = record(admin, campaign)
    admin.get(reverse(admin, donation, "500").headers["Location"])

    too_much = reverse(admin, reloaded(donation), "2,000.01")
    assert flashes(admin.get(too_much.headers["Location"])) == [
        "Please enter an amount above zero and at most what is left.",
    ]
    stale = reverse(admin, reloaded(donation), "100", seen=0)  # a second click on the old page
    assert flashes(admin.get(stale.headers["Location"])) == [
        "This donation changed while you were looking at it; please check it again."
    ]
    assert totals_of(campaign)["raised"] == 2000_00


def test_editors_cannot_reverse_gifts(client, staff_login, campaign, app_ctx):
    admin = staff_login(client, "admin")
    donation = record(admin, campaign)
    editor = staff_login(client, "editor")

    assert reverse(editor, donation, "100").status_code == 403
    assert totals_of(campaign)["raised"] == 2500_00
