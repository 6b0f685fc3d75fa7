"""What the charity writes, in the reader's language: the accessor, public pages with their
fallbacks marked by lang and dir, alternate links, the page cache per language, receipts,
statements and e-mails in the donor's language, and the CONTENT_LANGUAGE setting."""

from __future__ import annotations

import pytest
from flask_babel import to_user_timezone
from sqlalchemy import select

from campaigns import create_app
from campaigns.extensions import db
from campaigns.models import OutboxMessage
from campaigns.models.translatable import Localized
from campaigns.services.books.receipts import live_receipt, render_statement
from campaigns.services.content import campaign_editing, report_editing
from tests.markup import parse
from tests.payments_fixtures import isolated
from tests.receipting import paid_donation, pdf_of, pdf_text
from tests.test_after_paying import pay, thanks_mail

WELLS = {
    "title": "Water wells in Africa",
    "summary": "Clean water for whole villages.",
    "story": "A well changes **everything**.",
    "unit_label": "wells",
    "units_goal": 25,
    "translations": {
        "tr": {
            "title": "Afrika'da su kuyuları",
            "summary": "Bütün bir köye temiz su.",
            "story": "Bir kuyu **her şeyi** değiştirir.",
            "unit_label": "su kuyusu",
        },
        # Arabic: only the title so far; the rest falls back to English.
        "ar": {"title": "آبار المياه في أفريقيا"},
    },
}
WELL_OPTION = {
    "unit_price": 3500_00,
    "translations": {
        "tr": {"label": "Bir su kuyusunun tamamı", "description": "Tabelasında sizin isminiz"},
        "ar": {"label": "بئر مياه كاملة", "description": "يُكتب على لوحتها الاسم الذي تختاره"},
    },
}


@pytest.fixture
def wells(make_campaign, make_option):
    campaign = make_campaign("water-wells", currency="USD", **WELLS)
    make_option(campaign, "A complete water well", description="Your name on it", **WELL_OPTION)
    return campaign


def page(client, path: str, lang: str):
    response = isolated(client.get, path, query_string={"lang": lang})
    assert response.status_code == 200
    return parse(response.data)


# -- the accessor ---------------------------------------------------------------------------


def test_localized_answers_in_the_language_asked_or_the_source_one(wells):
    turkish = wells.localized("title", "tr", "en")
    fallback = wells.localized("summary", "ar", "en")
    own = wells.localized("title", "en", "en")

    assert isinstance(turkish, Localized)
    assert (turkish, turkish.lang) == ("Afrika'da su kuyuları", "tr")
    assert (fallback, fallback.lang) == ("Clean water for whole villages.", "en")
    assert (own, own.lang) == ("Water wells in Africa", "en")
    # A language nobody wrote in, and a source language other than English.
    assert wells.localized("title", "de", "en").lang == "en"
    assert wells.localized("title", "tr", "tr") == "Water wells in Africa"
    with pytest.raises(KeyError):
        wells.localized("currency", "tr", "en")


def test_missing_lists_what_is_not_yet_written_in_a_language(wells):
    assert wells.missing("tr") == []  # no cover description to translate
    assert wells.missing("ar") == ["summary", "story", "unit_label"]


# -- public pages ---------------------------------------------------------------------------


def test_a_turkish_campaign_page_shows_the_turkish_text(client, wells):
    html = page(client, "/campaigns/water-wells", "tr")

    title = html.find("h1")
    assert title.text == "Afrika'da su kuyuları"
    assert "lang" not in title.attrs  # the page's own language: nothing to mark
    assert html.find("p", "lead").text == "Bütün bir köye temiz su."
    assert "Bir kuyu her şeyi değiştirir." in html.find("section", "campaign-story").text
    assert html.find("p", "option-label").text == "Bir su kuyusunun tamamı"
    assert "su kuyusu" in html.find("span", "progress-goal").text
    text = html.find("main").text
    for english in ("Water wells in Africa", "A complete water well", "Your name on it"):
        assert english not in text


def test_an_untranslated_field_falls_back_marked_with_its_language(client, wells):
    html = page(client, "/campaigns/water-wells", "ar")

    title = html.find("h1")
    assert title.text == "آبار المياه في أفريقيا"
    assert "lang" not in title.attrs
    summary = html.find("p", "lead")
    assert summary.text == "Clean water for whole villages."
    assert (summary.attrs["lang"], summary.attrs["dir"]) == ("en", "ltr")
    story = html.find("section", "campaign-story").find("div")
    assert (story.attrs["lang"], story.attrs["dir"]) == ("en", "ltr")
    # Inside an Arabic sentence: the English unit name isolated in its own span.
    [unit] = html.find("span", "progress-goal").find_all("span")
    assert (unit.text, unit.attrs["lang"], unit.attrs["dir"]) == ("wells", "en", "ltr")


