"""Jinja filters and globals for money, numbers and dates in the reader's locale."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_decimal, get_locale

from campaigns.money import format_money


def money(minor: int, currency: str, whole: bool = False) -> str:
    return format_money(minor, currency, str(get_locale() or "en"), whole=whole)


def register(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["number"] = format_decimal
