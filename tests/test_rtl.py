"""Mixed directions and the reader's language on screen and on paper: Arabic amounts in
CLDR's order as one isolated unit, text of another direction isolated, "129 of 220"
rather than a slash, labels instead of codes on staff screens, an audit log of what
changed with money formatted, Hijri dates beside report and gift dates, and the legal
statement of a receipt in the receipt's own language, as a block of its own."""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.hijri import hijri_date
from campaigns.models import Donation, OutboxMessage
from campaigns.services.books.receipts import live_receipt, render_statement
from campaigns.services.mail.notifications import compose
from campaigns.settings import Settings
from tests.markup import parse
from tests.payments_fixtures import isolated
from tests.receipting import paid_donation, pdf_of, pdf_text
from tests.staff_forms import CAMPAIGN_FORM, OFFLINE_GIFT

ISOLATES = re.compile("[\u2066-\u2069]")
AR_STATEMENT = "لم تُقدَّم أي سلع أو خدمات مقابل هذا التبرع."
TR_STATEMENT = "Bu bağış karşılığında hiçbir mal veya hizmet verilmemiştir."
EN_STATEMENT = "No goods or services were provided in return for this gift."


def lines_of(pdf_text: str) -> list[str]:
    """A PDF's lines, without the full stops that pypdf moves to either end of a
    right-to-left line."""
    return [line.strip(" .") for line in pdf_text.splitlines()]


def shown(text: str) -> str:
    """Text as read, without the invisible isolates and with plain spaces."""
    return ISOLATES.sub("", text).replace("\xa0", " ")


# --- money ---------------------------------------------------------------------------------


def test_arabic_pages_show_cldr_order_as_one_isolated_amount(client, make_campaign, post_gift):
    post_gift(make_campaign("wells", currency="USD", goal_amount=50_000_00), 42_900_00)

    page = isolated(client.get, "/campaigns/wells?lang=ar").get_data(as_text=True)
    # Number first, then the symbol (CLDR ar: "#,##0.00 ¤"), each isolated, all one unit.
    raised = '<span class="progress-raised">\u2067\u206642,900\u2069\xa0\u2068US$\u2069\u2069'
    assert raised in page
    assert "$US" not in shown(page)
    english = isolated(client.get, "/campaigns/wells?lang=en").get_data(as_text=True)
    assert parse(english.encode()).find("span", "progress-raised").text == "$42,900"


# --- isolation ------------------------------------------------------------------------------


def test_text_of_another_direction_is_isolated_on_arabic_pages(client, make_campaign, make_report):
    wells = make_campaign("wells", title="Water wells", unit_label="wells", units_goal=40)
    make_report(
        "first-well", campaigns=[wells], place="Idlib", figures=[("People with water", 1200)]
    )

    page = parse(isolated(client.get, "/campaigns/wells?lang=ar").data)
    report_page = parse(isolated(client.get, "/reports/first-well?lang=ar").data)

    # English text on an Arabic page is a fallback: marked with its language and direction.
    title = page.find("h1")
    assert (title.attrs["lang"], title.attrs["dir"]) == ("en", "ltr")
    [unit] = page.find("span", "progress-goal").find_all("span")
    assert (unit.text, unit.attrs["lang"], unit.attrs["dir"]) == ("wells", "en", "ltr")
    report = report_page.find("article", "report")
    assert report.find("span", "report-place").attrs["dir"] == "ltr"
    assert report.find("dt").attrs["dir"] == "ltr"
    [link] = report.find("p", "report-campaigns").find_all("a")
    assert (link.text, link.attrs["dir"]) == ("Water wells", "ltr")


def test_the_thank_you_page_isolates_names_and_the_campaign(client, make_campaign):
    campaign = make_campaign("qurban", title="Qurban 2026")
    donation = paid_donation(
        campaign, donor_name="Leyla Kaya", on_behalf=["Fatma Yılmaz", "محمد علي"], locale="ar"
    )

    page = parse(isolated(client.get, f"/donations/{donation.token}/thanks?lang=ar").data)

    thanks = page.find("section", "thanks")
    bdis = {(b.attrs.get("dir"), b.text) for b in thanks.find_all("bdi")}
    assert {("ltr", "Leyla Kaya"), ("ltr", "Fatma Yılmaz"), ("rtl", "محمد علي")} <= bdis
    # The campaign's English title is a fallback inside the Arabic sentence: isolated too.
    [title] = [s for s in thanks.find("p", "lead").find_all("span") if s.text == "Qurban 2026"]
    assert (title.attrs["lang"], title.attrs["dir"]) == ("en", "ltr")


