"""Staff set what the campaign page's first step of giving shows: the price of one unit,
up to four suggested amounts with a line each, whether recent gifts show amounts, and
the designations each option may be given for. Every bad value has its message and
nothing changes."""

from __future__ import annotations

from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry, Campaign, DonationOption
from campaigns.models.campaign import Designation
from tests.markup import field_errors
from tests.test_staff_campaigns import NEW_CAMPAIGN, NEW_OPTION

AMOUNTS = {
    "unit_price": "1,500",
    "suggested_1": "3,000",
    "impact_1": "Food parcels for two families",
    "suggested_2": "750",
    "impact_2": "",
    "suggested_3": "",
    "impact_3": "",
    "suggested_4": "1,500.50",
    "impact_4": "A food parcel: a family of five eats for a month",
    "hide_gift_amounts": "y",
}


def campaign_named(slug: str) -> Campaign | None:
    db.session.expire_all()
    return db.session.scalars(select(Campaign).where(Campaign.slug == slug)).first()


def test_editor_sets_unit_price_suggested_amounts_and_hidden_amounts(client, staff_login, app_ctx):
    editor = staff_login(client, "editor")

    response = editor.post("/staff/campaigns/new", NEW_CAMPAIGN | {"currency": "TRY"} | AMOUNTS)

    assert response.status_code == 303
    campaign = campaign_named("winter-tents")
    assert campaign.unit_price == 1_500_00
    assert campaign.hide_gift_amounts is True
    # Kept smallest first, as the form shows them.
    assert [(s.amount, s.impact) for s in campaign.suggestions] == [
        (750_00, ""),
        (1_500_50, "A food parcel: a family of five eats for a month"),
        (3_000_00, "Food parcels for two families"),
    ]
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.create"))
    assert entry.after["unit_price"] == 1_500_00
    # The edit page shows them again, as the editor typed them, in order.
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="750.00"' in page and 'value="3,000.00"' in page


def test_bad_amount_settings_get_messages_and_nothing_is_saved(client, staff_login, app_ctx):
    editor = staff_login(client, "editor")
    bad = NEW_CAMPAIGN | {
        "unit_price": "0",
        "unit_label": "",
        "units_goal": "",
        "suggested_1": "100",
        "suggested_2": "100.00",
        "suggested_3": "",
        "impact_3": "A line without an amount",
        "suggested_4": "99999999999",
        "impact_4": "x" * 121,
    }

    response = editor.post("/staff/campaigns/new", bad)

    assert response.status_code == 422
    errors = field_errors(response)
    assert errors["unit_price"] == "Please enter an amount above zero."
    assert errors["unit_label"] == "Please say what the units are, e.g. food parcels."
    assert errors["suggested_2"] == "This amount is already suggested."
    assert errors["suggested_3"] == "Please give the amount this line describes."
    assert "suggested_4" in errors and "impact_4" in errors
    assert campaign_named("winter-tents") is None


def test_a_campaign_needs_a_designation_an_amount_can_have(client, staff_login, app_ctx):
    editor = staff_login(client, "editor")

    response = editor.post("/staff/campaigns/new", NEW_CAMPAIGN | {"designations": ["sacrifice"]})

    assert response.status_code == 422
    assert field_errors(response)["designations"] == (
        "Please also offer a designation for gifts of the donor's own amount."
    )


def test_an_option_is_offered_only_for_the_designations_staff_tick(
    client, staff_login, make_campaign, app_ctx
):
    campaign = make_campaign("qurban", designations="general,sadaqah,sacrifice")
    editor = staff_login(client, "editor")

    zakat = editor.post(
        f"/staff/campaigns/{campaign.id}/options/new", NEW_OPTION | {"designations": ["zakat"]}
    )
    assert zakat.status_code == 422
    assert field_errors(zakat)["designations"] == (
        "Please choose among the designations the campaign offers: "
        "General, Sadaqah, Qurban sacrifice."
    )
    added = editor.post(
        f"/staff/campaigns/{campaign.id}/options/new",
        NEW_OPTION | {"designations": ["sacrifice"]},
    )
    assert added.status_code == 303
    db.session.expire_all()
    [option] = db.session.scalars(select(DonationOption))
    assert option.designation_list == [Designation.SACRIFICE]
    # None ticked: every designation of the campaign.
    editor.post(f"/staff/campaigns/{campaign.id}/options/{option.id}", NEW_OPTION)
    db.session.expire_all()
    assert db.session.get(DonationOption, option.id).designation_list == [
        Designation.GENERAL,
        Designation.SADAQAH,
        Designation.SACRIFICE,
    ]
