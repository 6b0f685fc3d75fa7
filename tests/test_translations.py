"""The Turkish and Arabic catalogs: complete, never fuzzy, placeholders intact, plural
rules right, compilable; and the pages a donor opens really speak the language."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import Campaign
from campaigns.models.campaign import CampaignStatus

CATALOGS = Path(__file__).resolve().parent.parent / "campaigns" / "translations"
LANGUAGES = ("tr", "ar")
PLURAL_FORMS = {
    "tr": (2, "(n != 1)"),
    "ar": (
        6,
        "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5)",
    ),
}
# Arabic says "one day" and "two days" with a word alone (يوم واحد، يومان) and "no donors
# yet" for zero: those forms may leave the number out, never add a placeholder.
NUMBER_IN_WORDS_FORMS = {"tr": (), "ar": (0, 1, 2)}
# Python %-format placeholders: %(name)s, %(n)d, %s, %d ... (and the escape %%).
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def load(language: str) -> Catalog:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def messages(catalog: Catalog):
    return [m for m in catalog if m.id]


def forms(message) -> tuple[str, ...]:
    return tuple(message.string) if message.pluralizable else (message.string,)


def placeholders(text: str) -> set[str]:
    return {p for p in PLACEHOLDER.findall(text) if p != "%%"}


def show(message) -> str:
    return repr(message.id[0] if message.pluralizable else message.id)


@pytest.fixture(scope="module", params=LANGUAGES)
def catalog(request) -> Catalog:
    return load(request.param)


def test_catalogs_hold_every_message_of_the_template():
    with (CATALOGS / "messages.pot").open("rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    for language in LANGUAGES:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in messages(load(language))}
        assert template - ids == set(), f"{language}: run `make messages`"


def test_every_message_is_translated_and_none_is_fuzzy(catalog):
    untranslated = [show(m) for m in messages(catalog) if not all(s.strip() for s in forms(m))]
    fuzzy = [show(m) for m in messages(catalog) if m.fuzzy]
    assert untranslated == [], f"{catalog.locale}: untranslated {untranslated}"
    assert fuzzy == [], f"{catalog.locale}: fuzzy {fuzzy}"
    assert not catalog.fuzzy, f"{catalog.locale}: the catalog header is marked fuzzy"


def test_plural_forms_header(catalog):
    assert (catalog.num_plurals, catalog.plural_expr) == PLURAL_FORMS[str(catalog.locale)]
    plural = [m for m in messages(catalog) if m.pluralizable]
    assert plural, "the templates use ngettext; the catalog must have plural messages"
    for message in plural:
        assert len(message.string) == catalog.num_plurals, show(message)


def test_placeholders_match_the_english(catalog):
    language = str(catalog.locale)
    wrong = []
    for message in messages(catalog):
        ids = message.id if message.pluralizable else (message.id,)
        expected = set().union(*(placeholders(i) for i in ids))
        for index, text in enumerate(forms(message)):
            found = placeholders(text)
            if message.pluralizable and index in NUMBER_IN_WORDS_FORMS[language]:
                ok = found <= expected
            else:
                ok = found == expected
            if not ok:
                wrong.append((show(message), index, sorted(found), sorted(expected)))
    assert wrong == [], f"{language}: placeholders differ {wrong}"


def test_no_stray_percent_sign(catalog):
    """Jinja formats every translated string with %, so a lone % (say "%50") would crash
    the page; percentages come from Babel, never from the catalog."""
    stray = [
        show(m) for m in messages(catalog) for text in forms(m) if "%" in PLACEHOLDER.sub("", text)
    ]
    assert stray == []


def test_catalogs_pass_babels_checks_and_compile(catalog):
    problems = [(show(m), [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    translations = Translations(compiled)
    assert translations.gettext("Campaigns") != "Campaigns"


@pytest.mark.parametrize(
    ("language", "n", "expected"),
    [
        ("tr", 1, "1 gün kaldı"),
        ("tr", 3, "3 gün kaldı"),
        ("ar", 1, "بقي يوم واحد"),
        ("ar", 2, "بقي يومان"),
        ("ar", 3, "بقي 3 أيام"),
        ("ar", 11, "بقي 11 يومًا"),
        ("ar", 99, "بقي 99 يومًا"),
        ("ar", 100, "بقي 100 يوم"),
        ("ar", 103, "بقي 103 أيام"),
    ],
)
def test_plural_rule_picks_the_right_form(language, n, expected):
    compiled = BytesIO()
    write_mo(compiled, load(language))
    compiled.seek(0)
    text = Translations(compiled).ngettext("%(count)s day left", "%(count)s days left", n)
    assert text % {"count": n} == expected


def test_home_page_in_turkish(client):
    page = client.get("/?lang=tr").get_data(as_text=True)
    assert '<html lang="tr" dir="ltr">' in page
    assert "Kampanyalarımız" in page
    assert ">Kampanyalar<" in page
    assert "Faaliyet raporları" in page


def test_home_page_in_arabic_reads_right_to_left(client):
    page = client.get("/?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "حملاتنا" in page
    assert ">الحملات<" in page
    assert "تبرعاتك وإيصالاتك" in page


def test_campaign_page_speaks_each_language(app, client):
    # Built in its own app context: Flask-Babel caches the locale in `g`, so a context
    # held open across requests (the app_ctx fixture) would answer every one of them in
    # the first request's language.
    with app.app_context():
        db.session.add(
            Campaign(
                slug="winter-aid",
                title="Winter aid",
                currency="TRY",
                goal_amount=1_000_000_00,
                status=CampaignStatus.ACTIVE,
                designations="general,sadaqah,zakat",
                # 30 days ahead: 29 to 31 in any time zone, all in Arabic's 11-99 form.
                ends_on=local_today() + timedelta(days=30),
            )
        )
        db.session.commit()
    arabic = client.get("/campaigns/winter-aid?lang=ar").get_data(as_text=True)
    turkish = client.get("/campaigns/winter-aid?lang=tr").get_data(as_text=True)
    english = client.get("/campaigns/winter-aid?lang=en").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic
    assert re.search(r"بقي \d\d يومًا", arabic)
    assert ">تبرّع</a>" in arabic
    assert ">زكاة</label>" in arabic
    assert re.search(r"\d\d gün kaldı", turkish)
    assert ">Bağış yap</a>" in turkish
    assert ">Zekât</label>" in turkish
    assert re.search(r"\d\d days left", english)
    assert ">Zakat</label>" in english
