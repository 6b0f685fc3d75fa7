"""After paying: the thank-you page and e-mail say what the gift does, what happens next
(staff's words), when a monthly gift is next taken and where to manage it; they invite
the donor to share, and the e-mail labels the dedication and the names."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import quote

from sqlalchemy import select

from campaigns.extensions import db
from campaigns.filters import next_instalment
from campaigns.models import Donation, OutboxMessage
from campaigns.services.mail.notifications import compose
from tests.giving import donate, press
from tests.markup import parse
from tests.payments_fixtures import isolated

NEXT = "Parcels go out within the month; we will send you a report."


def pay(client, slug: str, **fields):
    """Give through the form, pay on the demo checkout; the thank-you page it returns to."""
    checkout = donate(client, slug, **fields)
    assert checkout.status_code == 303, checkout.status_code
    paid = press(client, checkout.headers["Location"], "pay")
    assert paid.status_code == 303
    page = isolated(client.get, paid.headers["Location"])
    assert page.status_code == 200
    db.session.expire_all()
    return parse(page.data), db.session.scalars(
        select(Donation).order_by(Donation.id.desc())
    ).first()


def thanks_mail(settings, donation: Donation) -> OutboxMessage:
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.key == f"thanks:{donation.token}")
    ).one()
    compose(db.session, settings, message)
    return message


def test_thanks_say_what_the_gift_does_what_happens_next_and_invite_sharing(
    client, make_campaign, make_option, settings, app_ctx
):
    food = make_campaign("food-aid", title="Food aid", unit_label="food parcels", next_steps=NEXT)
    parcel = make_option(food, "Food parcel for a family", unit_price=1500_00)

    page, gift = pay(
        client,
        "food-aid",
        option=str(parcel.id),
        quantity="2",
        dedication="In memory of my grandmother",
    )

    assert page.find("p", "thanks-does").text == "What your gift does: 2 × Food parcel for a family"
    assert page.find("section", "thanks-next").find("p").text == NEXT
    share = page.find("section", "share")
    assert share.find("h2").text == "Ask your friends to give too"
    shared = quote("http://campaigns.test/campaigns/food-aid?lang=en", safe="")
    assert all(shared in a.attrs["href"] for a in share.find_all("a"))
    assert "Dedication: In memory of my grandmother" in page.text
    assert not page.find_all("p", "thanks-monthly")

    mail = thanks_mail(settings, gift)
    assert "What your gift does: 2 × Food parcel for a family" in mail.body_text
    assert f"What happens next\n{NEXT}" in mail.body_text
    # The dedication has its label (it used to stand alone on a line).
    assert "\nDedication: In memory of my grandmother\n" in mail.body_text
    assert "http://campaigns.test/campaigns/food-aid?lang=en" in mail.body_text
    assert "https://wa.me/?text=" in mail.body_html


def test_a_monthly_gift_says_when_it_is_next_taken_and_where_to_manage_it(
    client, make_campaign, settings, app_ctx
):
    make_campaign("food-aid")

    page, gift = pay(client, "food-aid", amount="250", frequency="monthly")

    monthly = page.find("p", "thanks-monthly")
    due = next_instalment(gift.paid_at)
    assert due.month != gift.paid_at.month or due.year != gift.paid_at.year
    assert f"on or about {due.strftime('%B')} {due.day}, {due.year}" in monthly.text
    assert monthly.find("a").attrs["href"] == "/donor"
    mail = thanks_mail(settings, gift)
    assert f"on or about {due.strftime('%B')} {due.day}, {due.year}" in mail.body_text


def test_the_next_instalment_is_a_month_on_clamped_to_the_month_end(app_ctx):
    def on(day: date) -> date:
        return next_instalment(datetime(day.year, day.month, day.day, 10, tzinfo=UTC))

    assert on(date(2026, 1, 31)) == date(2026, 2, 28)
    assert on(date(2028, 1, 31)) == date(2028, 2, 29)
    assert on(date(2026, 12, 15)) == date(2027, 1, 15)
    assert on(date(2026, 3, 31)) == date(2026, 4, 30)


def test_a_well_asks_for_and_shows_the_name_on_its_plate(
    client, make_campaign, make_option, settings, app_ctx
):
    wells = make_campaign("wells", currency="USD")
    well = make_option(
        wells,
        "A complete water well",
        unit_price=3500_00,
        needs_on_behalf=True,
        on_behalf_label="Name on the well's plate",
    )
    form = parse(client.get("/campaigns/wells").data).find("fieldset", "on-behalf")
    assert form.find("legend").text == "Name on the well's plate"
    assert form.find_all("label")[0].text == "Name on the well's plate 1"

    page, gift = pay(client, "wells", option=str(well.id), quantity="1", on_behalf="Kemal Karaca")

    assert gift.on_behalf == ["Kemal Karaca"]
    assert "Name on the well's plate: Kemal Karaca" in page.text
    assert "Name on the well's plate: Kemal Karaca" in thanks_mail(settings, gift).body_text
