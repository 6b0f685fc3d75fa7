"""Staff write the other languages on the same edit pages: campaigns, options, reports with
their figures and photos; bad text is refused as in the source fields; each language says
what it lacks; the campaign list shows complete languages and finds any language's title."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import ActivityReport, AuditEntry, Campaign, DonationOption
from tests.markup import field_errors, parse
from tests.staff_forms import CAMPAIGN_FORM

REPORT = {
    "title": "Tents delivered",
    "slug": "tents-delivered",
    "happened_on": "2026-02-10",
    "place": "Hatay",
    "summary": "Winter tents for 300 families.",
    "body": "We delivered **tents**.",
    "action": "save",
}


def fresh(model, **where):
    db.session.expire_all()
    return db.session.scalars(select(model).filter_by(**where)).one()


def test_an_editor_writes_a_campaign_in_three_languages_on_one_page(client, staff_login, app_ctx):
    editor = staff_login(client, "editor")

    response = editor.post(
        "/staff/campaigns/new",
        CAMPAIGN_FORM
        | {
            "tr-title": "Kışlık çadırlar",
            "tr-summary": "Ailelere çadır.\r\nİkinci satır.",
            "ar-title": "خيام الشتاء",
            "ar-unit_label": "",
        },
    )

    assert response.status_code == 303
    campaign = fresh(Campaign, slug="winter-tents")
    assert campaign.title == "Winter tents"
    assert campaign.translations == {
        "tr": {"title": "Kışlık çadırlar", "summary": "Ailelere çadır.\nİkinci satır."},
        "ar": {"title": "خيام الشتاء"},
    }
    audit = db.session.scalars(select(AuditEntry).filter_by(entity_type="campaign")).one()
    assert audit.after["translations"]["ar"] == {"title": "خيام الشتاء"}


def test_the_edit_page_has_a_section_per_language_saying_what_is_missing(
    client, staff_login, make_campaign
):
    campaign = make_campaign(
        "tents", unit_label="tents", translations={"tr": {"title": "Çadırlar"}}
    )
    editor = staff_login(client, "editor")

    html = parse(editor.get(f"/staff/campaigns/{campaign.id}", query_string={"lang": "en"}).data)

    sections = {s.attrs["id"]: s for s in html.find_all("fieldset", "translation")}
    assert set(sections) == {"language-tr", "language-ar"}
    tr, ar = sections["language-tr"], sections["language-ar"]
    assert tr.find("p", "translation-status").text == "Missing: Summary, Story, Unit name"
    assert ar.find("p", "translation-status").text == ("Missing: Title, Summary, Story, Unit name")
    title = next(e for e in tr.find_all("input") if e.attrs.get("name") == "tr-title")
    assert (title.attrs["value"], title.attrs["lang"]) == ("Çadırlar", "tr")
    arabic = next(e for e in ar.find_all("input") if e.attrs.get("name") == "ar-title")
    assert (arabic.attrs["lang"], arabic.attrs["dir"]) == ("ar", "rtl")
    # The source text is typed in the charity's language, whatever the staff member reads.
    source = next(e for e in html.find_all("textarea") if e.attrs.get("name") == "story")
    assert (source.attrs["lang"], source.attrs["dir"]) == ("en", "ltr")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tr-title", "Çadır\x00lar", "one line"),
        ("ar-title", "خيام\nالشتاء", "one line"),
        ("tr-title", "x" * 201, "shorten"),
        ("ar-story", "bad \x07 bell", "control characters"),
    ],
)
def test_bad_text_in_another_language_is_refused_and_nothing_changes(
    client, staff_login, make_campaign, field, value, message
):
    campaign = make_campaign("winter-tents", title="Winter tents")
    editor = staff_login(client, "editor")

    response = editor.post(f"/staff/campaigns/{campaign.id}", CAMPAIGN_FORM | {field: value})

    assert response.status_code == 422
    errors = field_errors(response)
    assert message in errors[field]
    assert fresh(Campaign, slug="winter-tents").translations == {}


def test_the_option_page_takes_its_label_in_each_language(client, staff_login, make_campaign):
    campaign = make_campaign("qurban", currency="TRY")
    editor = staff_login(client, "editor")

    response = editor.post(
        f"/staff/campaigns/{campaign.id}/options/new",
        {
            "label": "One sheep",
            "price": "8,500",
            "units": "1",
            "position": "0",
            "active": "y",
            "tr-label": "Bir koyun",
            "ar-label": "شاة",
            "ar-description": "أضحية كاملة",
        },
    )

    assert response.status_code == 303
    option = fresh(DonationOption, label="One sheep")
    assert option.translations == {
        "tr": {"label": "Bir koyun"},
        "ar": {"label": "شاة", "description": "أضحية كاملة"},
    }
    page = parse(editor.get(f"/staff/campaigns/{campaign.id}/options/{option.id}").data)
    status = {
        s.attrs["id"]: s.find("p", "translation-status").text
        for s in page.find_all("fieldset", "translation")
    }
    assert status == {"language-tr": "Complete", "language-ar": "Complete"}


def test_the_list_shows_complete_languages_and_finds_any_languages_title(
    client, staff_login, make_campaign, make_option
):
    done = make_campaign(
        "qurban",
        title="Qurban",
        summary="",
        story="",
        translations={"tr": {"title": "Kurban Bayramı hisseleri"}, "ar": {"title": "الأضاحي"}},
    )
    make_option(done, "One sheep", translations={"tr": {"label": "Bir koyun"}})
    make_campaign("wells", title="Water wells", summary="", story="")
    viewer = staff_login(client, "viewer")

    listed = parse(viewer.get("/staff/campaigns", query_string={"lang": "en"}).data)
    row = next(r for r in listed.find_all("tr") if r.attrs.get("id") == f"campaign-{done.id}")
    # (The test's parser joins an element's pieces with spaces: "Türkçe : complete".)
    assert [li.text.replace(" :", ":") for li in row.find_all("li")] == [
        "Türkçe: complete",
        "العربية: incomplete",  # the option has no Arabic label
    ]

    def found(query: str) -> list[str]:
        page = parse(viewer.get("/staff/campaigns", query_string={"q": query}).data)
        return [r.find("a").text for r in page.find_all("tr") if r.attrs.get("id")]

    assert found("kurban bayram") == ["Qurban"]
    assert found("الأضاحي") == ["Qurban"]
    assert found("water") == ["Water wells"]
    assert found("100%_") == []
    assert found("\x00") == ["Qurban", "Water wells"]  # refused text: no filter


def test_a_report_its_figures_and_photos_are_written_in_each_language(
    client, staff_login, make_report
):
    report = make_report(
        "tents",
        figures=[("Tents", 300)],
        images=[("aaaa.jpg", "A row of tents")],
        published=False,
    )
    [image] = report.images
    editor = staff_login(client, "editor")

    response = editor.post(
        f"/staff/reports/{report.id}",
        REPORT
        | {
            "slug": "tents",
            "figure_label": ["Tents", "Blankets"],
            "figure_value": ["320", "1000"],
            f"image_alt_{image.id}": "A row of tents",
            "tr-title": "Çadırlar teslim edildi",
            "ar-place": "هاتاي",
            "tr-figure_label-0": "Çadır",
            "ar-figure_label-1": "بطانيات",
            f"tr-image_alt_{image.id}": "Bir sıra çadır",
        },
    )

    assert response.status_code == 303
    report = fresh(ActivityReport, slug="tents")
    assert report.translations == {
        "tr": {"title": "Çadırlar teslim edildi"},
        "ar": {"place": "هاتاي"},
    }
    assert [f.translations for f in report.figures] == [
        {"tr": {"label": "Çadır"}},
        {"ar": {"label": "بطانيات"}},
    ]
    assert report.images[0].translations == {"tr": {"alt": "Bir sıra çadır"}}

    page = parse(editor.get(f"/staff/reports/{report.id}", query_string={"lang": "en"}).data)
    status = {
        s.attrs["id"]: s.find("p", "translation-status").text
        for s in page.find_all("fieldset", "translation")
    }
    assert status["language-tr"] == "Missing: Place, Summary, Report, Figure 2: label"
    assert status["language-ar"] == (
        "Missing: Title, Summary, Report, Figure 1: label, Photo 1: description"
    )


def test_a_bad_figure_label_translation_is_refused(client, staff_login, make_report):
    report = make_report("tents", figures=[("Tents", 300)], published=False)
    editor = staff_login(client, "editor")

    response = editor.post(
        f"/staff/reports/{report.id}",
        REPORT
        | {
            "slug": "tents",
            "figure_label": ["Tents"],
            "figure_value": ["300"],
            "tr-figure_label-0": "Ça\x1bdır",
        },
    )

    assert response.status_code == 422
    turkish = parse(response.data).find_all("fieldset", "translation")[0]
    assert "one line" in turkish.text
    assert fresh(ActivityReport, slug="tents").figures[0].translations == {}


def test_the_faq_and_the_impact_lines_are_written_in_each_language(
    client, staff_login, make_campaign
):
    editor = staff_login(client, "editor")
    typed = CAMPAIGN_FORM | {
        "next_steps": "Tents go up within a week.",
        "faq": "Who gets a tent?\nFamilies still without a home.\n\nHow warm?\nRated to -10 °C.",
        # Typed out of order: the larger amount first, each with its line.
        "suggested_1": "5,000",
        "impact_1": "A tent",
        "suggested_2": "500",
        "impact_2": "A blanket",
        "tr-next_steps": "Çadırlar bir hafta içinde kurulur.",
        "tr-faq": "Çadırı kim alır?\nHâlâ evsiz olan aileler.",
        "tr-impact_1": "Bir çadır",
        "tr-impact_2": "Bir battaniye",
        "ar-impact_1": "خيمة",
    }

    assert editor.post("/staff/campaigns/new", typed).status_code == 303

    campaign = fresh(Campaign, slug="winter-tents")
    assert campaign.suggested_amounts == [
        {"amount": 500_00, "impact": "A blanket"},
        {"amount": 5000_00, "impact": "A tent"},
    ]
    # Each language's line follows its amount to its place, smallest first.
    assert campaign.translations == {
        "tr": {
            "next_steps": "Çadırlar bir hafta içinde kurulur.",
            "faq": [{"question": "Çadırı kim alır?", "answer": "Hâlâ evsiz olan aileler."}],
            "impact_1": "Bir battaniye",
            "impact_2": "Bir çadır",
        },
        "ar": {"impact_2": "خيمة"},
    }

    page = parse(editor.get(f"/staff/campaigns/{campaign.id}", query_string={"lang": "en"}).data)
    sections = {s.attrs["id"]: s for s in page.find_all("fieldset", "translation")}
    assert sections["language-tr"].find("p", "translation-status").text == (
        "Missing: Title, Summary, Story"
    )
    assert sections["language-ar"].find("p", "translation-status").text == (
        "Missing: Title, Summary, Story, What happens next, Questions and answers, "
        "What amount 1 does"
    )
    [faq] = [t for t in sections["language-tr"].find_all("textarea") if t.attrs["name"] == "tr-faq"]
    assert faq.text == "Çadırı kim alır? Hâlâ evsiz olan aileler."
    assert faq.attrs["lang"] == "tr"
    impact = next(e for e in page.find_all("input") if e.attrs.get("name") == "tr-impact_1")
    assert impact.attrs["value"] == "Bir battaniye"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tr-faq", "Çadırı kim alır?", "answer below"),
        ("ar-faq", "سؤال\x07\nجواب", "control characters"),
        ("tr-impact_1", "x" * 121, "shorten"),
        ("ar-impact_2", "خيمة\nكبيرة", "one line"),
    ],
)
def test_a_bad_faq_or_impact_line_in_another_language_is_refused(
    client, staff_login, make_campaign, field, value, message
):
    campaign = make_campaign("winter-tents", title="Winter tents")
    editor = staff_login(client, "editor")
    typed = CAMPAIGN_FORM | {"suggested_1": "500", "suggested_2": "900", field: value}

    response = editor.post(f"/staff/campaigns/{campaign.id}", typed)

    assert response.status_code == 422
    assert message in field_errors(response)[field]
    assert fresh(Campaign, slug="winter-tents").translations == {}


def test_an_impact_line_without_its_amount_is_not_kept(client, staff_login, make_campaign):
    campaign = make_campaign("winter-tents", title="Winter tents")
    editor = staff_login(client, "editor")

    response = editor.post(
        f"/staff/campaigns/{campaign.id}",
        CAMPAIGN_FORM | {"suggested_1": "500", "tr-impact_1": "Bir battaniye", "tr-impact_3": "?"},
    )

    assert response.status_code == 303
    assert fresh(Campaign, slug="winter-tents").translations == {
        "tr": {"impact_1": "Bir battaniye"}
    }


def test_the_name_an_option_asks_for_is_written_in_each_language(
    client, staff_login, make_campaign, make_option
):
    campaign = make_campaign("wells", currency="USD")
    well = make_option(campaign, "A complete water well", unit_price=3500_00)
    editor = staff_login(client, "editor")

    response = editor.post(
        f"/staff/campaigns/{campaign.id}/options/{well.id}",
        {
            "label": "A complete water well",
            "price": "3,500",
            "units": "1",
            "position": "0",
            "active": "y",
            "needs_on_behalf": "y",
            "on_behalf_label": "Name on the well's plate",
            "tr-on_behalf_label": "Kuyu tabelasındaki isim",
            "ar-label": "بئر مياه كاملة",
        },
    )

    assert response.status_code == 303
    option = fresh(DonationOption, id=well.id)
    assert option.translations == {
        "tr": {"on_behalf_label": "Kuyu tabelasındaki isim"},
        "ar": {"label": "بئر مياه كاملة"},
    }
    assert option.missing("tr") == ["label"]
    assert option.missing("ar") == ["on_behalf_label"]