def test_an_english_page_marks_nothing(client, wells):
    html = page(client, "/campaigns/water-wells", "en")

    assert html.find("h1").text == "Water wells in Africa"
    assert not [e for e in html.find("main").iter() if "lang" in e.attrs]


def test_the_home_page_form_and_reports_speak_turkish(client, wells, make_report):
    make_report(
        "wells-done",
        campaigns=[wells],
        figures=[("wells drilled", 12)],
        place="Uganda",
        translations={"tr": {"title": "Kuyular tamamlandı", "summary": "On iki yeni kuyu."}},
    )
    home = page(client, "/", "tr")
    assert home.find("h3", "card-title").text == "Afrika'da su kuyuları"
    assert "Kuyular tamamlandı" in home.find("main").text

    form = page(client, "/campaigns/water-wells", "tr").find("form", "give-form")
    assert "Bir su kuyusunun tamamı" in form.text

    full = page(client, "/reports/wells-done", "tr")
    assert full.find("h1").text == "Kuyular tamamlandı"
    # Not translated: the figure label keeps its English, marked as such.
    [label] = full.find_all("dt")
    assert (label.text, label.attrs["lang"]) == ("wells drilled", "en")
    assert "Afrika'da su kuyuları" in full.find("p", "report-campaigns").text


def test_public_pages_name_their_other_languages(client, wells):
    html = page(client, "/campaigns/water-wells", "tr")

    links = {
        e.attrs["hreflang"]: e.attrs["href"]
        for e in html.find_all("link")
        if e.attrs.get("rel") == "alternate"
    }
    base = "http://campaigns.test/campaigns/water-wells"
    assert links == {
        "en": f"{base}?lang=en",
        "tr": f"{base}?lang=tr",
        "ar": f"{base}?lang=ar",
        "x-default": base,
    }


def test_the_cached_page_of_each_language_follows_a_translation_edit(app, client, wells):
    assert page(client, "/campaigns/water-wells", "tr").find("h1").text == ("Afrika'da su kuyuları")
    assert page(client, "/campaigns/water-wells", "en").find("h1").text == ("Water wells in Africa")

    form = campaign_editing.campaign_form(wells, "en")
    form.translations = form.translations | {"tr": {"title": "Afrika'ya su kuyusu"}}
    campaign_editing.save_campaign(
        db.session,
        form,
        locale="en",
        actor=None,
        folder=app.config["UPLOAD_FOLDER"],
        campaign=wells,
        languages=("tr", "ar"),
    )
    db.session.commit()

    assert page(client, "/campaigns/water-wells", "tr").find("h1").text == "Afrika'ya su kuyusu"
    assert page(client, "/campaigns/water-wells", "en").find("h1").text == ("Water wells in Africa")


def test_a_turkish_charity_writes_turkish_in_the_columns(client, configure, make_campaign):
    configure(CONTENT_LANGUAGE="tr")
    make_campaign(
        "kurban",
        title="Kurban Bayramı hisseleri",
        translations={"en": {"title": "Qurban shares"}},
    )

    assert page(client, "/campaigns/kurban", "en").find("h1").text == "Qurban shares"
    assert page(client, "/campaigns/kurban", "tr").find("h1").text == "Kurban Bayramı hisseleri"
    fallback = page(client, "/campaigns/kurban", "ar").find("h1")
    assert (fallback.text, fallback.attrs["lang"], fallback.attrs["dir"]) == (
        "Kurban Bayramı hisseleri",
        "tr",
        "ltr",
    )


@pytest.mark.parametrize("value", ["de", "", "EN", "en-US"])
def test_content_language_must_be_one_the_site_speaks(value):
    with pytest.raises(RuntimeError, match="CONTENT_LANGUAGE"):
        create_app({"CONTENT_LANGUAGE": value} | {"TESTING": True})


# -- receipts, statements and e-mails: the donor's language -------------------------------


@pytest.mark.parametrize(
    ("locale", "title", "label", "unit"),
    [
        ("tr", "Afrika'da su kuyuları", "Bir su kuyusunun tamamı", "su kuyusu"),
        ("ar", "آبار المياه في أفريقيا", "بئر مياه كاملة", "wells"),
    ],
)
def test_a_receipt_names_the_gift_in_the_donors_language(wells, locale, title, label, unit):
    option = wells.options[0]
    donation = paid_donation(
        wells, amount=3500_00, option=option, quantity=1, units=1, locale=locale
    )

    text = pdf_text(pdf_of(live_receipt(db.session, donation)))

    for words in (title, label, unit):
        assert words in text, words
    assert "A complete water well" not in text


