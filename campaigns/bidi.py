"""Text of one direction inside text of another: Unicode's directional isolates, for
the places HTML's ``<bdi>`` cannot go (PDF text runs drawn from plain strings, e-mail
subjects and plain-text bodies, SVG labels), and the direction of a text whose language
is not known (a donor's name, a campaign title)."""

from __future__ import annotations

import unicodedata

from babel import Locale, UnknownLocaleError

# Each opener lays out the text up to its PDI on its own, as one unit: LRI left to right,
# RLI right to left, FSI by the first letter with a direction.
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"


def text_direction(text: str) -> str:
    """ "rtl" or "ltr" by the first letter with a direction (HTML's dir=auto rule)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "ltr"


def is_rtl(locale: object) -> bool:
    """Whether ``locale`` (a Babel Locale or its name) writes right to left."""
    try:
        parsed = locale if isinstance(locale, Locale) else Locale.parse(str(locale))
    except (ValueError, UnknownLocaleError):
        return False
    return parsed.character_order == "right-to-left"


def isolate(text: object, locale: object) -> str:
    """``text`` between FSI and PDI for a right-to-left ``locale``; unchanged otherwise
    (left-to-right text keeps its order there already, and stays plain to search)."""
    return FSI + str(text) + PDI if is_rtl(locale) else str(text)
