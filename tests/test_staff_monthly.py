"""Monthly gifts on the staff side: the list (status, next charge, last failure), and
cancelling one only after a page that asks, once however often it is pressed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry, ProviderEvent
from campaigns.services.giving.monthly import add_month
from tests.markup import parse
from tests.payments_fixtures import reloaded
from tests.test_donor import RecordingProvider


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


@pytest.fixture
def subscriptions(make_campaign, make_donation):
    """Ayşe's running monthly gift (paid in January and February, failed in March) and
    Omar's, which ended."""
    campaign = make_campaign("orphans", title="Orphan care")
    ayse = make_donation(
        campaign,
        300_00,
        donor_name="Ayşe Yılmaz",
        frequency="monthly",
        status="paid",
        provider_subscription_id="sub_ayse",
        created_at=at(1, 31),
        paid_at=at(1, 31),
    )
    make_donation(
        campaign,
        300_00,
        donor_name="Ayşe Yılmaz",
        frequency="monthly",
        status="paid",
        parent_id=ayse.id,
        provider_subscription_id="sub_ayse",
        created_at=at(2, 28),
        paid_at=at(2, 28),
    )
    db.session.add(
        ProviderEvent(
            provider="stripe",
            event_id="evt_failed_march",
            type="invoice.payment_failed",
            payload="{}",
            donation_id=ayse.id,
            received_at=at(3, 28),
            processed_at=at(3, 28),
        )
    )
    omar = make_donation(
        campaign,
        50_00,
        donor_name="Omar Haddad",
        frequency="monthly",
        status="paid",
        provider_subscription_id="sub_omar",
        created_at=at(1, 5),
        paid_at=at(1, 5),
        subscription_ended_at=at(2, 1),
    )
    make_donation(campaign, 10_00, donor_name="Once Only", status="paid")
    db.session.commit()
    return ayse, omar


def rows(page) -> list[list[str]]:
    table = parse(page.data).find("table", "monthly-table")
    return [[td.text for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]


def test_the_list_shows_status_next_charge_and_last_failure(client, staff_login, subscriptions):
    viewer = staff_login(client, "viewer")

    page = viewer.get("/staff/monthly")

    assert page.status_code == 200
    assert rows(page) == [
        ["Ayşe Yılmaz", "Orphan care", "₺300.00", "Running", "Feb 28, 2026", "Mar 28, 2026",
         "Mar 28, 2026"],
        ["Omar Haddad", "Orphan care", "₺50.00", "Ended on Feb 1, 2026", "Jan 5, 2026", "—", "—"],
    ]  # fmt: skip
    nav = [a.attrs["href"] for a in parse(page.data).find("nav", "staff-nav").find_all("a")]
    assert "/staff/monthly" in nav
    assert "/staff/outbox" not in nav  # the outbox is in the admins' menu


def test_the_outbox_is_in_the_admins_menu(client, staff_login):
    admin = staff_login(client, "admin")
    page = admin.get("/staff/monthly")
    nav = [a.attrs["href"] for a in parse(page.data).find("nav", "staff-nav").find_all("a")]
    assert "/staff/outbox" in nav


@pytest.mark.parametrize(
    ("moment", "next_one"),
    [(at(1, 31), at(2, 28)), (at(12, 15), datetime(2027, 1, 15, 9, tzinfo=UTC))],
)
def test_the_next_charge_is_a_month_later_or_the_months_last_day(moment, next_one):
    assert add_month(moment) == next_one


def test_a_page_past_the_end_is_not_found(client, staff_login, subscriptions):
    viewer = staff_login(client, "viewer")
    assert viewer.get("/staff/monthly?page=2").status_code == 404
    assert viewer.get("/staff/monthly?page=x").status_code == 404


def cancel_form(admin, donation) -> dict[str, str]:
    page = parse(admin.get(f"/staff/donations/{donation.id}").data)
    [form] = [
        f for f in page.find_all("form") if f.attrs.get("action", "").endswith("/cancel-monthly")
    ]
    fields = {i.attrs["name"]: i.attrs.get("value", "") for i in form.find_all("input")}
    fields.pop("csrf_token")
    return fields


def test_cancelling_asks_first_then_stops_it_once(
    app, client, staff_login, subscriptions, monkeypatch
):
    provider = RecordingProvider()
    monkeypatch.setitem(app.extensions, "payment_provider", provider)
    ayse, _omar = subscriptions
    admin = staff_login(client, "admin")
    url = f"/staff/donations/{ayse.id}/cancel-monthly"

    asked = admin.post(url, cancel_form(admin, ayse))

    assert asked.status_code == 200
    assert "Cancel this monthly gift?" in parse(asked.data).text
    assert reloaded(ayse).subscription_ended_at is None
    assert provider.cancelled == []
    [confirm] = [f for f in parse(asked.data).find_all("form") if f.attrs.get("action") == url]
    fields = {i.attrs["name"]: i.attrs["value"] for i in confirm.find_all("input")}
    fields.pop("csrf_token")

    first = admin.post(url, fields)
    second = admin.post(url, fields)  # a double click

    assert (first.status_code, second.status_code) == (303, 303)
    assert reloaded(ayse).subscription_ended_at is not None
    assert provider.cancelled == ["sub_ayse"]
    landed = parse(admin.get(second.headers["Location"]).data).text
    assert "This monthly gift has already ended or changed" in landed
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "donation.monthly_cancel")
    ).all()
    assert [(e.entity_id, e.staff_user_id) for e in audit] == [(str(ayse.id), admin.user_id)]


def test_only_admins_cancel_and_an_ended_gift_offers_no_button(
    app, client, staff_login, subscriptions, monkeypatch
):
    ayse, omar = subscriptions
    editor = staff_login(client, "editor")
    page = editor.get(f"/staff/donations/{ayse.id}").get_data(as_text=True)
    assert "/cancel-monthly" not in page
    assert (
        editor.post(f"/staff/donations/{ayse.id}/cancel-monthly", {"version": "0"}).status_code
        == 403
    )
    admin = staff_login(client, "admin")
    assert "/cancel-monthly" not in admin.get(f"/staff/donations/{omar.id}").get_data(as_text=True)
