"""Amounts in words for receipts ("one thousand two hundred fifty Turkish lira and fifty
kuruş"). Babel spells no numbers, so each language has its own speller here; English is
written, and a language without one falls back to English.

Add a language by writing ``spell_<language>(whole, fraction, currency) -> str`` and
listing it in SPELLERS.
"""

from __future__ import annotations

from collections.abc import Callable

from campaigns.money import Currency, currency

ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)  # fmt: skip
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))

# (singular, plural) of each currency's major and minor unit; None where it has no minor.
ENGLISH_UNITS: dict[str, tuple[tuple[str, str], tuple[str, str] | None]] = {
    "TRY": (("Turkish lira", "Turkish lira"), ("kuruş", "kuruş")),
    "USD": (("US dollar", "US dollars"), ("cent", "cents")),
    "EUR": (("euro", "euros"), ("cent", "cents")),
    "GBP": (("pound sterling", "pounds sterling"), ("penny", "pence")),
    "JPY": (("Japanese yen", "Japanese yen"), None),
}


def english_number(n: int) -> str:
    """A whole number >= 0 in English words, without "and": 1250 -> "one thousand two
    hundred fifty" (the style of cheques and US receipts)."""
    if n < 0:
        raise ValueError("only amounts of zero or more are spelled")
    if n < 20:
        return ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return TENS[tens] + (f"-{ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{ONES[hundreds]} hundred" + (f" {english_number(rest)}" if rest else "")
    for size, name in SCALES:
        if n >= size:
            head, rest = divmod(n, size)
            return f"{english_number(head)} {name}" + (f" {english_number(rest)}" if rest else "")
    raise AssertionError("unreachable: every n >= 1000 has a scale")


def spell_english(whole: int, fraction: int, cur: Currency) -> str:
    """English words for ``whole`` major and ``fraction`` minor units of ``cur``; a zero
    fraction is left out ("fifty US dollars")."""
    major, minor = ENGLISH_UNITS.get(cur.code, ((cur.code, cur.code), (cur.code, cur.code)))
    words = f"{english_number(whole)} {major[whole != 1]}"
    if fraction and minor is not None:
        words += f" and {english_number(fraction)} {minor[fraction != 1]}"
    return words


SPELLERS: dict[str, Callable[[int, int, Currency], str]] = {"en": spell_english}


def amount_in_words(minor: int, code: str, locale: str) -> str:
    """``minor`` units of currency ``code`` in words, in ``locale``'s language when it has
    a speller, else in English."""
    cur = currency(code)
    whole, fraction = divmod(minor, 10**cur.exponent)
    language = locale.replace("-", "_").split("_")[0].lower()
    return SPELLERS.get(language, spell_english)(whole, fraction, cur)
