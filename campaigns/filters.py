"""Jinja filters and globals for money, numbers and dates in the reader's locale."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask, current_app
from flask_babel import format_decimal, format_percent, get_locale, to_user_timezone
from hijridate import Gregorian
from markupsafe import Markup

from campaigns.markdown import render_markdown
from campaigns.money import format_money
from campaigns.services.giving.donations import accepts_gifts
from campaigns.statements.codes import printed


def money(minor: int, currency: str, whole: bool = False) -> str:
    return format_money(minor, currency, str(get_locale() or "en"), whole=whole)


def percent(whole_percent: int) -> str:
    """112 as "112%" in the reader's locale ("%112" in Turkish); exact, no float."""
    return format_percent(Decimal(whole_percent).scaleb(-2))


# The Hijri (Umm al-Qura) months as each language writes them; Babel's CLDR data has an
# Islamic calendar only for some locales, so the site keeps its own three lists.
HIJRI_MONTHS = {
    "en": (
        "Muharram", "Safar", "Rabi’ al-Awwal", "Rabi’ al-Thani", "Jumada al-Ula",
        "Jumada al-Akhirah", "Rajab", "Sha’ban", "Ramadan", "Shawwal", "Dhu al-Qa’dah",
        "Dhu al-Hijjah",
    ),
    "tr": (
        "Muharrem", "Safer", "Rebiülevvel", "Rebiülahir", "Cemaziyelevvel", "Cemaziyelahir",
        "Recep", "Şaban", "Ramazan", "Şevval", "Zilkade", "Zilhicce",
    ),
    "ar": (
        "محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة", "رجب",
        "شعبان", "رمضان", "شوال", "ذو القعدة", "ذو الحجة",
    ),
}  # fmt: skip
# Arabic marks the year with هـ (hijri); English and Turkish readers know it from the month.
HIJRI_FORMATS = {
    "en": "{day} {month} {year}",
    "tr": "{day} {month} {year}",
    "ar": "{day} {month} {year} هـ",
}


def hijri(day: date) -> str | None:
    """``day`` in the Hijri calendar in the reader's language ("10 Dhu al-Hijjah 1447"),
    or None outside the Umm al-Qura tables (1343-1500 AH, about 1924-2077)."""
    try:
        h = Gregorian.fromdate(day).to_hijri()
    except OverflowError:
        return None
    locale = get_locale()
    language = locale.language if locale and locale.language in HIJRI_MONTHS else "en"
    return HIJRI_FORMATS[language].format(
        day=h.day, month=HIJRI_MONTHS[language][h.month - 1], year=h.year
    )


def text_direction(text: str) -> str:
    """ "rtl" or "ltr" by the first letter with a direction (HTML's dir=auto rule), for
    text whose language we do not know: a donor's name, a campaign title, an address."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "ltr"


def bdi(value: object) -> Markup:
    """``value`` isolated from the text around it, in its own direction: a Latin name or
    a number keeps its order inside an Arabic sentence and the other way round. The
    direction is written out because WeasyPrint, unlike browsers, has no dir=auto."""
    text = str(value)
    return Markup('<bdi dir="{}">{}</bdi>').format(text_direction(text), value)


def local_today() -> date:
    """Today in the site's time zone: a campaign ends at midnight there, not in UTC."""
    return to_user_timezone(datetime.now(UTC)).date()


def page_globals() -> dict:
    """What base.html needs on every page, error pages included (no database access)."""
    locale = get_locale()
    return {
        "current_locale": str(locale or "en").replace("_", "-"),
        "text_direction": "rtl" if locale and locale.character_order == "right-to-left" else "ltr",
        "charity_name": current_app.config["CHARITY_NAME"],
        "today": local_today(),
    }


def takes_gifts(campaign) -> bool:
    """Whether the campaign's page should invite gifts today (the donate view decides)."""
    return accepts_gifts(campaign, local_today())


def register(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["hijri"] = hijri
    app.jinja_env.filters["bdi"] = bdi
    app.jinja_env.filters["transfer_code"] = printed  # a pledge's code: 7QKD-M4X9
    app.context_processor(page_globals)
    app.jinja_env.tests["taking_gifts"] = takes_gifts