def test_a_stored_receipt_keeps_the_text_it_was_issued_with(wells):
    donation = paid_donation(wells, locale="tr")
    receipt = live_receipt(db.session, donation)
    first = pdf_of(receipt)

    wells.translations = {"tr": {"title": "Yeni başlık"}}
    db.session.commit()

    assert pdf_of(receipt) == first
    assert "Afrika'da su kuyuları" in pdf_text(first)


def test_a_statement_names_campaigns_in_the_language_asked(app_ctx, wells, settings):
    donation = paid_donation(wells, locale="en")
    # The day of the gift where the charity is: statements count days in its time zone
    # (from 21:00 UTC, Istanbul is already on the next day).
    day = to_user_timezone(donation.paid_at).date()

    pdf = render_statement(
        db.session,
        donation.donor_email,
        day,
        day,
        "tr",
        settings.receipts,
    )

    assert "Afrika'da su kuyuları" in pdf_text(pdf)


@pytest.mark.parametrize(
    ("locale", "title"), [("tr", "Afrika'da su kuyuları"), ("ar", "آبار المياه في أفريقيا")]
)
def test_the_thank_you_e_mail_names_the_campaign_in_the_donors_language(
    client, wells, locale, title
):
    # The staff member or site language does not matter: the donor's does.
    isolated(client.get, "/", query_string={"lang": "en"})
    paid_donation(wells, locale=locale)

    message = db.session.scalars(select(OutboxMessage)).one()
    assert title in message.subject
    assert "Water wells" not in message.subject


def test_a_published_report_is_e_mailed_in_each_donors_language(
    app_ctx, wells, make_report, settings
):
    paid_donation(wells, locale="tr", updates_opt_in=True, donor_email="ayse@example.org")
    paid_donation(wells, locale="ar", updates_opt_in=True, donor_email="omar@example.org")
    report = make_report(
        "wells-done",
        campaigns=[wells],
        figures=[("wells drilled", 12)],
        published=False,
        translations={"tr": {"title": "Kuyular tamamlandı"}},
    )
    report.figures[0].translations = {"tr": {"label": "açılan kuyu"}}
    db.session.commit()

    report_editing.publish_report(db.session, settings, report, actor=None)
    db.session.commit()

    mails = {
        m.to: m
        for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.key.startswith("report:"))
        )
    }
    turkish, arabic = mails["ayse@example.org"], mails["omar@example.org"]
    assert "Kuyular tamamlandı" in turkish.subject
    assert "açılan kuyu: 12" in turkish.body_text
    # No Arabic yet: the English title, and in the HTML part marked as English.
    assert "Wells Done" in arabic.subject
    assert '<h1><span lang="en" dir="ltr">Wells Done</span></h1>' in arabic.body_html


# -- what staff wrote after issue 12: next steps, names, FAQ, impact lines -----------------

FAQ = [
    {"question": "What name goes on the plate?", "answer": "The one you write on the form."},
    {"question": "Can I give part of a well?", "answer": "Yes: any amount helps."},
]
PLATE = {
    "needs_on_behalf": True,
    "on_behalf_label": "Name on the well's plate",
    "translations": {
        "tr": {"label": "Bir su kuyusunun tamamı", "on_behalf_label": "Kuyu tabelasındaki isim"},
        "ar": {"label": "بئر مياه كاملة"},
    },
}


@pytest.fixture
def plated(make_campaign, make_option):
    """Wells with a FAQ, suggested amounts and next steps: all in Turkish, partly in Arabic."""
    campaign = make_campaign(
        "plated-wells",
        currency="USD",
        title="Water wells",
        summary="",
        story="",
        unit_label="wells",
        units_goal=25,
        next_steps="Drilling takes a few months.",
        faq=FAQ,
        suggested_amounts=[
            {"amount": 350_00, "impact": "A tenth of a well"},
            {"amount": 50_00, "impact": ""},
            {"amount": 875_00, "impact": "A quarter of a well"},
        ],
        translations={
            "tr": {
                "title": "Su kuyuları",
                "unit_label": "su kuyusu",
                "next_steps": "Kuyu açmak birkaç ay sürer.",
                "faq": [
                    {"question": "Tabelaya hangi isim yazılır?", "answer": "Formda yazdığınız."},
                    {"question": "Kuyunun bir kısmına bağış olur mu?", "answer": "Evet."},
                ],
                # By place among the amounts, smallest first: 50, 350, 875.
                "impact_2": "Bir kuyunun onda biri",
                "impact_3": "Bir kuyunun dörtte biri",
            },
            "ar": {
                "title": "آبار المياه",
                "faq": [{"question": "ما الاسم الذي يُكتب على اللوحة؟", "answer": "الذي تكتبه."}],
                "impact_2": "عُشر بئر",
            },
        },
    )
    make_option(campaign, "A complete water well", **PLATE, unit_price=3500_00)
    return campaign


