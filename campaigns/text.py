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
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing.converters import IntegerConverter
from wtforms.validators import StopValidation

# Ids and counts are INTEGER columns; a larger number is no such row, never an error.
MAX_ID = 2**31 - 1
FIRST_YEAR, LAST_YEAR = 1900, 2100
YEARS = {"first": FIRST_YEAR, "last": LAST_YEAR}  # for the message naming them

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


class OneLine:
    """WTForms validator: a single-line field's text by the rules above; the field's data
    becomes its NFC form. Put it first, after DataRequired: it stops the chain."""

    def __call__(self, _form, field) -> None:
        try:
            field.data = clean_text(field.data)
        except TextRefused as refused:
            raise StopValidation(str(refused)) from None


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
