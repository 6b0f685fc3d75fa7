"""Campaigns and donation options on the staff side: create, edit, preview, the rules that
protect what donors were shown (currency fixed once money came in, options with donations
retired, never deleted), and who may do what."""

from __future__ import annotations

from sqlalchemy import select

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import AuditEntry, Campaign, Donation, DonationOption, DonationStatus
from campaigns.services.giving import settlement
from campaigns.services.giving.donations import (
    MAX_QUANTITY,
    GiftForm,
    start_donation,
    validate_gift,
)
from tests.markup import field_errors, parse
from tests.payments_fixtures import thank_you_urls, totals_of

NEW_CAMPAIGN = {
    "title": "Winter tents",
    "slug": "winter-tents",
    "summary": "Tents for families in the cold.",
    "story": "We **build** tents.",
    "cover_alt": "",
    "currency": "USD",
    "goal": "250,000",
    "units_goal": "500",
    "unit_label": "tents",
    "starts_on": "2026-01-01",
    "ends_on": "2026-03-31",
    "status": "active",
    "designations": ["general", "zakat"],
    "action": "save",
}


def campaign_by_slug(slug: str) -> Campaign | None:
    db.session.expire_all()
    return db.session.scalars(select(Campaign).where(Campaign.slug == slug)).first()


def audit_actions() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_editor_creates_a_campaign_with_money_typed_as_a_person_would(client, staff_login, app_ctx):
    editor = staff_login(client, "editor")

    response = editor.post("/staff/campaigns/new", NEW_CAMPAIGN)

    assert response.status_code == 303
    campaign = campaign_by_slug("winter-tents")
    assert (campaign.title, campaign.currency, campaign.goal_amount) == (
        "Winter tents",
        "USD",
        250_000_00,
    )
    assert (campaign.units_goal, campaign.unit_label) == (500, "tents")
    assert campaign.designations == "general,zakat"
    assert campaign.status == "active"
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.create"))
    assert entry.staff_user_id == editor.user_id
    assert entry.after["goal_amount"] == 250_000_00
    assert entry.before is None
    page = editor.get(response.headers["Location"])
    assert "Saved “Winter tents”." in page.get_data(as_text=True)


def test_every_bad_value_gets_a_message_and_nothing_is_saved(
    client, staff_login, make_campaign, app_ctx
):
    make_campaign("taken")
    editor = staff_login(client, "editor")
    bad = NEW_CAMPAIGN | {
        "title": "",
        "slug": "Not A Slug!",
        "goal": "12abc",
        "units_goal": "-3",
        "starts_on": "2026-05-01",
        "ends_on": "2026-04-01",
        "currency": "USD",
        "designations": [],
    }

    response = editor.post("/staff/campaigns/new", bad)

    assert response.status_code == 422
    errors = field_errors(response)
    assert errors["title"] == "Please fill this in."
    assert errors["slug"].startswith("Use lower-case letters, digits and hyphens only")
    assert errors["goal"] == "Please enter the amount as a number, for example 50."
    assert errors["units_goal"] == "Please enter a whole number from 1 to 1,000,000,000."
    assert errors["ends_on"] == "The end date cannot come before the start date."
    assert errors["designations"] == "Please offer at least one of the designations listed."
    taken = editor.post("/staff/campaigns/new", NEW_CAMPAIGN | {"slug": "taken"})
    assert field_errors(taken)["slug"] == "Another campaign already uses this address."
    db.session.expire_all()
    assert db.session.scalars(select(Campaign.slug)).all() == ["taken"]
    assert "campaign.create" not in audit_actions()


def test_goal_beyond_the_online_gift_limit_is_fine_but_zero_is_not(client, staff_login, app_ctx):
    editor = staff_login(client, "editor")

    zero = editor.post("/staff/campaigns/new", NEW_CAMPAIGN | {"goal": "0"})
    big = editor.post("/staff/campaigns/new", NEW_CAMPAIGN | {"goal": "5,000,000.50"})

    assert field_errors(zero)["goal"] == "Please enter an amount above zero."
    assert big.status_code == 303
    assert campaign_by_slug("winter-tents").goal_amount == 5_000_000_50


def test_story_preview_shows_sanitised_html_and_saves_nothing(client, staff_login, app_ctx):
    editor = staff_login(client, "editor")
    story = "# Day one\n\n<script>alert(1)</script> [click](javascript:alert(2)) **bold**"

    response = editor.post(
        "/staff/campaigns/new", NEW_CAMPAIGN | {"story": story, "action": "preview"}
    )

    assert response.status_code == 200
    preview = parse(response.data).find("section", "story-preview")
    html = response.get_data(as_text=True)
    assert "<strong>bold</strong>" in html
    assert [h.text for h in preview.find_all("h2")] == ["Preview of the story", "Day one"]
    assert "<script>alert(1)" not in html
    assert all(
        not (a.attrs.get("href") or "").startswith("javascript") for a in preview.find_all("a")
    )
    # What was typed stays in the form, escaped.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert campaign_by_slug("winter-tents") is None


