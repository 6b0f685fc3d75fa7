"""What people type, read by one set of rules for every form, query string and URL.

Text: a single-line value (a name, an e-mail address, a title, a label, a place, a
search) holds no control character at all, CR and LF included; a multi-line value (a
story, a report, a note) keeps tab and line feed only, CR LF and a lone CR becoming LF.
Neither may hold surrogates, Unicode noncharacters or the line and paragraph separators.
PostgreSQL cannot store NUL, a CR or LF breaks the e-mail header a title or name is put
in, and the rest are invisible. What is kept is NFC-normalised, so one name typed on two
keyboards is one string.

Numbers: whole numbers are ASCII digits only (``"²".isdigit()`` is true, ``int("²")``
fails; ``int("١")`` succeeds) and within the bounds of the column they go to. Dates are
written as a date input sends them and lie between 1900 and 2100 (year 1 would overflow
when moved to another time zone, and no gift or campaign is dated outside).

Forms: the ``read_*`` helpers read one posted field by these rules for a service, adding a
message per field to ``errors`` (the service then raises FormInvalid). A field's length
limit is its model column's (``column_length``), so services, forms and templates'
``maxlength`` cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask import Flask, abort, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing.converters import IntegerConverter

from campaigns.money import CURRENCIES, AmountError, read_amount

# Ids and counts are INTEGER columns; a larger number is no such row, never an error.
MAX_ID = 2**31 - 1
FIRST_YEAR, LAST_YEAR = 1900, 2100
YEARS = {"first": FIRST_YEAR, "last": LAST_YEAR}  # for the message naming them
MAX_COUNT = 1_000_000_000
# A story or a report body (TEXT columns, which have no length of their own).
LONG_TEXT = 50_000
# Far above any real goal or transfer; beyond it a typo (an extra digit or three) is likelier.
MONEY_CEILING = 1000
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

_NONCHARACTERS = r"\ufdd0-\ufdef" + "".join(
    rf"\U{plane:04x}fffe\U{plane:04x}ffff" for plane in range(17)
)
_REFUSED_EVERYWHERE = rf"\x7f-\x9f\u2028\u2029\ud800-\udfff{_NONCHARACTERS}"
_UNSAFE_IN_LINE = re.compile(rf"[\x00-\x1f{_REFUSED_EVERYWHERE}]")
_UNSAFE_IN_LINES = re.compile(rf"[\x00-\x08\x0b-\x1f{_REFUSED_EVERYWHERE}]")
_NEWLINES = re.compile(r"\r\n?")
_DIGITS = re.compile(r"[0-9]+")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

ONE_LINE_MESSAGE = _l("Please use one line, without line breaks or control characters.")
LINES_MESSAGE = _l("Please remove the control characters from this text.")


class TextRefused(ValueError):
    """Text holding characters that cannot be stored or sent; ``str()`` is the message."""


def has_unsafe(text: str, *, multiline: bool = False) -> bool:
    """Whether ``text`` holds a character the rules above refuse."""
    return bool((_UNSAFE_IN_LINES if multiline else _UNSAFE_IN_LINE).search(text))


def clean_text(text: str | None, *, multiline: bool = False) -> str:
    """``text`` as it may be stored: line ends as LF (multi-line), NFC-normalised.
    Raises TextRefused, with the message to show, for any refused character."""
    text = text or ""
    if multiline:
        text = _NEWLINES.sub("\n", text)
    if has_unsafe(text, multiline=multiline):
        raise TextRefused(str(LINES_MESSAGE if multiline else ONE_LINE_MESSAGE))
    return unicodedata.normalize("NFC", text)


def check_text(text: str | None, name: str, errors: dict, *, multiline: bool = False) -> str:
    """``clean_text``, its refusal recorded as ``errors[name]`` (the text then returned
    as sent, for nothing is stored while there are errors)."""
    try:
        return clean_text(text, multiline=multiline)
    except TextRefused as refused:
        errors.setdefault(name, str(refused))
        return text or ""


def parse_int(text: str | None, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """``text`` (space around it allowed) as a whole number of ASCII digits from
    ``minimum`` to ``maximum``; None for anything else."""
    text = (text or "").strip()
    if not _DIGITS.fullmatch(text) or len(text.lstrip("0")) > len(str(maximum)):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def parse_day(text: str | None) -> date | None:
    """A date as a date input sends it (2026-03-01), or None. Check its year with
    ``day_in_range`` before use."""
    text = (text or "").strip()
    if not _ISO_DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def day_in_range(day: date) -> bool:
    """Whether ``day`` lies in the years the site takes (FIRST_YEAR to LAST_YEAR)."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


