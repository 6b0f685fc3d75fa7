"""Money: integer amounts in a currency's minor unit, parsed and formatted per locale.

A Decimal appears only while reading what a person typed; everything stored or compared
is an ``int`` of minor units (cents, kuruş; yen have none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale
from babel.numbers import (
    format_currency,
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
)
from flask_babel import gettext as _

from campaigns.bidi import FSI, LRI, PDI, RLI, is_rtl


@dataclass(frozen=True)
class Currency:
    """A currency the charity accepts: ISO 4217 code, exponent and the allowed range."""

    code: str
    exponent: int
    narrow_symbol: str  # CLDR's narrow symbol, for locales that only know the ISO code
    minimum: int  # minor units; at least Stripe's own minimum charge
    maximum: int  # minor units; below Stripe's 8-digit ceiling

    def major(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-self.exponent)

    def minor(self, major: Decimal) -> int:
        return int(major.scaleb(self.exponent))


CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("TRY", 2, "₺", minimum=20_00, maximum=500_000_00),
        Currency("USD", 2, "$", minimum=1_00, maximum=100_000_00),
        Currency("EUR", 2, "€", minimum=1_00, maximum=100_000_00),
        Currency("GBP", 2, "£", minimum=1_00, maximum=100_000_00),
        Currency("JPY", 0, "¥", minimum=100, maximum=10_000_000),
    )
}


class AmountError(ValueError):
    """What a person typed is not an amount we can take; ``str()`` is the message to show."""


def currency(code: str) -> Currency:
    """The Currency for an ISO code; KeyError-free: unknown codes raise AmountError."""
    try:
        return CURRENCIES[code.upper()]
    except KeyError:
        raise AmountError(_("Unsupported currency: %(code)s", code=code)) from None


def parse_amount(text: str, code: str, locale: str) -> int:
    """Read a gift typed in ``locale`` ("1.250,50" in tr) as minor units of ``code``.

    As ``read_amount``, and refuses zero and amounts outside the currency's gift range.
    """
    minor = read_amount(text, code, locale)
    check_range(minor, code, locale)
    return minor


def read_amount(text: str, code: str, locale: str) -> int:
    """Read an amount typed in ``locale`` as minor units of ``code``, whatever its size
    (a campaign goal, a bank transfer): may be zero; callers bound it.

    Refuses anything but digits with the locale's grouping and decimal marks: no signs,
    exponents, or more decimals than the currency has.
    """
    cur = currency(code)
    cleaned = re.sub(r"\s", "", str(text or ""))
    if not cleaned:
        raise AmountError(_("Please enter an amount."))
    decimal_mark = get_decimal_symbol(locale)
    group_mark = get_group_symbol(locale)
    if group_mark.isspace():
        group_mark = ""  # spaces were already removed above
    # Arabic keyboards type their own separators (U+066B, U+066C) beside Arabic-Indic
    # digits; the digits themselves are read by \d and Decimal, which accept any script's.
    cleaned = cleaned.translate({0x066B: decimal_mark, 0x066C: group_mark})
    head, group, tail = cleaned.partition(group_mark) if group_mark else ("", "", "")
    if group and decimal_mark not in cleaned and group_mark not in tail and 1 <= len(tail) <= 2:
        # One group mark before one or two digits cannot be grouping: "50.5" typed in tr
        # (phones often offer only a dot) means fifty and a half, so read it as decimal.
        cleaned = head + decimal_mark + tail
    whole, _mark, fraction = cleaned.partition(decimal_mark)
    grouped = rf"\d{{1,3}}(?:{re.escape(group_mark)}\d{{3}})+" if group_mark else None
    if not (re.fullmatch(r"\d+", whole) or (grouped and re.fullmatch(grouped, whole))):
        raise AmountError(_("Please enter the amount as a number, for example 50."))
    if fraction and not re.fullmatch(r"\d+", fraction):
        raise AmountError(_("Please enter the amount as a number, for example 50."))
    if decimal_mark in cleaned and not fraction:
        raise AmountError(_("Please enter the amount as a number, for example 50."))
    if len(fraction.rstrip("0")) > cur.exponent:
        raise AmountError(
            _(
                "%(code)s amounts can have at most %(n)d decimal places.",
                code=cur.code,
                n=cur.exponent,
            )
            if cur.exponent
            else _("%(code)s amounts must be whole numbers.", code=cur.code)
        )
    value = Decimal(whole.replace(group_mark, "") if group_mark else whole)
    if fraction:
        value += Decimal("0." + fraction)
    return cur.minor(value)


def check_range(minor: int, code: str, locale: str) -> None:
    """Raise AmountError unless ``minor`` lies within the currency's minimum and maximum."""
    cur = currency(code)
    if minor < cur.minimum:
        raise AmountError(
            _(
                "The smallest gift we can take is %(amount)s.",
                amount=format_money(cur.minimum, code, locale),
            )
        )
    if minor > cur.maximum:
        raise AmountError(
            _(
                "The largest gift we can take online is %(amount)s.",
                amount=format_money(cur.maximum, code, locale),
            )
        )