# --- "129 of 220" ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "staff_units", "public_units"),
    [
        ("en", "129 of 220", "129 of 220 shares"),
        ("tr", "129 (hedef: 220)", "129 — hedef: 220 shares"),
        ("ar", "129 من أصل 220", "129 من أصل 220 (shares)"),
    ],
)
def test_progress_reads_of_not_a_slash(
    client, staff_login, make_campaign, post_gift, lang, staff_units, public_units
):
    campaign = make_campaign("qurban", unit_label="shares", units_goal=220)
    post_gift(campaign, 1000_00, units=129)
    staff = staff_login(client, "viewer")

    dashboard = parse(staff.get(f"/staff/?lang={lang}").data)
    public = parse(isolated(client.get, f"/campaigns/qurban?lang={lang}").data)

    assert dashboard.find("dd", "fig-units").text == staff_units
    # (the parser's text puts a space around each element: the fallback label's <span>)
    amounts = " ".join(public.find("p", "progress-amounts").text.split())
    assert amounts.replace("( ", "(").replace(" )", ")") == public_units
    assert " / " not in dashboard.find("dd", "fig-units").text


# --- labels, not codes -----------------------------------------------------------------------

CODES = re.compile(
    r"\b(paid|sadaqah|zakat|general|bank_transfer|cash|active|draft|closed|admin|editor"
    r"|viewer|pending|refunded|once|monthly)\b",
    re.IGNORECASE,
)


def test_staff_screens_in_arabic_show_labels_never_codes(client, staff_login, make_campaign):
    campaign = make_campaign("food", title="غذاء", designations="general,sadaqah,zakat")
    admin = staff_login(client, "admin", email="boss@example.org")
    assert (
        admin.post(
            f"/staff/campaigns/{campaign.id}/gifts/new",
            OFFLINE_GIFT | {"designation": "sadaqah", "donor_name": "محمد"},
        ).status_code
        == 303
    )
    gift = db.session.scalars(select(Donation)).one()

    for path in (
        "/staff/",
        "/staff/donations",
        f"/staff/donations/{gift.id}",
        "/staff/campaigns",
        f"/staff/campaigns/{campaign.id}",
        "/staff/users",
        "/staff/audit",
    ):
        page = parse(admin.get(f"{path}?lang=ar").data)
        main = page.find("main")
        # Visible text only: codes may stay in attributes (values, classes, URLs).
        assert CODES.findall(main.text.replace("boss@example.org", "")) == [], path
    detail = parse(admin.get(f"/staff/donations/{gift.id}?lang=ar").data).find("main").text
    assert "صدقة" in detail  # Sadaqah
    assert "حوالة مصرفية" in detail  # Bank transfer


# --- the audit log ---------------------------------------------------------------------------


def test_the_audit_log_shows_only_what_changed_with_money_formatted(
    client, staff_login, make_campaign
):
    campaign = make_campaign("tents", title="Winter tents", currency="TRY", goal_amount=250_000_00)
    admin = staff_login(client, "admin")
    form = CAMPAIGN_FORM | {
        "slug": "tents",
        "summary": campaign.summary,
        "story": campaign.story,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
    }
    assert admin.post(f"/staff/campaigns/{campaign.id}", form).status_code == 303  # unchanged
    changed = form | {"goal": "300,000"}
    assert admin.post(f"/staff/campaigns/{campaign.id}", changed).status_code == 303

    rows = parse(admin.get("/staff/audit?lang=en").data).find("tbody").find_all("tr")

    changed_row, unchanged_row = rows[0], rows[1]
    assert changed_row.find("dl", "audit-changes").text == "Goal ₺250,000.00 → ₺300,000.00"
    assert "30000000" not in changed_row.text
    # An edit that changed nothing lists nothing, rather than every field "X → X".
    assert unchanged_row.find_all("dl") == []


def test_the_audit_log_labels_codes_and_points_back_in_arabic(client, staff_login, make_campaign):
    campaign = make_campaign("food", currency="USD")
    admin = staff_login(client, "admin")
    admin.post(f"/staff/campaigns/{campaign.id}/gifts/new", OFFLINE_GIFT | {"amount": "3,000"})

    row = parse(admin.get("/staff/audit?lang=ar").data).find("tbody").find_all("tr")[0]

    values = dict(
        (div.find("dt").text, div.find("dd").text)
        for div in row.find("dl", "audit-changes").find_all("div")
    )
    with force_locale("ar"):
        amount, payment, status = _("Amount"), _("Payment"), _("Status")
    assert shown(values[amount]) == "3,000.00 US$"
    assert values[payment] == "حوالة مصرفية"  # Bank transfer
    assert values[status] == "تم الاستلام"  # Received
    assert "token" in values and "note" not in values  # no label: its name; empty: left out


