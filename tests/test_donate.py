"""The donation form and its POST: every bad value gets its message beside its field and
stores nothing; a good gift is stored pending, holds its stock and goes to the checkout;
the demo checkout's Pay, Decline and Cancel end where the donor expects."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import Campaign, Donation, DonationOption, LedgerEntry
from campaigns.models.campaign import CampaignStatus
from campaigns.payments import ProviderError
from campaigns.payments.demo_provider import demo_checkout
from campaigns.services.giving.donations import MAX_QUANTITY
from tests.giving import DONOR, csrf_token, donate, post_gift, press
from tests.markup import Element, parse
from tests.payments_fixtures import isolated, totals_of

NAMES = ["Ali Yılmaz", "Zeynep Kaya"]


@pytest.fixture
def qurban(make_campaign, make_option):
    """A Qurban campaign (TRY, general or sadaqah) with limited named shares, an
    unlimited option, an inactive one, a sold-out one, and an option of another campaign.
    Option ids are strings, as the form posts them."""
    campaign = make_campaign(
        "qurban", currency="TRY", designations="general,sadaqah", unit_label="shares"
    )
    options = {
        "sheep": make_option(
            campaign, "One sheep", unit_price=8_500_00, stock=10, needs_on_behalf=True
        ),
        "cow": make_option(
            campaign,
            "Cow share",
            unit_price=7_000_00,
            stock=7,
            reserved=5,
            needs_on_behalf=True,
        ),
        "parcel": make_option(campaign, "Food parcel", unit_price=1_500_00, units=2),
        "old": make_option(campaign, "Old option", unit_price=100_00, active=False),
        "gone": make_option(campaign, "Sold out", unit_price=100_00, stock=3, reserved=3),
        "other": make_option(make_campaign("wells", currency="USD"), "A well", unit_price=10_00),
    }
    return SimpleNamespace(campaign=campaign, **{k: str(o.id) for k, o in options.items()})


def by_id(page: Element, element_id: str) -> Element:
    found = [e for e in page.iter() if e.attrs.get("id") == element_id]
    assert len(found) == 1, f"expected one element with id {element_id!r}, found {len(found)}"
    return found[0]


def stored() -> dict[str, object]:
    """What the giving path leaves in the database: donations, demo checkouts, held stock."""
    db.session.expire_all()
    return {
        "donations": db.session.scalar(select(func.count()).select_from(Donation)),
        "checkouts": db.session.scalar(select(func.count()).select_from(demo_checkout)),
        "reserved": {
            option_id: reserved
            for option_id, reserved in db.session.execute(
                select(DonationOption.id, DonationOption.reserved)
            )
        },
    }


def only_donation() -> Donation:
    db.session.expire_all()
    return db.session.scalars(select(Donation)).one()


def sheep_gift(qurban, **fields) -> dict:
    """Two sheep with two names, as the form without JavaScript sends them: seven name
    inputs, the unused ones empty, one empty in between."""
    names = [NAMES[0], "", NAMES[1], "", "", "", ""]
    return {"option": qurban.sheep, "quantity": "2", "on_behalf": names} | fields


def dated(fields: dict) -> dict:
    """``fields`` with each timedelta turned into that many days from the site's today."""
    return {
        name: local_today() + value if isinstance(value, timedelta) else value
        for name, value in fields.items()
    }


# --- the form ---------------------------------------------------------------------


