"""Trust: About, Contact and the Privacy notice in every language (defaults shipped,
staff's own text per language, sanitised), the footer's registration number and links,
a FAQ per campaign, and the line beside the Give button saying how the payment is made."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry, Campaign, Page
from tests.markup import parse
from tests.payments_fixtures import isolated
from tests.signin_helpers import field_errors
from tests.staff_forms import CAMPAIGN_FORM

LANGUAGES = ("en", "tr", "ar")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("slug", ["about", "contact", "privacy"])
def test_each_trust_page_has_a_default_text_in_each_language(client, slug, lang):
    response = client.get(f"/{slug}?lang={lang}")

    assert response.status_code == 200
    page = parse(response.data)
    assert page.find("html").attrs["lang"] == lang
    assert "00-000-000" in page.find("div", "prose").text  # the charity's registration number


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_privacy_notice_covers_kvkk_gdpr_retention_and_erasure(client, lang):
    text = parse(client.get(f"/privacy?lang={lang}").data).find("div", "prose").text

    for must in ("6698", "KVKK", "GDPR", "Stripe", "donations@example.org"):
        assert must in text, must
    assert {"en": "ten years", "tr": "on yıl", "ar": "عشر سنوات"}[lang] in text
    assert {"en": "erase", "tr": "silin", "ar": "حذف"}[lang] in text


def test_the_footer_shows_the_registration_number_and_links_the_trust_pages(
    client, configure, make_campaign
):
    configure(CHARITY_REGISTRATION="34-123-456")
    make_campaign("food-aid")

    for path in ("/", "/campaigns/food-aid", "/reports", "/privacy"):
        footer = parse(client.get(path).data).find("footer")
        assert "Registered association no. 34-123-456" in footer.text, path
        hrefs = {a.attrs["href"] for a in footer.find_all("a")}
        assert {"/about", "/contact", "/privacy"} <= hrefs, path


def test_staff_write_a_page_in_one_language_and_it_is_sanitised(app, client, staff_login, app_ctx):
    editor = staff_login(app.test_client(), "editor")
    form = editor.get("/staff/pages/privacy/tr")
    assert form.status_code == 200
    assert "6698" in parse(form.data).find("textarea").text  # starts from the default

    saved = editor.post(
        "/staff/pages/privacy/tr",
        {
            "title": "Gizlilik",
            "body": "# Verileriniz\n\n<script>alert(1)</script> [x](javascript:alert(1))",
            "action": "save",
        },
    )

    assert saved.status_code == 303
    html = isolated(client.get, "/privacy?lang=tr").get_data(as_text=True)
    page = parse(html)
    assert page.find("h1").text == "Gizlilik"
    assert page.find("div", "prose").find("h2").text == "Verileriniz"
    assert "<script>alert" not in html
    assert not [a for a in page.find_all("a") if "javascript" in a.attrs.get("href", "")]
    # The other languages keep their own (default) text.
    english = isolated(client.get, "/privacy?lang=en")
    assert "6698" in parse(english.data).find("div", "prose").text
    assert db.session.scalars(select(Page.locale)).all() == ["tr"]
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert [a for a in actions if a.startswith("page.")] == ["page.save"]


def test_an_empty_or_unsafe_page_is_refused_and_changes_nothing(app, staff_login, app_ctx):
    editor = staff_login(app.test_client(), "editor")

    empty = editor.post("/staff/pages/about/ar", {"title": "", "body": " ", "action": "save"})
    control = editor.post(
        "/staff/pages/about/ar", {"title": "A\x00b", "body": "ok", "action": "save"}
    )

    assert empty.status_code == 422 and len(field_errors(empty)) == 2
    assert control.status_code == 422 and field_errors(control)
    assert db.session.scalars(select(Page)).all() == []


def test_unknown_pages_and_languages_are_404_and_viewers_cannot_write(app, staff_login, app_ctx):
    viewer = staff_login(app.test_client(), "viewer")
    editor = staff_login(app.test_client(), "editor")

    assert editor.get("/staff/pages/terms/en").status_code == 404
    assert editor.get("/staff/pages/about/de").status_code == 404
    assert viewer.get("/staff/pages").status_code == 200
    refused = viewer.post("/staff/pages/about/en", {"title": "X", "body": "Y", "action": "save"})
    assert refused.status_code == 403
    assert db.session.scalars(select(Page)).all() == []


def test_staff_write_a_campaigns_faq_shown_on_its_page(app, client, staff_login, app_ctx):
    editor = staff_login(app.test_client(), "editor")
    faq = "When do parcels go out?\nWithin the month.\n\r\n\nIs it zakat?\nIf you choose Zakat."

    saved = editor.post("/staff/campaigns/new", CAMPAIGN_FORM | {"faq": faq, "next_steps": "Soon."})

    assert saved.status_code == 303
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.faq == [
        {"question": "When do parcels go out?", "answer": "Within the month."},
        {"question": "Is it zakat?", "answer": "If you choose Zakat."},
    ]
    assert campaign.next_steps == "Soon."
    page = parse(client.get("/campaigns/winter-tents").data)
    items = page.find("section", "campaign-faq").find_all("details")
    assert [(d.find("summary").text, d.find("p").text) for d in items] == [
        ("When do parcels go out?", "Within the month."),
        ("Is it zakat?", "If you choose Zakat."),
    ]
    # Typed back as it was written.
    form = parse(editor.get(f"/staff/campaigns/{campaign.id}").data)
    [textarea] = [t for t in form.find_all("textarea") if t.attrs["name"] == "faq"]
    assert (
        "".join(textarea.children).strip()
        == "When do parcels go out?\nWithin the month.\n\nIs it zakat?\nIf you choose Zakat."
    )


def test_a_question_without_an_answer_is_refused(app, staff_login, app_ctx):
    editor = staff_login(app.test_client(), "editor")

    refused = editor.post("/staff/campaigns/new", CAMPAIGN_FORM | {"faq": "Only a question?"})

    assert refused.status_code == 422
    assert field_errors(refused) == [
        "Please write an answer below the question “Only a question?”."
    ]
    assert db.session.scalars(select(Campaign)).all() == []


@pytest.mark.parametrize(
    "provider, line",
    [
        ("demo", "Test site: you pay on a demonstration page that asks for no card"),
        ("stripe", "Your card number never touches this site."),
    ],
)
def test_beside_the_give_button_one_line_says_how_payment_is_made(
    app, client, make_campaign, monkeypatch, provider, line
):
    make_campaign("food-aid")
    monkeypatch.setattr(app.extensions["payment_provider"], "name", provider)

    form = parse(client.get("/campaigns/food-aid").data).find("form", "give-form")

    assert line in form.find("p", "give-payment").text


def test_more_than_twenty_questions_are_refused(app, staff_login, app_ctx):
    editor = staff_login(app.test_client(), "editor")
    faq = "\n\n".join(f"Question {n}?\nAnswer {n}." for n in range(21))

    refused = editor.post("/staff/campaigns/new", CAMPAIGN_FORM | {"faq": faq})

    assert refused.status_code == 422
    assert field_errors(refused) == ["At most 20 questions, please."]
    assert db.session.scalars(select(Campaign)).all() == []