def test_missing_counts_the_faq_and_the_impact_lines(plated):
    assert plated.missing("tr") == []
    assert plated.missing("ar") == ["unit_label", "next_steps", "impact_3"]
    assert plated.options[0].missing("ar") == ["on_behalf_label"]
    # A FAQ nobody translated is missing as a whole.
    plated.translations = {"ar": {"title": "آبار المياه"}}
    assert "faq" in plated.missing("ar")


def test_the_faq_shows_the_readers_language_falling_back_per_pair(client, plated):
    turkish = page(client, "/campaigns/plated-wells", "tr").find("section", "campaign-faq")
    arabic = page(client, "/campaigns/plated-wells", "ar").find("section", "campaign-faq")

    assert [s.text for s in turkish.find_all("summary")] == [
        "Tabelaya hangi isim yazılır?",
        "Kuyunun bir kısmına bağış olur mu?",
    ]
    assert not [d for d in turkish.find_all("details") if "lang" in d.attrs]
    first, second = arabic.find_all("details")
    assert (first.find("summary").text, first.find("p").text) == (
        "ما الاسم الذي يُكتب على اللوحة؟",
        "الذي تكتبه.",
    )
    assert "lang" not in first.attrs
    # The second pair is not written in Arabic: the English one, marked as English.
    assert second.find("summary").text == "Can I give part of a well?"
    assert (second.attrs["lang"], second.attrs["dir"]) == ("en", "ltr")


def test_the_suggested_amounts_say_what_they_do_in_the_readers_language(client, plated):
    def impacts(lang: str) -> list:
        form = page(client, "/campaigns/plated-wells", lang)
        return [li.find_all("span", "preset-impact") for li in form.find_all("li", "preset")]

    empty, [tenth], [quarter] = impacts("tr")
    assert empty == []
    assert (tenth.text, quarter.text) == ("Bir kuyunun onda biri", "Bir kuyunun dörtte biri")
    assert "lang" not in tenth.attrs
    _empty, [tenth], [quarter] = impacts("ar")
    assert tenth.text == "عُشر بئر" and "lang" not in tenth.attrs
    assert quarter.text == "A quarter of a well"
    assert (quarter.attrs["lang"], quarter.attrs["dir"]) == ("en", "ltr")


def test_the_thank_you_page_and_e_mail_speak_the_donors_language(client, plated, settings):
    well = plated.options[0]
    isolated(client.get, "/campaigns/plated-wells", query_string={"lang": "tr"})
    _page, gift = pay(client, "plated-wells", option=str(well.id), on_behalf="Kemal Karaca")
    thanks = page(client, f"/donations/{gift.token}/thanks", "tr")

    assert gift.locale == "tr"
    assert thanks.find("section", "thanks-next").find("p").text == "Kuyu açmak birkaç ay sürer."
    assert "Kuyu tabelasındaki isim: Kemal Karaca" in thanks.text
    assert "1 × Bir su kuyusunun tamamı" in thanks.find("p", "thanks-does").text
    mail = thanks_mail(settings, gift)
    assert "Kuyu açmak birkaç ay sürer." in mail.body_text
    assert "Kuyu tabelasındaki isim: Kemal Karaca" in mail.body_text
    assert "Bir su kuyusunun tamamı" in mail.body_text
    for english in ("Drilling takes", "Name on the well's plate", "A complete water well"):
        assert english not in mail.body_text


def test_an_arabic_thank_you_marks_the_english_fallbacks(client, plated):
    well = plated.options[0]
    _page, gift = pay(client, "plated-wells", option=str(well.id), on_behalf="كمال")
    thanks = page(client, f"/donations/{gift.token}/thanks", "ar")

    steps = thanks.find("section", "thanks-next").find("p")
    assert (steps.text, steps.attrs["lang"], steps.attrs["dir"]) == (
        "Drilling takes a few months.",
        "en",
        "ltr",
    )
    [names] = [s for s in thanks.find_all("span") if s.text == "Name on the well's plate"]
    assert (names.attrs["lang"], names.attrs["dir"]) == ("en", "ltr")