def test_campaign_page_offers_the_form_with_the_contract_field_names(client, qurban):
    page = parse(isolated(client.get, "/campaigns/qurban").data)
    form = page.find("form", "give-form")

    assert form.attrs["method"] == "post"
    assert form.attrs["action"] == "/campaigns/qurban/donate"
    names = {i.attrs.get("name") for i in form.iter() if i.tag in ("input", "button")}
    contract = {"option", "quantity", "amount", "frequency", "designation", "name", "email"}
    assert contract | {"anonymous", "updates", "on_behalf", "csrf_token", "dedication"} <= names
    labels = {e.attrs["for"]: e.text for e in form.find_all("label")}
    radios = {i.attrs["value"]: i for i in form.find_all("input") if i.attrs["name"] == "option"}
    assert [labels[r.attrs["id"]] for r in radios.values()] == [
        "One sheep ₺8,500.00",
        "Cow share ₺7,000.00",
        "Food parcel ₺1,500.00",
        "Sold out ₺100.00",
        "Another amount",
    ]
    assert qurban.old not in radios
    assert "disabled" in radios[qurban.gone].attrs
    assert "disabled" not in radios[qurban.sheep].attrs
    assert by_id(page, f"option-{qurban.cow}-about").text.endswith("2 left Once only")
    assert by_id(page, f"option-{qurban.gone}-about").text.endswith("Sold out Once only")
    amount = by_id(page, "amount")
    assert amount.attrs["inputmode"] == "decimal"
    assert labels["amount"] == "Amount in TRY"
    assert by_id(page, "amount-hint").text == "From ₺20.00 to ₺500,000.00."
    # Only the designations the campaign offers, each with its word and a hint.
    designations = [i for i in form.find_all("input") if i.attrs["name"] == "designation"]
    assert [labels[d.attrs["id"]] for d in designations] == ["General", "Sadaqah"]
    assert "checked" in designations[0].attrs
    # Without JavaScript: seven name inputs, enough for a whole cow.
    names_inputs = [i for i in form.find_all("input") if i.attrs["name"] == "on_behalf"]
    assert [labels[i.attrs["id"]] for i in names_inputs] == [
        f"Name for share {n}" for n in range(1, 8)
    ]
    # give.js adds name inputs up to the largest quantity the server takes.
    assert form.find("fieldset", "on-behalf").attrs["data-max-names"] == str(MAX_QUANTITY)
    assert by_id(page, "quantity").attrs["maxlength"] == str(len(str(MAX_QUANTITY)))
    assert "one name per share" in by_id(page, "on-behalf-hint").text
    assert labels["anonymous"] == "Show my gift as anonymous"
    assert labels["updates"] == "E-mail me when you report on this campaign"
    assert "checked" not in by_id(page, "updates").attrs
    assert "cannot be given every month" in by_id(page, "frequency-hint").text


@pytest.mark.parametrize(
    ("field", "column"),
    [
        ("name", Donation.donor_name),
        ("email", Donation.donor_email),
        ("dedication", Donation.dedication),
    ],
)
def test_a_text_input_takes_as_much_as_its_column(client, qurban, field, column):
    """The form's maxlength, the service's limit and the column are one number."""
    limit = column.type.length
    page = parse(isolated(client.get, "/campaigns/qurban").data)
    assert by_id(page, field).attrs["maxlength"] == str(limit)
    before = stored()

    too_long = {"name": "a" * (limit + 1), "email": "a" * limit + "@example.org"}
    response = donate(
        client, "qurban", option="", amount="50", **{field: too_long.get(field, "a" * (limit + 1))}
    )

    assert response.status_code == 422
    assert by_id(parse(response.data), f"{field}-error").text
    assert stored() == before


def test_honeypot_is_hidden_from_people_and_scripts_come_from_files(client, qurban):
    page = parse(isolated(client.get, "/campaigns/qurban").data)

    trap = page.find("div", "give-trap")
    assert trap.attrs["aria-hidden"] == "true"
    field = trap.find("input")
    assert (field.attrs["name"], field.attrs["tabindex"], field.attrs["autocomplete"]) == (
        "website",
        "-1",
        "off",
    )
    scripts = page.find_all("script")
    assert sorted(s.attrs["src"] for s in scripts) == ["/static/js/give.js", "/static/js/share.js"]
    assert all("defer" in s.attrs for s in scripts)
    assert all(s.text == "" for s in scripts)


