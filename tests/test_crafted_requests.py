"""Requests no browser sends, each of which answered 500 once: NUL in a path or a field,
digits that are not ASCII, numbers beyond their column, dates beyond 1900-2100, a line
end in ``?next=``, a setting that is not a number. Each now gets a 404, a 400 or the form
again with a message beside the field, and changes nothing. Run them on PostgreSQL too:
several only failed there."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from campaigns import create_app
from campaigns.extensions import db
from campaigns.models import AuditEntry, Campaign, Donation, OutboxMessage, Receipt
from tests.giving import donate
from tests.markup import field_errors
from tests.payments_fixtures import count, isolated
from tests.staff_fixtures import PASSWORD, create_account, csrf_token_of, sign_in
from tests.staff_forms import CAMPAIGN_FORM, OFFLINE_GIFT

LINK = re.compile(r"http://campaigns\.test(/donor/\S+)")


@pytest.fixture
def qurban(make_campaign, make_option):
    campaign = make_campaign("qurban")
    sheep = make_option(campaign, "One sheep", unit_price=8_500_00, stock=10)
    return campaign, sheep


# -- NUL in a path ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/receipts/verify/RCPT%00"),
        ("GET", "/receipts/abc%00.pdf"),
        ("GET", "/donations/abc%00/thanks"),
        ("GET", "/demo-checkout/abc%00"),
        ("POST", "/demo-checkout/abc%00/pay"),
        ("GET", "/campaigns/food%0d%0aaid"),
        ("GET", "/api/v1/campaigns/a%00"),
    ],
)
def test_a_control_character_in_the_path_is_no_such_page(client, method, url):
    assert isolated(client.open, url, method=method).status_code == 404


# -- NUL and line ends in form fields ----------------------------------------------------


def test_nul_in_the_dedication_is_a_field_error_and_stores_nothing(client, qurban):
    response = donate(client, "qurban", amount="250", dedication="In memory\x00 of")

    assert response.status_code == 422
    assert "without line breaks or control characters" in field_errors(response)["dedication"]
    assert count(Donation) == 0


def test_nul_in_the_staff_sign_in_e_mail_is_a_field_error(app, client, fresh_rate_limits):
    create_account(app, "admin", "boss@example.org")

    response = sign_in(client, "boss@example.org\x00")

    assert response.status_code == 400
    assert "without line breaks or control characters" in field_errors(response)["email"]
    assert isolated(client.get, "/staff/").status_code == 302  # not signed in


@pytest.mark.parametrize("title", ["Winter\x00tents", "Winter\r\nBcc: all@example.org"])
def test_a_campaign_title_with_nul_or_a_line_end_changes_nothing(
    client, staff_login, make_campaign, title
):
    campaign = make_campaign("winter-tents", title="Winter tents")
    editor = staff_login(client, "editor")

    response = editor.post(f"/staff/campaigns/{campaign.id}", CAMPAIGN_FORM | {"title": title})

    assert response.status_code == 422
    assert "without line breaks or control characters" in field_errors(response)["title"]
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).title == "Winter tents"
    assert count(AuditEntry) == 1  # the sign-in only


# -- digits that are not ASCII, numbers beyond their column --------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("option", "²"), ("quantity", "²"), ("option", "99999999999"), ("option", "9" * 30)],
)
def test_an_option_or_quantity_no_int_can_hold_is_a_field_error(client, qurban, field, value):
    _campaign, sheep = qurban
    fields = {"option": str(sheep.id), "quantity": "1", "on_behalf": "Ali"} | {field: value}

    response = donate(client, "qurban", **fields)

    assert response.status_code == 422
    assert field in field_errors(response)
    assert count(Donation) == 0


@pytest.mark.parametrize(
    "url",
    [
        "/staff/donations?page=²",
        "/staff/audit?page=²",
        "/reports?page=²",
        "/staff/donations/99999999999999999999",
        "/staff/donations/2147483648",
        "/staff/campaigns/99999999999",
    ],
)
def test_a_page_or_id_beyond_any_row_is_no_such_page(client, staff_login, url):
    admin = staff_login(client, "admin")
    assert admin.get(url).status_code == 404


def test_a_campaign_filter_beyond_the_column_is_refused(client, staff_login):
    viewer = staff_login(client, "viewer")

    listed = viewer.get("/staff/donations?campaign=999999999999999999")
    exported = viewer.get("/staff/donations.csv?campaign=999999999999999999")

    assert listed.status_code == 200
    assert "These filters were not valid and were ignored: campaign." in listed.text
    assert exported.status_code == 400


# -- dates outside 1900-2100 ------------------------------------------------------------------


def test_a_statement_from_year_one_is_explained(client, give):
    give(email="ayse@example.org")
    page = isolated(client.get, "/donor")
    form = {"csrf_token": csrf_token_of(page), "email": "ayse@example.org"}
    assert isolated(client.post, "/donor", data=form).status_code == 303
    db.session.expire_all()
    link = db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("donor-link:%")))
    path = LINK.search(link.one().body_text).group(1)

    response = isolated(client.get, f"{path}/statement.pdf?start=0001-01-01&end=0001-12-31")

    assert response.status_code == 400
    assert "Please enter a date between 1900 and 2100." in response.text


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2101-01-01"])
def test_an_offline_gift_received_outside_1900_2100_issues_nothing(
    client, staff_login, make_campaign, day
):
    campaign = make_campaign("food-aid")
    admin = staff_login(client, "admin")

    response = admin.post(
        f"/staff/campaigns/{campaign.id}/gifts/new", OFFLINE_GIFT | {"received_on": day}
    )

    assert response.status_code == 422
    assert "between 1900 and 2100" in field_errors(response)["received_on"]
    assert (count(Donation), count(Receipt)) == (0, 0)


# -- ?next= with a line end; a setting that is not a number -------------------------------------


@pytest.mark.parametrize("target", ["/staff%0d%0aX:1", "/staff/%00", "/staff/donations%09"])
def test_an_unsafe_next_is_no_next(app, client, fresh_rate_limits, target):
    create_account(app, "viewer", "viewer@example.org")
    token = csrf_token_of(isolated(client.get, "/staff/login"))
    form = {"csrf_token": token, "email": "viewer@example.org", "password": PASSWORD}

    response = isolated(client.post, f"/staff/login?next={target}", data=form)

    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/"


@pytest.mark.parametrize("value", ["abc", "-1", "²", "1.5"])
def test_trusted_proxies_not_a_number_stops_the_app_naming_it(monkeypatch, value):
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES") as error:
        create_app("testing")
    assert "\n" not in str(error.value)