def column_length(column) -> int:
    """The length of a string column (``Campaign.title``): the one limit of the field that
    fills it, in services, forms and templates alike."""
    return column.type.length


# -- reading one posted field for a service ------------------------------------------------


def read_text(
    text: str,
    name: str,
    limit: int,
    errors: dict,
    *,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """``text`` with surrounding space removed, read by the rules above (one line unless
    ``multiline``); an error when refused, missing or too long."""
    value = check_text(text, name, errors, multiline=multiline).strip()
    if name in errors:
        return value
    if required and not value:
        errors[name] = _("Please fill this in.")
    elif len(value) > limit:
        errors[name] = _("Please shorten this to %(n)d characters.", n=limit)
    return value


def read_slug(text: str, name: str, limit: int, errors: dict) -> str:
    """A web address part: lower-case letters, digits and single hyphens."""
    slug = (text or "").strip().lower()
    if not slug:
        errors[name] = _("Please fill this in.")
    elif len(slug) > limit or not SLUG.fullmatch(slug):
        errors[name] = _(
            "Use lower-case letters, digits and hyphens only (at most %(n)d), "
            "like earthquake-food-aid.",
            n=limit,
        )
    return slug


def read_date(text: str, name: str, errors: dict, *, required: bool = False) -> date | None:
    """A date as a date input sends it (2026-03-01), from 1900 to 2100; blank is None
    unless required."""
    if not (text or "").strip():
        if required:
            errors[name] = _("Please enter a date.")
        return None
    day = parse_day(text)
    if day is None:
        errors[name] = _("Please enter a date like 2026-03-01.")
    elif not day_in_range(day):
        errors[name] = _("Please enter a date between %(first)d and %(last)d.", **YEARS)
        day = None
    return day


def read_count(
    text: str, name: str, errors: dict, *, minimum: int = 1, maximum: int = MAX_COUNT
) -> int | None:
    """A whole number from ``minimum`` to ``maximum`` (ASCII digits); blank is None."""
    if not (text or "").strip():
        return None
    count = parse_int(text, minimum=minimum, maximum=maximum)
    if count is None:
        errors[name] = _(
            "Please enter a whole number from %(low)s to %(high)s.",
            low=format_decimal(minimum),
            high=format_decimal(maximum),
        )
    return count


def read_money(text: str, code: str, locale: str) -> int:
    """An amount of any size above zero (a goal, a bank transfer) in minor units, or
    AmountError. The online gift range does not apply; a sanity ceiling does."""
    minor = read_amount(text, code, locale)
    if minor <= 0:
        raise AmountError(_("Please enter an amount above zero."))
    if minor > CURRENCIES[code].maximum * MONEY_CEILING:
        raise AmountError(_("This amount is too large; please check it."))
    return minor


def read_email(
    text: str,
    name: str,
    errors: dict,
    *,
    required: bool = True,
    missing: str | None = None,
    invalid: str | None = None,
) -> str:
    """An e-mail address in its normal form (email_validator, no DNS lookup); blank is ""
    when not ``required``. ``missing`` and ``invalid`` replace the usual messages for a
    blank and a wrong address (a form that asks in its own words)."""
    typed = check_text(text, name, errors).strip()
    if name in errors or not (typed or required):
        return ""
    if missing and not typed:
        errors[name] = missing
        return ""
    try:
        return validate_email(typed, check_deliverability=False).normalized
    except EmailNotValidError:
        if invalid:
            errors[name] = invalid
        elif required:
            errors[name] = _("Please enter a valid e-mail address, like name@example.org.")
        else:
            errors[name] = _("Please enter a valid e-mail address, or leave it empty.")
        return ""


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits up to MAX_ID; anything else matches no
    route (404), so a row id too large for its column never reaches the database."""

    regex = r"[0-9]+"

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def refuse_unsafe_paths() -> None:
    """Before every request: a path with a control character names nothing (404), and
    never reaches a query (PostgreSQL refuses NUL). Query arguments and form fields are
    read where they are used, each by these rules and with its own message; one that is
    not used is ignored, whatever it holds."""
    if has_unsafe(request.path):
        abort(404)


def init_app(app: Flask) -> None:
    """Install the bounded ``int`` converter (before any route is added) and the guard."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unsafe_paths)