def test_a_campaign_with_one_designation_asks_no_question(client, make_campaign):
    make_campaign("zakat-only", designations="zakat")

    form = parse(isolated(client.get, "/campaigns/zakat-only").data).find("form", "give-form")

    fields = [i for i in form.find_all("input") if i.attrs["name"] == "designation"]
    assert [(f.attrs["type"], f.attrs["value"]) for f in fields] == [("hidden", "zakat")]
    assert "How should we use your gift?" not in form.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": CampaignStatus.CLOSED}, "This campaign has closed"),
        ({"ends_on": timedelta(days=-1)}, "This campaign ended on"),
        ({"starts_on": timedelta(days=3)}, "Giving opens on"),
    ],
    ids=["closed", "ended", "not-started"],
)
def test_campaigns_not_taking_gifts_show_no_form(client, make_campaign, fields, message):
    make_campaign("appeal", **dated(fields))

    give = parse(isolated(client.get, "/campaigns/appeal").data).find("section", "campaign-give")

    assert give.find_all("form") == []
    assert message in give.find("p", "give-closed").text


# --- a good gift ------------------------------------------------------------------


def test_a_valid_gift_is_stored_pending_and_sent_to_the_checkout(client, qurban):
    response = donate(
        client,
        "qurban",
        **sheep_gift(
            qurban, designation="sadaqah", anonymous="1", dedication="For my father", updates="1"
        ),
    )

    assert response.status_code == 303
    assert response.headers["Location"].startswith("/demo-checkout/demo_cs_")
    donation = only_donation()
    assert (donation.status, donation.amount, donation.currency) == ("pending", 17_000_00, "TRY")
    assert (donation.quantity, donation.units, str(donation.option_id)) == (2, 2, qurban.sheep)
    assert donation.designation == "sadaqah"
    assert donation.on_behalf == NAMES
    assert (donation.donor_name, donation.donor_email) == ("Ayşe Yılmaz", "ayse@example.org")
    assert (donation.anonymous, donation.dedication) == (True, "For my father")
    assert donation.updates_opt_in is True
    assert (donation.frequency, donation.locale, donation.provider) == ("once", "en", "demo")
    assert response.headers["Location"] == f"/demo-checkout/{donation.provider_session_id}"
    assert stored()["reserved"][int(qurban.sheep)] == 2  # held while the checkout is open


def test_checkout_returns_to_the_thank_you_page_or_the_form(client, qurban):
    donate(client, "qurban", **sheep_gift(qurban))

    donation = only_donation()
    success_url, cancel_url = db.session.execute(
        select(demo_checkout.c.success_url, demo_checkout.c.cancel_url)
    ).one()
    assert success_url == (
        f"http://campaigns.test/donations/{donation.token}/thanks"
        f"?session_id={donation.provider_session_id}"
    )
    assert cancel_url == "http://campaigns.test/campaigns/qurban#give"


def test_a_monthly_gift_of_an_amount_typed_by_the_donor(client, qurban):
    response = donate(client, "qurban", option="", amount="1,250.50", frequency="monthly")

    assert response.status_code == 303
    donation = only_donation()
    assert (donation.amount, donation.option_id, donation.units) == (1_250_50, None, 0)
    assert donation.frequency == "monthly"


def test_an_amount_typed_in_turkish_is_read_in_turkish(client, app, qurban, monkeypatch):
    # The site speaks only English today; this checks the path a Turkish page will take.
    monkeypatch.setitem(app.config, "LANGUAGES", ("en", "tr"))
    token = csrf_token(client, "qurban")
    turkish = {"headers": {"Accept-Language": "tr-TR,tr;q=0.9"}}

    refused = post_gift(client, "qurban", token, {"option": "", "amount": "5"}, **turkish)
    response = post_gift(client, "qurban", token, {"option": "", "amount": "1.250,50"}, **turkish)

    assert refused.status_code == 422
    assert "₺20,00" in parse(refused.data).find("p", "field-error").text
    assert response.status_code == 303
    donation = only_donation()
    assert (donation.amount, donation.locale) == (1_250_50, "tr")


# --- bad gifts: a message beside the field, nothing stored ------------------------

