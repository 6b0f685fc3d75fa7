"""Jinja filters and globals for money, numbers and dates in the reader's locale."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask, current_app
from flask_babel import format_decimal, format_percent, get_locale, to_user_timezone

from campaigns.markdown import render_markdown
from campaigns.money import format_money


def money(minor: int, currency: str, whole: bool = False) -> str:
    return format_money(minor, currency, str(get_locale() or "en"), whole=whole)


def percent(whole_percent: int) -> str:
    """112 as "112%" in the reader's locale ("%112" in Turkish); exact, no float."""
    return format_percent(Decimal(whole_percent).scaleb(-2))


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


def register(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["markdown"] = render_markdown
    app.context_processor(page_globals)