def test_editing_keeps_the_audit_trail(client, staff_login, make_campaign, app_ctx):
    campaign = make_campaign("food-aid", currency="TRY", goal_amount=1_000_000_00)
    editor = staff_login(client, "editor")
    form = editor.get(f"/staff/campaigns/{campaign.id}")
    goal = next(
        e.attrs["value"]
        for e in parse(form.data).find_all("input")
        if e.attrs.get("name") == "goal"
    )
    assert goal == "1,000,000.00"

    response = editor.post(
        f"/staff/campaigns/{campaign.id}",
        NEW_CAMPAIGN | {"slug": "food-aid", "currency": "TRY", "goal": goal, "title": "Food"},
    )

    assert response.status_code == 303
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.update"))
    assert (entry.before["title"], entry.after["title"]) == ("Food Aid", "Food")
    assert entry.before["goal_amount"] == entry.after["goal_amount"] == 1_000_000_00


def test_currency_is_fixed_once_a_donation_exists(
    client, staff_login, make_campaign, post_gift, app_ctx
):
    campaign = make_campaign("food-aid", currency="TRY")
    post_gift(campaign, 500_00)
    editor = staff_login(client, "editor")
    page = editor.get(f"/staff/campaigns/{campaign.id}")
    assert "Fixed: this campaign already has donations in TRY." in page.get_data(as_text=True)

    response = editor.post(
        f"/staff/campaigns/{campaign.id}", NEW_CAMPAIGN | {"slug": "food-aid", "currency": "USD"}
    )

    assert response.status_code == 422
    assert field_errors(response)["currency"] == (
        "The currency cannot change: this campaign has donations in TRY."
    )
    assert campaign_by_slug("food-aid").currency == "TRY"
    assert campaign_by_slug("food-aid").title == "Food Aid"  # nothing else changed either


def test_currency_can_change_while_nobody_has_given(client, staff_login, make_campaign, app_ctx):
    campaign = make_campaign("food-aid", currency="TRY")
    editor = staff_login(client, "editor")

    response = editor.post(
        f"/staff/campaigns/{campaign.id}", NEW_CAMPAIGN | {"slug": "food-aid", "currency": "EUR"}
    )

    assert response.status_code == 303
    assert campaign_by_slug("food-aid").currency == "EUR"


def test_viewer_can_look_but_not_change(client, staff_login, make_campaign, app_ctx):
    campaign = make_campaign("food-aid")
    viewer = staff_login(client, "viewer")

    assert viewer.get("/staff/campaigns").status_code == 200
    assert "Food Aid" in viewer.get("/staff/campaigns").get_data(as_text=True)
    assert viewer.post("/staff/campaigns/new", NEW_CAMPAIGN).status_code == 403
    edit = viewer.post(f"/staff/campaigns/{campaign.id}", NEW_CAMPAIGN | {"slug": "food-aid"})
    assert edit.status_code == 403
    assert campaign_by_slug("winter-tents") is None


def test_posts_without_the_csrf_token_are_refused(client, staff_login, app_ctx):
    editor = staff_login(client, "editor")

    response = editor.post("/staff/campaigns/new", NEW_CAMPAIGN, csrf=False)

    assert response.status_code == 400
    assert campaign_by_slug("winter-tents") is None


# -- donation options ------------------------------------------------------------------------

NEW_OPTION = {
    "label": "1/7 share of a cow",
    "description": "",
    "price": "1,500.00",
    "units": "1",
    "stock": "70",
    "needs_on_behalf": "y",
    "position": "0",
    "active": "y",
}


def option_of(option_id: int) -> DonationOption | None:
    db.session.expire_all()
    return db.session.get(DonationOption, option_id)


def test_editor_adds_and_edits_an_option(client, staff_login, make_campaign, app_ctx):
    campaign = make_campaign("qurban", currency="TRY")
    editor = staff_login(client, "editor")

    added = editor.post(f"/staff/campaigns/{campaign.id}/options/new", NEW_OPTION)

    assert added.status_code == 303
    [option] = db.session.scalars(select(DonationOption))
    assert (option.unit_price, option.stock, option.needs_on_behalf, option.active) == (
        1500_00,
        70,
        True,
        True,
    )
    edited = editor.post(
        f"/staff/campaigns/{campaign.id}/options/{option.id}",
        NEW_OPTION | {"price": "1,750", "stock": "", "active": ""},
    )
    assert edited.status_code == 303
    option = option_of(option.id)
    assert (option.unit_price, option.stock, option.active) == (1750_00, None, False)
    assert audit_actions()[-2:] == ["option.create", "option.update"]


