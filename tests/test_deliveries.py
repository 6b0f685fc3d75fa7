"""Deliveries of a unit campaign: N units delivered take the first paid gifts' units,
each donor is told once (over SMTP, in their language) when their whole gift is
delivered, and the campaign page shows delivered beside funded from its totals."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry, Delivery, OutboxMessage
from campaigns.services import FormInvalid
from campaigns.services.giving.deliveries import DeliveryForm, record_delivery
from tests.mail_fixtures import text_of
from tests.markup import field_errors, parse
from tests.payments_fixtures import isolated
from tests.qurban_fixtures import pay, start_shares


@pytest.fixture
def wells(make_campaign, make_option):
    campaign = make_campaign("wells", title="Wells", unit_label="wells", units_goal=20)
    return make_option(campaign, "One well", unit_price=1_000_00)


def deliver(settings, option, units: str, *, day="2026-06-01", note=""):
    form = DeliveryForm(units=units, delivered_on=day, note=note)
    delivery = record_delivery(db.session, settings, option.campaign, form, None, ".", actor=None)
    db.session.commit()
    return delivery


def told() -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxMessage.to)
            .where(OutboxMessage.key.startswith("delivered:"))
            .order_by(OutboxMessage.id)
        )
    )


def test_first_paid_first_delivered_and_each_donor_told_once(wells, settings):
    second = start_shares(wells, ["", ""], email="second@example.org")  # 2 wells
    first = start_shares(wells, ["", "", ""], email="first@example.org")  # 3 wells
    pay(first)
    pay(second)
    pay(start_shares(wells, [""], email="third@example.org"))

    deliver(settings, wells, "2")
    assert told() == []  # first@ gave three wells; two are done
    deliver(settings, wells, "2")
    assert told() == ["first@example.org"]
    deliver(settings, wells, "2", note="Kuyu: Ayşe Hanım")
    assert told() == ["first@example.org", "second@example.org", "third@example.org"]
    assert wells.campaign.totals.units_delivered == 6

    with pytest.raises(FormInvalid) as refusal:
        deliver(settings, wells, "1")
    db.session.rollback()
    assert refusal.value.errors == {"units": "Every funded unit is already delivered."}
    assert len(told()) == 3
    assert db.session.scalar(select(AuditEntry.action).limit(1)) == "delivery.create"


@pytest.mark.parametrize("units", ["0", "7", "-1", "1e3", "٣", "99999999999999999999"])
def test_more_units_than_funded_or_not_a_number_are_refused(wells, settings, units):
    pay(start_shares(wells, ["", "", ""]))
    with pytest.raises(FormInvalid) as refusal:
        deliver(settings, wells, units)
    db.session.rollback()
    assert refusal.value.errors == {"units": "Please enter a number of units from 1 to 3."}
    assert db.session.scalars(select(Delivery)).all() == []
    assert wells.campaign.totals.units_delivered == 0


def test_staff_record_a_delivery_and_the_page_shows_it(
    client, staff_login, wells, runner, mail_url
):
    pay(start_shares(wells, [""], email="omar@example.org", locale="ar"))
    runner.invoke(args=["outbox", "send"])
    mail_url.messages.clear()
    editor = staff_login(client, "editor")
    url = f"/staff/campaigns/{wells.campaign.id}/deliveries"

    wrong = editor.post(url, {"units": "5", "delivered_on": "2026-06-01"})
    assert wrong.status_code == 422
    assert field_errors(wrong)["units"].endswith("Please enter a number of units from 1 to 1.")

    done = editor.post(
        url, {"units": "1", "delivered_on": "2026-06-01", "note": "Kuyu 7"}, follow_redirects=True
    )
    assert "Recorded 1 unit delivered." in parse(done.data).find("main").text
    runner.invoke(args=["outbox", "send"])
    [email] = mail_url.to("omar@example.org")
    assert "سُلّم تبرعك لحملة Wells" in text_of(email) and "Kuyu 7" in text_of(email)

    page = isolated(client.get, "/campaigns/wells")
    assert parse(page.data).find("li", "progress-delivered").text == "1 wells delivered"
