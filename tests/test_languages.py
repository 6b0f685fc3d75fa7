"""Choosing a language (``?lang=``, the remembered cookie, Accept-Language), the switcher
on every page, right to left for Arabic, money and dates per locale, Hijri deadlines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_babel import force_locale

from campaigns.filters import hijri, local_today
from campaigns.languages import LANGUAGE_COOKIE, ONE_YEAR
from campaigns.money import format_money
from tests.giving import csrf_token, post_gift
from tests.markup import parse
from tests.payments_fixtures import isolated

TURKISH_BROWSER = {"Accept-Language": "tr-TR,tr;q=0.9,en;q=0.5"}


def get(client, url: str, **kwargs):
    """A GET in an app context of its own, as in production (Flask-Babel keeps the
    locale it chose on the app context, which a test's own context would share)."""
    return isolated(client.get, url, **kwargs)


def html_of(response):
    """The <html> element's lang and dir."""
    root = parse(response.data).find("html")
    return root.attrs["lang"], root.attrs["dir"]


@pytest.fixture
def campaign(make_campaign, make_option):
    food = make_campaign("food-aid", title="Food aid")
    make_option(food, "Food parcel", unit_price=1250_50)
    return food


def test_first_visit_follows_accept_language(client, campaign):
    assert html_of(get(client, "/", headers=TURKISH_BROWSER)) == ("tr", "ltr")
    assert html_of(get(client, "/", headers={"Accept-Language": "ar"})) == ("ar", "rtl")
    assert html_of(get(client, "/", headers={"Accept-Language": "de, fr"})) == ("en", "ltr")


def test_lang_parameter_wins_and_is_remembered_for_a_year(client, campaign):
    response = get(client, "/?lang=ar", headers=TURKISH_BROWSER)

    assert html_of(response) == ("ar", "rtl")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=ar;")
    assert f"Max-Age={ONE_YEAR}" in cookie
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    # The next page, without ?lang=, is still in Arabic whatever the browser prefers.
    later = get(client, "/reports", headers=TURKISH_BROWSER)
    assert html_of(later) == ("ar", "rtl")
    assert "Set-Cookie" not in later.headers


def test_unknown_language_codes_are_ignored(client, campaign):
    client.set_cookie(LANGUAGE_COOKIE, "xx")
    response = get(client, "/?lang=de", headers=TURKISH_BROWSER)

    assert html_of(response) == ("tr", "ltr")
    assert "Set-Cookie" not in response.headers


def test_pages_say_they_differ_by_language(client, campaign):
    assert {"Cookie", "Accept-Language"} <= set(get(client, "/").vary)
    # The API's text fields follow Accept-Language too (see test_api.py).
    assert "Accept-Language" in get(client, "/api/v1/campaigns").vary


def switcher(response) -> list[dict]:
    nav = next(n for n in parse(response.data).find_all("nav") if "language-switcher" in n.classes)
    return [a.attrs | {"text": a.text} for a in nav.find_all("a")]


def test_switcher_links_this_page_in_each_language_keeping_its_query(client, campaign):
    links = switcher(get(client, "/reports?page=1&lang=tr"))

    assert [(a["href"], a["hreflang"], a["lang"], a["text"]) for a in links] == [
        ("/reports?page=1&lang=en", "en", "en", "English"),
        ("/reports?page=1&lang=tr", "tr", "tr", "Türkçe"),
        ("/reports?page=1&lang=ar", "ar", "ar", "العربية"),
    ]
    assert [a.get("aria-current") for a in links] == [None, "true", None]


def test_switcher_on_a_form_answer_links_the_page_the_form_was_on(client, campaign):
    response = post_gift(
        client,
        "food-aid",
        csrf_token(client, "food-aid"),
        {"name": ""},
        headers={"Referer": "http://localhost/campaigns/food-aid"},
    )

    assert response.status_code == 422
    assert [a["href"] for a in switcher(response)] == [
        f"/campaigns/food-aid?lang={code}" for code in ("en", "tr", "ar")
    ]


@pytest.mark.parametrize(
    ("referrer_path", "expected"),
    [
        ("//evil.example/x", "/"),  # a protocol-relative address: another site
        ("///evil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("//", "/"),
        ("/\\evil.example/x", "/%5Cevil.example/x"),  # browsers read a backslash as "/"
        ("/%09/evil.example", "/%09/evil.example"),  # and drop a tab
    ],
)
def test_switcher_on_a_form_answer_never_leaves_the_site(client, campaign, referrer_path, expected):
    response = post_gift(
        client,
        "food-aid",
        csrf_token(client, "food-aid"),
        {"name": ""},
        headers={"Referer": f"http://localhost{referrer_path}"},
    )

    assert response.status_code == 422
    assert [a["href"] for a in switcher(response)] == [
        f"{expected}?lang={code}" for code in ("en", "tr", "ar")
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("//evil.example/x", "/evil.example/x?lang=en"),  # Werkzeug keeps one "/"
        ("/\t/evil.example", "/%09/evil.example?lang=en"),
        ("/\\evil.example", "/%5Cevil.example?lang=en"),
    ],
)
def test_switcher_on_a_missing_page_never_leaves_the_site(client, path, expected):
    response = client.get("/", environ_overrides={"PATH_INFO": path})

    assert response.status_code == 404
    assert switcher(response)[0]["href"] == expected


def test_switcher_is_on_staff_pages_and_error_pages(client):
    assert len(switcher(get(client, "/staff/login?lang=ar"))) == 3
    missing = get(client, "/campaigns/nothing-here?lang=tr")
    assert missing.status_code == 404
    assert html_of(missing) == ("tr", "ltr")
    assert switcher(missing)[0]["href"] == "/campaigns/nothing-here?lang=en"


def test_turkish_campaign_page_shows_turkish_amounts(client, campaign):
    page = get(client, "/campaigns/food-aid?lang=tr").text

    assert "₺1.250,50" in page
    assert "₺1,250.50" not in page


def test_arabic_campaign_page_formats_money_for_the_arabic_locale(client, campaign):
    page = get(client, "/campaigns/food-aid?lang=ar").text

    assert format_money(1250_50, "TRY", "ar") in page
    assert format_money(1250_50, "TRY", "ar") != format_money(1250_50, "TRY", "en")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "10 Dhu al-Hijjah 1447"),
        ("tr", "10 Zilhicce 1447"),
        ("ar", "10 ذو الحجة 1447 هـ"),
    ],
)
def test_hijri_dates_in_each_language(app_ctx, lang, expected):
    with app_ctx.test_request_context(), force_locale(lang):
        assert hijri(date(2026, 5, 27)) == expected
        assert hijri(date(2026, 3, 19)).startswith("30 ")  # the last day of Ramadan 1447


def test_hijri_date_outside_the_calendar_tables_is_left_out(app_ctx):
    with app_ctx.test_request_context():
        assert hijri(date(2090, 1, 1)) is None


def test_campaign_deadline_is_shown_with_its_hijri_date(client, make_campaign):
    ends = local_today() + timedelta(days=30)
    make_campaign("iftar", title="Iftar", ends_on=ends)

    with client.application.test_request_context(), force_locale("en"):
        expected = f"Ends {ends:%B} {ends.day}, {ends.year} ({hijri(ends)})"
    card = parse(get(client, "/?lang=en").data).find("li", "progress-ends")
    page = parse(get(client, "/campaigns/iftar?lang=en").data).find("li", "progress-ends")
    assert card.text == page.text == expected
    assert card.find("bdi", "hijri").text == hijri(ends)


def test_ended_campaign_shows_no_end_date(client, make_campaign):
    make_campaign("old", ends_on=local_today() - timedelta(days=1))

    assert "progress-ends" not in get(client, "/campaigns/old").text
