"""Amounts and dates as banks write them: "1.250,50" and "1,250.50", "30.11.2026" and
"2026-11-30"."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from campaigns.money import CURRENCIES

_THOUSANDS_DOTS = re.compile(r"\d{1,3}(\.\d{3})+")
DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%y")


def decimal_of(text: str) -> Decimal:
    """A signed amount; ValueError with the reason when it is none. The decimal mark is
    the last of "." and "," when both appear; a lone "," is Turkish ("250,50"); a lone
    "." is a decimal point unless it groups thousands ("1.250")."""
    raw = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    sign = ""
    if raw.startswith(("-", "+")):
        sign, raw = raw[0], raw[1:]
    if raw.endswith("-"):  # "1.250,50-": some banks put the sign last
        sign, raw = "-", raw[:-1]
    if not re.fullmatch(r"[0-9.,]+", raw or "x"):
        raise ValueError(_("%(text)s is not an amount", text=repr(text)))
    if "," in raw and "." in raw:
        mark = "," if raw.rfind(",") > raw.rfind(".") else "."
        raw = raw.replace("." if mark == "," else ",", "").replace(mark, ".")
    elif "," in raw:
        # "1,250,000" groups thousands; a single "," is a decimal mark ("250,50").
        raw = raw.replace(",", "") if raw.count(",") > 1 else raw.replace(",", ".")
    elif _THOUSANDS_DOTS.fullmatch(raw):
        raw = raw.replace(".", "")
    try:
        value = Decimal(sign + raw)
    except InvalidOperation as error:
        raise ValueError(_("%(text)s is not an amount", text=repr(text))) from error
    if not value.is_finite() or abs(value) >= Decimal(10) ** 12:
        raise ValueError(_("%(text)s is not an amount", text=repr(text)))
    return value


def minor_units(value: Decimal, code: str) -> int:
    """``value`` in ``code``'s minor units; ValueError for an unknown currency or more
    decimals than it has."""
    if code not in CURRENCIES:
        raise ValueError(_("unknown currency %(code)s", code=repr(code)))
    minor = value.scaleb(CURRENCIES[code].exponent)
    if minor != minor.to_integral_value():
        raise ValueError(
            _("%(amount)s has too many decimals for %(code)s", amount=value, code=code)
        )
    return int(minor)


def date_of(text: str) -> date:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip()[:10], pattern).date()
        except ValueError:
            continue
    raise ValueError(_("%(text)s is not a date", text=repr(text)))