def format_money(minor: int, code: str, locale: str, *, whole: bool = False) -> str:
    """``minor`` units of ``code`` as the reader expects: "₺1.250,50" in tr, "$1,250.50" in en.

    ``whole`` drops the decimals when there are none ("₺1.250" on a progress card). In a
    right-to-left locale the amount comes as one isolated unit (``isolated_amount``).
    """
    cur = currency(code)
    amount = cur.major(minor)
    reader = Locale.parse(locale)
    if whole and minor % (10**cur.exponent) == 0:
        # The locale's own pattern without its decimals keeps the symbol where the reader
        # expects it ("1.250 €" in de, "₺1.250" in tr).
        pattern = reader.currency_formats["standard"].pattern.replace(".00", "")
        text = format_currency(
            amount, cur.code, locale=reader, format=pattern, currency_digits=False
        )
    else:
        text = format_currency(amount, cur.code, locale=reader)
    symbol = reader.currency_symbols.get(cur.code, cur.code)
    if symbol == cur.code:
        # English knows the lira only as "TRY"; donors read "₺746,500" more easily.
        text = text.replace(cur.code, cur.narrow_symbol)
        symbol = cur.narrow_symbol
    if is_rtl(reader):
        return isolated_amount(text, symbol)
    return text


def isolated_amount(text: str, symbol: str) -> str:
    """A right-to-left locale's amount ("‏42,900 US$" in ar) as one right-to-left unit in
    which the number and the symbol are each isolated: laid out bare, a Latin symbol after
    the number breaks apart ("$US 42,900") and the amount mixes with the words around it.
    The number stays on the side CLDR's pattern puts it (read first, at the right)."""
    head, _symbol, tail = text.replace("\u200f", "").partition(symbol)

    def number(part: str) -> str:
        digits = part.strip(" \xa0")
        return part.replace(digits, LRI + digits + PDI) if digits else part

    return RLI + number(head) + FSI + symbol + PDI + number(tail) + PDI


def format_plain(minor: int, code: str, locale: str) -> str:
    """The number alone, grouped as a person in ``locale`` would type it ("1.250,50")."""
    cur = currency(code)
    return format_decimal(cur.major(minor), format=decimal_pattern(cur.exponent), locale=locale)


def decimal_pattern(places: int) -> str:
    """The number pattern (CLDR's, and a spreadsheet's number format) grouping thousands
    with ``places`` decimals: "#,##0.00"."""
    return "#,##0" + ("." + "0" * places if places else "")


def percent_of(minor: int, basis_points: int) -> int:
    """``basis_points`` hundredths of a percent of ``minor`` (300: 3%), in whole minor units
    rounded half up: 3% of 1 234,50 TRY is 37,035 -> 37,04 TRY; of 1 250 JPY 37,5 -> 38.
    Integer arithmetic only, so the same on every machine and never a float."""
    return (minor * basis_points + 5_000) // 10_000


def share_of(amount: int, part: int, whole: int) -> int:
    """The part of ``amount`` that ``part`` is of ``whole``, rounded down (0 when ``whole``
    is 0): how much of a refund or dispute of ``amount`` is fee cover, when ``part`` of a
    ``whole`` paid was."""
    return amount * part // whole if whole else 0
