"""Typed text: single-line fields refuse every control character (CR and LF too),
multi-line fields keep tab and line feed only (CR LF becomes LF), and what is stored is
NFC. One set of rules (campaigns/text.py) read by every form a donor or staff member
fills; each refusal is a message beside the field, and nothing changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import (
    ActivityReport,
    AuditEntry,
    Campaign,
    Donation,
    DonationOption,
    OutboxMessage,
    StaffUser,
)
from campaigns.text import TextRefused, clean_text, parse_day, parse_int
from tests.giving import donate
from tests.markup import field_errors
from tests.payments_fixtures import count, isolated
from tests.staff_fixtures import csrf_token_of
from tests.staff_forms import CAMPAIGN_FORM, photo

ONE_LINE = "Please use one line, without line breaks or control characters."
LINES = "Please remove the control characters from this text."
DECOMPOSED = "Ays\u0327e Yılmaz"  # s + combining cedilla: how some keyboards send ş
COMPOSED = "Ayşe Yılmaz"
REPORT_FORM = {
    "title": "Tents delivered",
    "slug": "tents-delivered",
    "happened_on": "2026-02-10",
    "place": "Hatay",
    "summary": "Winter tents for 300 families.",
    "body": "We delivered tents.",
    "action": "save",
}


# -- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "char",
    [
        *("\x00", "\r", "\n", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"),
        *("\ud800", "\ufdd0", "\ufffe", "\U0001ffff", "\U0010ffff"),
    ],
)
def test_a_single_line_refuses_control_characters_and_noncharacters(char):
    with pytest.raises(TextRefused, match="one line"):
        clean_text(f"Ali{char}Veli")


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x0c", "\x1b", "\x7f", "\u2028", "\ufffe"])
def test_several_lines_refuse_control_characters_but_tab_and_line_feed(char):
    with pytest.raises(TextRefused, match="control characters"):
        clean_text(f"One\n{char}two", multiline=True)


def test_several_lines_keep_tab_and_line_feed_and_end_lines_with_lf():
    assert clean_text("One\r\ntwo\rthree\n\tfour", multiline=True) == "One\ntwo\nthree\n\tfour"


@pytest.mark.parametrize(
    "text",
    ["Ayşe", "محمد\u200fعلي", "Ali\u200dVeli", "🐑 × 2", "\ue000", "ﷺ", "Zoë"],
)
def test_letters_of_any_script_format_marks_and_emoji_pass(text):
    assert clean_text(text) == text


def test_text_is_stored_nfc():
    assert clean_text(DECOMPOSED) == COMPOSED
    assert clean_text("Re\u0301sume\u0301\r\n", multiline=True) == "Résumé\n"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        *[("7", 7), (" 12 ", 12), ("007", 7), ("2147483647", 2**31 - 1)],
        *[("²", None), ("١", None), ("٣", None), ("-1", None), ("+1", None), ("1.0", None)],
        *[("2147483648", None), ("9" * 5000, None), ("", None), ("1\x00", None)],
    ],
)
def test_whole_numbers_are_ascii_digits_within_the_column(text, value):
    assert parse_int(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        *[("2026-03-01", date(2026, 3, 1)), ("20260301", None), ("2026-W09-7", None)],
        *[("٢٠٢٦-03-01", None), ("2026-02-30", None), ("2026-03-01\x00", None)],
    ],
)
def test_dates_are_read_as_a_date_input_sends_them(text, value):
    assert parse_day(text) == value


# -- the donation form ----------------------------------------------------------------------


@pytest.fixture
def qurban(make_campaign, make_option):
    campaign = make_campaign("qurban")
    sheep = make_option(campaign, "One sheep", unit_price=8_500_00, needs_on_behalf=True)
    return campaign, sheep


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Ayşe\nYılmaz"),
        ("name", "Ayşe\x00"),
        ("email", "ayse@example.org\r\nBcc: all@example.org"),
        ("dedication", "In memory of\rmy grandmother"),
        ("on_behalf", "Ali\x00Veli"),
        ("on_behalf", "Ali\u2028Veli"),
    ],
)
def test_a_donor_field_with_a_control_character_is_refused(client, qurban, field, value):
    _campaign, sheep = qurban
    gift = {"option": str(sheep.id), "quantity": "1", "on_behalf": "Ali Veli"} | {field: value}

    response = donate(client, "qurban", **gift)

    assert response.status_code == 422
    assert ONE_LINE in field_errors(response)[field]
    assert count(Donation) == 0


def test_the_donors_names_are_stored_nfc(client, qurban):
    _campaign, sheep = qurban

    response = donate(
        client,
        "qurban",
        option=str(sheep.id),
        name=DECOMPOSED,
        on_behalf=f"{DECOMPOSED}'nin annesi",
        dedication=f"{DECOMPOSED} için",
    )

    assert response.status_code == 303
    db.session.expire_all()
    donation = db.session.scalars(select(Donation)).one()
    assert donation.donor_name == COMPOSED
    assert donation.on_behalf == [f"{COMPOSED}'nin annesi"]
    assert donation.dedication == f"{COMPOSED} için"


# -- the staff side -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "Winter\r\ntents", ONE_LINE),
        ("cover_alt", "A tent\x00", ONE_LINE),
        ("unit_label", "tents\n", ONE_LINE),
        ("summary", "Tents\x1b[31m", LINES),
        ("story", "Line\x00", LINES),
    ],
)
def test_a_campaign_field_with_a_control_character_changes_nothing(
    client, staff_login, make_campaign, field, value, message
):
    campaign = make_campaign("winter-tents", title="Winter tents", story="A story.")
    editor = staff_login(client, "editor")
    form = CAMPAIGN_FORM | {"units_goal": "100", "unit_label": "tents"} | {field: value}

    response = editor.post(f"/staff/campaigns/{campaign.id}", form)

    assert response.status_code == 422
    assert message in field_errors(response)[field]
    db.session.expire_all()
    saved = db.session.get(Campaign, campaign.id)
    assert (saved.title, saved.story, saved.units_goal) == ("Winter tents", "A story.", None)
    assert count(AuditEntry) == 1  # the sign-in only


def test_a_story_keeps_its_lines_as_lf_and_the_title_is_stored_nfc(
    client, staff_login, make_campaign
):
    campaign = make_campaign("winter-tents")
    editor = staff_login(client, "editor")
    story = "First line\r\n\r\n\t- a list\rlast"

    response = editor.post(
        f"/staff/campaigns/{campaign.id}",
        CAMPAIGN_FORM | {"title": f"{DECOMPOSED} tents", "story": story},
    )

    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Campaign, campaign.id)
    assert saved.story == "First line\n\n\t- a list\nlast"
    assert saved.title == f"{COMPOSED} tents"


@pytest.mark.parametrize(
    ("field", "value"),
    [("label", "One sheep\r\n"), ("label", "\x00"), ("description", "Big\nsheep")],
)
def test_an_option_field_with_a_control_character_is_refused(
    client, staff_login, make_campaign, field, value
):
    campaign = make_campaign("qurban")
    editor = staff_login(client, "editor")
    form = {"label": "One sheep", "price": "8,500", "units": "1", "position": "0"}

    response = editor.post(f"/staff/campaigns/{campaign.id}/options/new", form | {field: value})

    assert response.status_code == 422
    assert ONE_LINE in field_errors(response)[field]
    assert count(DonationOption) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "Tents\r\ndelivered"}, ONE_LINE),
        ({"place": "Hatay\x00"}, ONE_LINE),
        ({"body": "We\x00 delivered"}, LINES),
        ({"figure_label": ["Families\nreached"], "figure_value": ["1,200"]}, ONE_LINE),
        ({"photo_alt_0": "A tent\n", "photo_0": "photo"}, ONE_LINE),
    ],
)
def test_a_report_field_with_a_control_character_is_refused(
    client, staff_login, app_ctx, fields, message
):
    editor = staff_login(client, "editor")

    if "photo_0" in fields:
        fields = fields | {"photo_0": (photo(), "tent.jpg")}

    response = editor.post("/staff/reports/new", REPORT_FORM | fields)

    assert response.status_code == 422
    assert message in response.text
    assert count(ActivityReport) == 0


def test_a_report_body_keeps_its_lines_as_lf(client, staff_login, app_ctx):
    editor = staff_login(client, "editor")

    response = editor.post(
        "/staff/reports/new", REPORT_FORM | {"body": "One\r\ntwo", "place": DECOMPOSED}
    )

    assert response.status_code == 303
    db.session.expire_all()
    report = db.session.scalars(select(ActivityReport)).one()
    assert (report.body, report.place) == ("One\ntwo", COMPOSED)


@pytest.mark.parametrize(
    ("field", "value"),
    [("donor_name", "Mehmet\rDemir"), ("donor_email", "m@example.org\n"), ("note", "ref\x00")],
)
def test_an_offline_gift_field_with_a_control_character_is_refused(
    client, staff_login, make_campaign, field, value
):
    campaign = make_campaign("food-aid")
    admin = staff_login(client, "admin")
    gift = {
        "method": "cash",
        "amount": "100",
        "designation": "general",
        "donor_name": "Mehmet Demir",
        "received_on": "2026-01-15",
    }

    response = admin.post(f"/staff/campaigns/{campaign.id}/gifts/new", gift | {field: value})

    assert response.status_code == 422
    assert field in field_errors(response)
    assert count(Donation) == 0


@pytest.mark.parametrize(
    ("field", "value"), [("name", "Ali\nVeli"), ("email", "a@example.org\x00")]
)
def test_a_staff_user_field_with_a_control_character_is_refused(
    client, staff_login, app_ctx, field, value
):
    admin = staff_login(client, "admin")
    form = {"email": "new@example.org", "name": "Ali", "role": "viewer", "password": "x" * 16}

    response = admin.post("/staff/users", form | {field: value})

    assert response.status_code == 400
    assert ONE_LINE in field_errors(response)[field]
    assert count(StaffUser) == 1


def test_a_search_with_a_control_character_is_ignored_and_said_so(client, staff_login):
    viewer = staff_login(client, "viewer")

    response = viewer.get("/staff/donations?q=ay%0Ase")

    assert response.status_code == 200
    assert "These filters were not valid and were ignored: search." in response.text
    assert viewer.get("/staff/donations.csv?q=ay%0Dse").status_code == 400


def test_a_donor_sign_in_address_with_a_line_end_sends_nothing(client, app_ctx):
    token = csrf_token_of(isolated(client.get, "/donor"))
    form = {"csrf_token": token, "email": "ayse@example.org\r\nBcc: all@example.org"}

    response = isolated(client.post, "/donor", data=form)

    assert response.status_code == 400
    assert ONE_LINE in field_errors(response)["email"]
    assert count(OutboxMessage) == 0


def test_a_published_reports_photo_description_is_stored_as_read(
    client, staff_login, make_report, app_ctx
):
    report = make_report("tents", images=[("aaaa.jpg", "A tent")], published=True)
    [image] = report.images
    editor = staff_login(client, "editor")

    response = editor.post(
        f"/staff/reports/{report.id}",
        REPORT_FORM | {"slug": "tents", f"image_alt_{image.id}": f"{DECOMPOSED}'s tent "},
    )

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(ActivityReport, report.id).images[0].alt == f"{COMPOSED}'s tent"