BAD_GIFTS = [
    ("option", lambda q: {"option": "999999"}, "Please choose one of the gifts listed."),
    ("option", lambda q: {"option": "abc"}, "Please choose one of the gifts listed."),
    ("option", lambda q: {"option": q.other}, "Please choose one of the gifts listed."),
    ("option", lambda q: {"option": q.old}, "Please choose one of the gifts listed."),
    ("quantity", lambda q: {"option": q.parcel, "quantity": "0"}, "from 1 to 100"),
    ("quantity", lambda q: {"option": q.parcel, "quantity": "abc"}, "from 1 to 100"),
    ("quantity", lambda q: {"option": q.parcel, "quantity": "-1"}, "from 1 to 100"),
    ("quantity", lambda q: {"option": q.parcel, "quantity": "101"}, "from 1 to 100"),
    (
        "quantity",
        lambda q: {"option": q.cow, "quantity": "3", "on_behalf": ["A", "B", "C"]},
        "Only 2 left.",
    ),
    ("quantity", lambda q: {"option": q.gone}, "Sorry, this gift is sold out."),
    ("amount", lambda q: {"amount": ""}, "Please enter an amount."),
    ("amount", lambda q: {"amount": "19.99"}, "The smallest gift we can take is ₺20.00."),
    ("amount", lambda q: {"amount": "500000.01"}, "The largest gift we can take online is"),
    ("amount", lambda q: {"amount": "abc"}, "Please enter the amount as a number"),
    ("amount", lambda q: {"amount": "-5"}, "Please enter the amount as a number"),
    ("amount", lambda q: {"amount": "1e9"}, "Please enter the amount as a number"),
    ("amount", lambda q: {"amount": "50.125"}, "at most 2 decimal places"),
    (
        "on_behalf",
        lambda q: sheep_gift(q, on_behalf=[NAMES[0]]),
        "Please give one name for each share (2 in all).",
    ),
    (
        "on_behalf",
        lambda q: sheep_gift(q, quantity="1"),
        "Please give one name for each share (1 in all).",
    ),
    (
        "on_behalf",
        lambda q: sheep_gift(q, on_behalf=[NAMES[0], "   "]),
        "Please give one name for each share (2 in all).",
    ),
    ("on_behalf", lambda q: sheep_gift(q, on_behalf=["A" * 121, "B"]), "120 characters"),
    ("frequency", lambda q: sheep_gift(q, frequency="monthly"), "can only be given once"),
    ("frequency", lambda q: {"amount": "50", "frequency": "yearly"}, "once or monthly"),
    ("designation", lambda q: {"amount": "50", "designation": "zakat"}, "how your gift"),
    ("name", lambda q: {"amount": "50", "name": "  "}, "Please enter your name."),
    ("email", lambda q: {"amount": "50", "email": "ayse@"}, "valid e-mail address"),
    ("email", lambda q: {"amount": "50", "email": "ayse example.org"}, "valid e-mail address"),
    ("dedication", lambda q: {"amount": "50", "dedication": "x" * 301}, "300 characters"),
]


@pytest.mark.parametrize(
    ("field", "fields", "message"),
    BAD_GIFTS,
    ids=[f"{field}-{n}" for n, (field, _f, _m) in enumerate(BAD_GIFTS)],
)
def test_each_bad_value_gets_its_message_and_stores_nothing(client, qurban, field, fields, message):
    before = stored()

    response = donate(client, "qurban", **({"option": "", "amount": "50"} | fields(qurban)))

    assert response.status_code == 422
    page = parse(response.data)
    summary = page.find("div", "error-summary")
    assert summary.attrs["role"] == "alert"
    link = next(a for a in summary.find_all("a") if message in a.text)
    target = by_id(page, link.attrs["href"].removeprefix("#"))
    assert target.tag == "input"
    beside = by_id(page, f"{field}-error")
    assert message in beside.text
    described = [
        e for e in page.iter() if f"{field}-error" in e.attrs.get("aria-describedby", "").split()
    ]
    assert described, f"no field is described by {field}-error"
    assert all(e.attrs.get("aria-invalid") == "true" for e in described)
    assert stored() == before