# --- Hijri dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "January 10, 2026 / 21 Rajab 1447"),
        ("tr", "10 Ocak 2026 / 21 Recep 1447"),
        ("ar", "10 يناير 2026، الموافق 21 رجب 1447 هـ"),
    ],
)
def test_report_dates_carry_their_hijri_date(client, make_report, lang, expected):
    make_report("well", happened_on=date(2026, 1, 10))

    for path in ("/reports/well", "/reports"):
        time = parse(isolated(client.get, f"{path}?lang={lang}").data).find("time")
        assert time.attrs["datetime"] == "2026-01-10"
        assert time.text == expected, path
        assert time.find("bdi", "hijri").attrs["dir"] == ("rtl" if lang == "ar" else "ltr")


# --- receipts and statements ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "statement", "given_words"),
    [("tr", TR_STATEMENT, "Bağış tarihi"), ("ar", AR_STATEMENT, "تاريخ التبرع")],
)
def test_receipts_print_the_statement_and_the_hijri_date_in_their_language(
    app_ctx, make_campaign, settings, locale, statement, given_words
):
    campaign = make_campaign("food", title="Food", currency="USD")
    donation = paid_donation(campaign, amount=42_900_00, locale=locale)
    paid_on = donation.paid_at.astimezone(ZoneInfo(settings.receipts.timezone)).date()

    text = pdf_text(pdf_of(live_receipt(db.session, donation)))

    assert statement.strip(".") in lines_of(text)  # a block of its own
    assert EN_STATEMENT not in text
    given = next(line for line in text.splitlines() if given_words in line)
    # Every word of the Hijri date on the gift's date line (pypdf reads Arabic runs in
    # the order they are drawn, so the words are checked, not the phrase).
    assert all(word in given for word in hijri_date(paid_on, locale).split())
    if locale == "ar":
        assert "US$" in text and "$US" not in text


def test_a_locale_without_its_own_statement_prints_the_plain_one(app_ctx, make_campaign, configure):
    configure(RECEIPT_STATEMENT_AR="", RECEIPT_STATEMENT="Registered charity no. 42.")
    donation = paid_donation(make_campaign("food"), locale="ar")

    text = pdf_text(pdf_of(live_receipt(db.session, donation)))

    assert "Registered charity no. 42." in text
    assert AR_STATEMENT not in text


def test_any_locale_can_have_its_statement(app):
    settings = Settings.of(
        dict(app.config)
        | {"RECEIPT_STATEMENT": EN_STATEMENT, "RECEIPT_STATEMENT_DE": "Keine Gegenleistung."},
        urls=None,
    )
    assert settings.receipts.statement_in("de_AT") == ("Keine Gegenleistung.", "de")
    assert settings.receipts.statement_in("fr") == (EN_STATEMENT, "en")


def test_the_arabic_statement_prints_its_legal_statement_as_its_own_block(
    app_ctx, make_campaign, settings
):
    donation = paid_donation(make_campaign("food"), donor_email="leyla@example.org", locale="ar")
    today = local_today()

    text = pdf_text(
        render_statement(
            db.session,
            donation.donor_email,
            date(today.year, 1, 1),
            date(today.year, 12, 31),
            "ar",
            settings.receipts,
        )
    )

    # A line of its own, not spliced into the Arabic paragraph before it.
    assert AR_STATEMENT.strip(".") in lines_of(text)
    assert EN_STATEMENT not in text


def test_the_arabic_thank_you_e_mail_isolates_latin_text(app_ctx, make_campaign, settings):
    campaign = make_campaign("wells", title="Water wells", currency="USD")
    donation = paid_donation(campaign, amount=42_900_00, donor_name="Leyla Kaya", locale="ar")
    [mail] = db.session.scalars(select(OutboxMessage).filter_by(donation_id=donation.id)).all()
    compose(db.session, settings, mail)

    assert "\u2068Water wells\u2069" in mail.subject
    assert "\u2068Leyla Kaya\u2069" in mail.body_text
    assert "\u2067\u206642,900.00\u2069\xa0\u2068US$\u2069\u2069" in mail.body_text
    assert '<bdi dir="ltr">Leyla Kaya</bdi>' in mail.body_html
    english = paid_donation(campaign, donor_name="Leyla Kaya", locale="en")
    [mail] = db.session.scalars(select(OutboxMessage).filter_by(donation_id=english.id)).all()
    assert mail.subject == "Thank you for your gift to Water wells"