def test_option_stock_cannot_drop_below_what_is_held(
    client, staff_login, make_campaign, make_option, app_ctx
):
    campaign = make_campaign("qurban")
    option = make_option(campaign, stock=70, reserved=12)
    editor = staff_login(client, "editor")

    response = editor.post(
        f"/staff/campaigns/{campaign.id}/options/{option.id}", NEW_OPTION | {"stock": "11"}
    )

    assert response.status_code == 422
    assert field_errors(response)["stock"] == (
        "12 units are already given or held at checkout; stock cannot be lower."
    )
    assert option_of(option.id).stock == 70


def test_option_price_outside_the_gift_range_is_refused(
    client, staff_login, make_campaign, app_ctx
):
    campaign = make_campaign("qurban", currency="TRY")
    editor = staff_login(client, "editor")

    response = editor.post(
        f"/staff/campaigns/{campaign.id}/options/new", NEW_OPTION | {"price": "5"}
    )

    assert field_errors(response)["price"] == "The smallest gift we can take is ₺20.00."
    assert db.session.scalars(select(DonationOption)).all() == []


def test_option_with_donations_is_retired_not_deleted(
    client, staff_login, make_campaign, make_option, app_ctx
):
    campaign = make_campaign("qurban")
    given = make_option(campaign, "Sheep")
    unused = make_option(campaign, "Goat")
    db.session.add(
        Donation(
            campaign=campaign,
            option=given,
            amount=given.unit_price,
            currency=campaign.currency,
            donor_name="Ayşe",
            donor_email="ayse@example.org",
            provider="demo",
            status=DonationStatus.PAID,
        )
    )
    db.session.commit()
    given_id, unused_id = given.id, unused.id
    editor = staff_login(client, "editor")

    retired = editor.post(f"/staff/campaigns/{campaign.id}/options/{given_id}/remove")
    deleted = editor.post(f"/staff/campaigns/{campaign.id}/options/{unused_id}/remove")

    assert retired.status_code == deleted.status_code == 303
    assert option_of(given_id).active is False
    assert option_of(unused_id) is None
    page = editor.get(retired.headers["Location"]).get_data(as_text=True)
    assert "“Sheep” has donations, so it was retired" in page
    assert "Deleted the option “Goat”." in page
    assert audit_actions()[-2:] == ["option.retire", "option.delete"]
    # The public form offers neither any more.
    public = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Sheep" not in public and "Goat" not in public


def test_units_per_gift_are_capped_and_unit_totals_never_overflow(
    client, app, staff_login, make_campaign, app_ctx, settings
):
    """A billion units per gift is refused; at the cap, gifts carry the unit total past
    32 bits (2,147,483,647) and every one is still recorded."""
    campaign = make_campaign("water-wells", unit_label="litres")
    editor = staff_login(client, "editor")
    new_option = f"/staff/campaigns/{campaign.id}/options/new"
    fields = NEW_OPTION | {"price": "50", "stock": "", "needs_on_behalf": ""}

    refused = editor.post(new_option, fields | {"units": "1000000000"})

    assert refused.status_code == 422
    assert field_errors(refused)["units"] == "Please enter a whole number from 1 to 1,000,000."
    assert editor.post(new_option, fields | {"units": "1000000"}).status_code == 303
    [option] = db.session.scalars(select(DonationOption))
    provider = app.extensions["payment_provider"]
    gifts = 22  # 22 x 100 x 1,000,000 units = 2.2 billion
    for n in range(gifts):
        form = GiftForm(
            option=str(option.id),
            quantity=str(MAX_QUANTITY),
            name="Ayşe Yılmaz",
            email=f"donor{n}@example.org",
        )
        gift = validate_gift(db.session, campaign, form, locale="en", today=local_today())
        donation, _url = start_donation(
            db.session, provider, settings, campaign, gift, thank_you_urls, commit=db.session.commit
        )
        provider.pay(donation.provider_session_id)
        settlement.fulfill_checkout(db.session, provider, settings, donation.provider_session_id)
        db.session.commit()

    totals = totals_of(campaign)
    assert totals["units_funded"] == gifts * MAX_QUANTITY * 1_000_000 > 2**31
    assert totals["raised"] == gifts * MAX_QUANTITY * 50_00
