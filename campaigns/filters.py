"""Jinja filters and globals for money, numbers and dates in the reader's locale."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask, current_app
from flask_babel import (
    format_decimal,
    format_percent,
    format_timedelta,
    get_locale,
    gettext,
    to_user_timezone,
)
from markupsafe import Markup

from campaigns import bidi
from campaigns.bidi import text_direction
from campaigns.hijri import hijri_date
from campaigns.markdown import render_markdown
from campaigns.money import format_money, format_plain
from campaigns.services.giving.donations import accepts_gifts
from campaigns.services.giving.monthly import add_month
from campaigns.statements.codes import printed


def money(minor: int, currency: str, whole: bool = False) -> str:
    return format_money(minor, currency, str(get_locale() or "en"), whole=whole)


def percent(whole_percent: int) -> str:
    """112 as "112%" in the reader's locale ("%112" in Turkish); exact, no float."""
    return format_percent(Decimal(whole_percent).scaleb(-2))


def hijri(day: date) -> str | None:
    """``day`` in the Hijri calendar in the reader's language (see campaigns.hijri)."""
    return hijri_date(day, str(get_locale() or "en"))


def hijri_bdi(day: date) -> Markup | None:
    """The Hijri date as one unit: isolated (``bdi``) and never broken across lines, so
    Arabic's closing "هـ" stays with its year beside a Gregorian date."""
    text = hijri(day)
    return None if text is None else bdi(text, cls="hijri")


def bdi(value: object, cls: str | None = None) -> Markup:
    """``value`` isolated from the text around it, in its own direction: a Latin name or
    a number keeps its order inside an Arabic sentence and the other way round. The
    direction is written out because WeasyPrint, unlike browsers, has no dir=auto."""
    text = str(value)
    if cls:
        return Markup('<bdi class="{}" dir="{}">{}</bdi>').format(cls, text_direction(text), value)
    return Markup('<bdi dir="{}">{}</bdi>').format(text_direction(text), value)


def isolate(value: object) -> str:
    """``value`` between Unicode isolates on a right-to-left page (``bidi.isolate``), for
    text where HTML's ``<bdi>`` cannot go: plain-text e-mail, SVG labels."""
    return bidi.isolate(value, get_locale())


def plain_amount(minor: int, code: str) -> str:
    """An amount as a donor in the page's language would type it ("1.000" in tr)."""
    return format_plain(minor, code, str(get_locale() or "en"))


def ago(moment: datetime | str, now: datetime | None = None) -> str:
    """How long ago ``moment`` was, in the page's language ("2 hours ago", "قبل ساعتين");
    under a minute is "just now". Cached pages are kept per step of this wording
    (public.page_cache.time_step), so the words stay true while a page is served."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    delta = moment - (now or datetime.now(UTC))
    if delta.total_seconds() > -60:
        return gettext("just now")
    return format_timedelta(delta, add_direction=True, threshold=1)


def next_instalment(paid_at: datetime) -> date:
    """When a monthly gift paid at ``paid_at`` is next collected: the same day of the next
    month in the site's time zone, or that month's last day (31 January -> 28 February),
    as the provider bills a subscription."""
    return add_month(to_user_timezone(paid_at)).date()


def local_today() -> date:
    """Today in the site's time zone: a campaign ends at midnight there, not in UTC."""
    return to_user_timezone(datetime.now(UTC)).date()


def page_globals() -> dict:
    """What base.html needs on every page, error pages included (no database access)."""
    locale = get_locale()
    return {
        "current_locale": str(locale or "en").replace("_", "-"),
        "text_direction": "rtl" if locale and bidi.is_rtl(locale) else "ltr",
        "charity_name": current_app.config["CHARITY_NAME"],
        "charity_registration": current_app.config["CHARITY_REGISTRATION"],
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
    app.jinja_env.filters["hijri"] = hijri_bdi
    app.jinja_env.filters["bdi"] = bdi
    app.jinja_env.filters["isolate"] = isolate
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["plain_amount"] = plain_amount
    app.jinja_env.filters["next_instalment"] = next_instalment
    app.jinja_env.filters["direction"] = text_direction
    app.jinja_env.filters["transfer_code"] = printed  # a pledge's code: 7QKD-M4X9
    app.context_processor(page_globals)
    app.jinja_env.tests["taking_gifts"] = takes_gifts