def test_the_form_keeps_what_the_donor_typed(client, qurban):
    response = donate(
        client,
        "qurban",
        **sheep_gift(
            qurban,
            on_behalf=[NAMES[0]],
            anonymous="1",
            updates="1",
            dedication="In memory of my mother",
            email="ayse@",
            designation="sadaqah",
        ),
    )

    assert response.status_code == 422
    page = parse(response.data)
    assert "checked" in by_id(page, f"option-{qurban.sheep}").attrs
    assert "checked" not in by_id(page, "option-amount").attrs
    assert by_id(page, "quantity").attrs["value"] == "2"
    assert by_id(page, "on-behalf-1").attrs["value"] == NAMES[0]
    assert by_id(page, "on-behalf-2").attrs["value"] == ""
    assert by_id(page, "name").attrs["value"] == DONOR["name"]
    assert by_id(page, "email").attrs["value"] == "ayse@"
    assert by_id(page, "dedication").attrs["value"] == "In memory of my mother"
    assert "checked" in by_id(page, "anonymous").attrs
    assert "checked" in by_id(page, "updates").attrs
    assert "checked" in by_id(page, "designation-sadaqah").attrs
    assert "checked" not in by_id(page, "designation-general").attrs
    assert [a.text for a in page.find("div", "error-summary").find_all("a")] == [
        "Please enter a valid e-mail address, like name@example.org.",
        "Please give one name for each share (2 in all).",
    ]


def test_more_shares_than_name_inputs_get_an_input_each_on_the_way_back(client, qurban):
    response = donate(client, "qurban", **sheep_gift(qurban, quantity="9"))

    assert response.status_code == 422
    page = parse(response.data)
    inputs = [i for i in page.find_all("input") if i.attrs.get("name") == "on_behalf"]
    assert [i.attrs["value"] for i in inputs] == NAMES + [""] * 7
    assert "(9 in all)" in by_id(page, "on_behalf-error").text


def test_a_bot_filling_the_honeypot_gets_a_plain_refusal(client, qurban):
    before = stored()

    response = donate(client, "qurban", **sheep_gift(qurban, website="http://spam.example"))

    assert response.status_code == 422
    summary = parse(response.data).find("div", "error-summary")
    assert summary.text == "Please check your gift Sorry, we could not take this gift."
    assert stored() == before


def test_a_failing_payment_service_fails_the_gift_and_releases_its_stock(
    client, app, qurban, monkeypatch
):
    class Unreachable:
        name = "demo"

        def create_checkout(self, request):
            raise ProviderError("connection refused")

    monkeypatch.setitem(app.extensions, "payment_provider", Unreachable())
    before = stored()

    response = donate(client, "qurban", **sheep_gift(qurban))

    assert response.status_code == 422
    page = parse(response.data)
    assert "payment service is not answering" in page.find("div", "error-summary").text
    assert "10 left" in by_id(page, f"option-{qurban.sheep}-about").text  # none held
    # The gift was stored before the provider was called (no lock spans that call): it
    # failed, and nothing stays held.
    assert stored() == before | {"donations": 1}
    assert only_donation().status == "failed"
    assert only_donation().provider_session_id is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": CampaignStatus.CLOSED}, "This campaign has closed"),
        ({"ends_on": timedelta(days=-1)}, "This campaign ended on"),
    ],
    ids=["closed", "ended"],
)
def test_a_campaign_that_stops_taking_gifts_refuses_the_open_form(client, qurban, change, message):
    token = csrf_token(client, "qurban")  # the donor opened the page while it was open
    for name, value in dated(change).items():
        setattr(qurban.campaign, name, value)
    db.session.commit()
    before = stored()

    response = post_gift(client, "qurban", token, sheep_gift(qurban))

    assert response.status_code == 422
    assert message in parse(response.data).find("p", "give-closed").text
    assert stored() == before


