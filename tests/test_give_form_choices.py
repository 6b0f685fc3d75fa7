"""The donation form's first step: it opens on the first option (or the middle suggested
amount), never on an empty amount box; suggested amounts are taken only as set up; the
designations offered depend on the gift, and a pairing that does not apply is refused
with a message; "Ways to give" links open the form on their option."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import Donation
from campaigns.models.campaign import Designation
from tests.giving import donate
from tests.markup import parse
from tests.payments_fixtures import isolated

SUGGESTED = [
    {"amount": 2_500_00, "impact": "Half a share"},
    {"amount": 500_00, "impact": "Meat for five people"},
    {"amount": 1_000_00, "impact": ""},
]


@pytest.fixture
def qurban(make_campaign, make_option):
    campaign = make_campaign(
        "qurban",
        designations="general,sadaqah,sacrifice",
        unit_label="sacrifice shares",
        units_goal=220,
        unit_price=7_000_00,
        suggested_amounts=SUGGESTED,
    )
    sheep = make_option(
        campaign, "One sheep", unit_price=8_500_00, stock=10, designations="sacrifice"
    )
    cow = make_option(campaign, "Cow share", unit_price=7_000_00, designations="sacrifice")
    return campaign, sheep, cow


def form_of(client, path: str):
    return parse(isolated(client.get, path).data).find("form", "give-form")


def checked(form, name: str) -> list[str]:
    return [
        i.attrs["value"]
        for i in form.find_all("input")
        if i.attrs.get("name") == name and "checked" in i.attrs
    ]


def stored() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Donation))


def test_the_form_opens_on_the_first_option_with_the_middle_amount_ready(client, qurban):
    _campaign, sheep, cow = qurban
    form = form_of(client, "/campaigns/qurban")

    assert checked(form, "option") == [str(sheep.id)]
    assert checked(form, "preset") == ["100000"]  # 500, 1,000, 2,500: the middle one
    assert checked(form, "designation") == ["sacrifice"]
    labels = {e.attrs["for"]: e.text for e in form.find_all("label")}
    assert [labels[f"preset-{n}"] for n in (1, 2, 3)] == [
        "₺500.00 Meat for five people",
        "₺1,000.00",
        "₺2,500.00 Half a share",
    ]
    # "How many?" sits inside the chosen option's own item.
    sheep_item = next(li for li in form.find_all("li", "choice") if str(sheep.id) in str(li))
    assert [i.attrs["name"] for i in sheep_item.find_all("input")] == ["option", "quantity"]
    # Each designation says which gifts it applies to, for give.js.
    gifts = {
        i.attrs["value"]: i.attrs["data-gifts"]
        for i in form.find_all("input")
        if i.attrs.get("name") == "designation"
    }
    assert gifts == {
        "general": "amount",
        "sadaqah": "amount",
        "sacrifice": f"{sheep.id} {cow.id}",
    }
    # The first step ends in a Give button that leads to the second.
    assert form.find("p", "give-next").find("a").attrs["href"] == "#give-details"


def test_a_ways_to_give_link_opens_the_form_on_its_option(client, qurban):
    _campaign, _sheep, cow = qurban
    page = parse(isolated(client.get, "/campaigns/qurban").data)
    links = page.find("section", "campaign-options").find_all("a", "option-link")
    assert links[1].attrs["href"] == f"/campaigns/qurban?option={cow.id}#give"

    form = form_of(client, f"/campaigns/qurban?option={cow.id}")

    assert checked(form, "option") == [str(cow.id)]
    # Anything else in the link opens the form as usual.
    assert checked(form_of(client, "/campaigns/qurban?option=999999"), "option") != [""]


def test_without_options_the_form_opens_on_the_middle_suggested_amount(client, make_campaign):
    make_campaign("fund", suggested_amounts=SUGGESTED[:2])  # 500 and 2,500: the larger

    form = form_of(client, "/campaigns/fund")

    assert checked(form, "preset") == ["250000"]
    assert [i for i in form.find_all("input") if i.attrs.get("name") == "option"] == []


def test_a_suggested_amount_is_the_gift_and_a_typed_amount_comes_first(client, qurban):
    response = donate(
        client, "qurban", option="", preset="250000", amount="", designation="sadaqah"
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalars(select(Donation)).one().amount == 2_500_00

    response = donate(
        client, "qurban", option="", preset="250000", amount="750", designation="general"
    )
    assert response.status_code == 303
    assert (
        db.session.scalars(select(Donation).order_by(Donation.id.desc())).first().amount == 750_00
    )


@pytest.mark.parametrize("preset", ["123400", "-250000", "1e9", "9" * 40, "250000\x00"])
def test_an_amount_that_was_never_suggested_is_refused(client, qurban, preset):
    response = donate(client, "qurban", option="", preset=preset, amount="", designation="general")

    assert response.status_code == 422
    page = parse(response.data)
    assert (
        "Please choose one of the suggested amounts, or type an amount."
        in page.find("div", "error-summary").text
    )
    assert stored() == 0


@pytest.mark.parametrize(
    ("gift", "designation", "message"),
    [
        (
            "sheep",
            "general",
            "General does not apply to One sheep. Please choose: Qurban sacrifice.",
        ),
        ("cow", "sadaqah", "Sadaqah does not apply to Cow share. Please choose: Qurban sacrifice."),
        (
            "amount",
            "sacrifice",
            "Qurban sacrifice does not apply to an amount of your choice. "
            "Please choose: General, Sadaqah.",
        ),
        ("amount", "zakat", "Please choose how your gift should be used."),
    ],
)
def test_a_designation_that_does_not_apply_to_the_gift_is_refused(
    client, qurban, gift, designation, message
):
    _campaign, sheep, cow = qurban
    fields = {
        "sheep": {"option": str(sheep.id), "on_behalf": ["Ali"]},
        "cow": {"option": str(cow.id)},
    }
    chosen = fields.get(gift, {"option": "", "amount": "700"})

    response = donate(client, "qurban", designation=designation, **chosen)

    assert response.status_code == 422
    assert message in parse(response.data).find("div", "error-summary").text
    assert stored() == 0


def test_a_share_given_as_a_sacrifice_is_taken(client, qurban):
    _campaign, _sheep, cow = qurban
    response = donate(client, "qurban", option=str(cow.id), designation="sacrifice")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalars(select(Donation)).one().designation == Designation.SACRIFICE


def test_the_page_says_what_is_still_needed_in_words(client, qurban, make_campaign):
    page = parse(isolated(client.get, "/campaigns/qurban?lang=en").data)
    assert page.find("p", "progress-needed").text == "220 sacrifice shares still needed"
    make_campaign("money", goal_amount=10_000_00)
    page = parse(isolated(client.get, "/campaigns/money").data)
    assert page.find("p", "progress-needed").text == "₺10,000 still needed"
    turkish = parse(isolated(client.get, "/campaigns/qurban?lang=tr").data)
    assert turkish.find("p", "progress-needed").text == "220 sacrifice shares daha gerekiyor"