def test_draft_and_unknown_campaigns_are_not_found(client, qurban, make_campaign):
    make_campaign("draft", status=CampaignStatus.DRAFT)
    token = csrf_token(client, "qurban")

    for slug in ("draft", "no-such-campaign"):
        response = post_gift(client, slug, token, {"amount": "50", "option": ""})
        assert response.status_code == 404
    assert stored()["donations"] == 0


@pytest.mark.parametrize("token", [None, "forged-token"], ids=["missing", "forged"])
def test_a_post_without_a_good_csrf_token_is_refused(client, app, qurban, token):
    assert app.config.get("WTF_CSRF_ENABLED", True), "CSRF must be on for this route"
    csrf_token(client, "qurban")  # a session exists; the token is what is missing
    before = stored()

    response = post_gift(client, "qurban", token, sheep_gift(qurban))

    assert response.status_code == 400
    assert parse(response.data).find("h1").text == "That request did not make sense to us"
    assert stored() == before


# --- the demo checkout ------------------------------------------------------------


def ledger_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def test_paying_on_the_demo_checkout_moves_the_totals_by_exactly_the_gift(client, qurban):
    campaign = db.session.get(Campaign, qurban.campaign.id)
    before = totals_of(campaign)

    checkout = donate(client, "qurban", **sheep_gift(qurban))
    back = press(client, checkout.headers["Location"], "pay")
    thanks = isolated(client.get, back.headers["Location"])

    assert back.status_code == 303
    assert thanks.status_code == 200
    # The page names the donor: no cache may keep it, no Referer may carry its address.
    assert thanks.headers["Cache-Control"] == "private, no-store"
    assert thanks.headers["Referrer-Policy"] == "no-referrer"
    finished = isolated(client.get, checkout.headers["Location"])  # links the thank-you page
    assert finished.headers["Cache-Control"] == "private, no-store"
    page = parse(thanks.data)
    assert page.find("h1").text == "Thank you, Ayşe Yılmaz!"
    assert "₺17,000.00" in page.find("section", "thanks").text
    assert "Ali Yılmaz, Zeynep Kaya" in page.find("section", "thanks").text
    receipt_link = next(
        a for a in page.find("section", "thanks").find_all("a") if "/receipts/" in a.attrs["href"]
    )
    receipt = isolated(client.get, receipt_link.attrs["href"])
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")
    assert receipt.headers["Cache-Control"] == "private, no-store"
    assert totals_of(campaign) == {
        "raised": before["raised"] + 17_000_00,
        "units_funded": before["units_funded"] + 2,
        "donations": before["donations"] + 1,
        "donors": before["donors"] + 1,
    }
    assert only_donation().status == "paid"
    assert ledger_count() == 1
    assert stored()["reserved"][int(qurban.sheep)] == 2  # sold: the shares stay taken


def test_declining_on_the_demo_checkout_fails_the_gift_and_frees_its_stock(client, qurban):
    campaign = db.session.get(Campaign, qurban.campaign.id)
    before = totals_of(campaign)

    checkout = donate(client, "qurban", **sheep_gift(qurban))
    back = press(client, checkout.headers["Location"], "decline")
    thanks = isolated(client.get, back.headers["Location"])

    assert parse(thanks.data).find("h1").text == "Your payment did not go through"
    assert only_donation().status == "failed"
    assert stored()["reserved"][int(qurban.sheep)] == 0
    assert totals_of(campaign) == before
    assert ledger_count() == 0


def test_cancelling_the_demo_checkout_returns_to_the_form_and_frees_the_stock(client, qurban):
    checkout = donate(client, "qurban", **sheep_gift(qurban))
    assert stored()["reserved"][int(qurban.sheep)] == 2

    back = press(client, checkout.headers["Location"], "cancel")

    assert back.status_code == 303
    assert back.headers["Location"] == "http://campaigns.test/campaigns/qurban#give"
    assert only_donation().status == "expired"
    assert stored()["reserved"][int(qurban.sheep)] == 0
    assert ledger_count() == 0
