"""Amounts in words for receipts ("one thousand two hundred fifty Turkish lira and fifty
kuruş"). Babel spells no numbers, so each language has its own speller here: English,
Turkish and Arabic; a language without one falls back to English.

Add a language by writing ``spell_<language>(whole, fraction, currency) -> str`` and
listing it in SPELLERS.

Turkish writes the number as separate words and the noun after a number stays singular:
"bin iki yüz elli Türk lirası elli kuruş".

Arabic follows the cheques of Arab banks: "فقط ألف ومئتان وخمسون ليرة تركية وخمسون قرشًا
لا غير", in Modern Standard Arabic and in the nominative. The counted noun agrees with the
number as grammar asks (ArabicNoun): the genitive singular after 100, 1000 ...; the
genitive plural after 3 to 10; the accusative singular after 11 to 99; and 1 and 2 put the
noun first ("ليرة تركية واحدة", "ليرتان تركيتان", "مئة وليرة تركية واحدة"). Units 3 to 10
take the gender opposite to the noun's (ثلاث ليرات، ثلاثة دولارات); thousands and millions
count as masculine nouns (ثلاثة آلاف، أحد عشر ألفًا). Before the noun, the word that
governs it takes its construct form (مئتا ليرة، ألفا ليرة، عشرون ألف ليرة). A thousand
group ending in 1 or 2 is written in full ("مئة ألف وألف" for 101,000) because "مئة وألف"
would also read as 1,100, and words on a cheque must leave no doubt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


TURKISH_ONES = ("sıfır", "bir", "iki", "üç", "dört", "beş", "altı", "yedi", "sekiz", "dokuz")
TURKISH_TENS = ("", "on", "yirmi", "otuz", "kırk", "elli", "altmış", "yetmiş", "seksen", "doksan")
TURKISH_SCALES = ((10**9, "milyar"), (10**6, "milyon"), (1000, "bin"))

# The major and minor unit of each currency; None where it has no minor.
TURKISH_UNITS: dict[str, tuple[str, str | None]] = {
    "TRY": ("Türk lirası", "kuruş"),
    "USD": ("ABD doları", "sent"),
    "EUR": ("avro", "sent"),
    "GBP": ("İngiliz sterlini", "peni"),
    "JPY": ("Japon yeni", None),
}


def turkish_number(n: int) -> str:
    """A whole number >= 0 in Turkish words: 1250 -> "bin iki yüz elli". "Bir" is never
    said before "yüz" or a lone "bin" (100 -> "yüz", 1000 -> "bin", but 101,000 -> "yüz
    bir bin" and 1,000,000 -> "bir milyon")."""
    if n < 0:
        raise ValueError("only amounts of zero or more are spelled")
    if n < 10:
        return TURKISH_ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return TURKISH_TENS[tens] + (f" {TURKISH_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "yüz" if hundreds == 1 else f"{TURKISH_ONES[hundreds]} yüz"
        return head + (f" {turkish_number(rest)}" if rest else "")
    for size, name in TURKISH_SCALES:
        if n >= size:
            count, rest = divmod(n, size)
            head = name if count == 1 and name == "bin" else f"{turkish_number(count)} {name}"
            return head + (f" {turkish_number(rest)}" if rest else "")
    raise AssertionError("unreachable: every n >= 1000 has a scale")


def spell_turkish(whole: int, fraction: int, cur: Currency) -> str:
    """Turkish words for ``whole`` major and ``fraction`` minor units of ``cur``, as a
    Turkish cheque writes them ("elli Türk lirası yirmi kuruş"); a zero fraction is left
    out."""
    major, minor = TURKISH_UNITS.get(cur.code, (cur.code, cur.code))
    words = f"{turkish_number(whole)} {major}"
    if fraction and minor is not None:
        words += f" {turkish_number(fraction)} {minor}"
    return words


@dataclass(frozen=True)
class ArabicNoun:
    """A currency unit in each form an Arabic number asks of the noun it counts."""

    feminine: bool
    one: str  # genitive singular: after 1 (then followed by واحد), 0, 100, 1000 ...
    two: str  # dual: the noun alone says "two"
    few: str  # genitive plural: after 3 to 10
    many: str  # accusative singular: after 11 to 99


ARABIC_UNITS: dict[str, tuple[ArabicNoun, ArabicNoun | None]] = {
    "TRY": (
        # Unvocalised text writes no tanween on a ta marbuta: "many" reads as "one".
        ArabicNoun(True, "ليرة تركية", "ليرتان تركيتان", "ليرات تركية", "ليرة تركية"),
        ArabicNoun(False, "قرش", "قرشان", "قروش", "قرشًا"),
    ),
    "USD": (
        ArabicNoun(False, "دولار أمريكي", "دولاران أمريكيان", "دولارات أمريكية", "دولارًا أمريكيًا"),
        ArabicNoun(False, "سنت", "سنتان", "سنتات", "سنتًا"),
    ),
    "EUR": (
        # "يورو" is indeclinable: only its dual changes.
        ArabicNoun(False, "يورو", "يوروان", "يورو", "يورو"),
        ArabicNoun(False, "سنت", "سنتان", "سنتات", "سنتًا"),
    ),
    "GBP": (
        ArabicNoun(
            False, "جنيه إسترليني", "جنيهان إسترلينيان", "جنيهات إسترلينية", "جنيهًا إسترلينيًا"
        ),
        ArabicNoun(False, "بنس", "بنسان", "بنسات", "بنسًا"),
    ),
    "JPY": (ArabicNoun(False, "ين ياباني", "ينان يابانيان", "ينات يابانية", "ينًا يابانيًا"), None),
}

# Units as they count a masculine noun, then a feminine one: 3 to 10 take the other
# gender's form (ثلاثة دولارات، ثلاث ليرات).
ARABIC_ONES = {
    False: ("", "واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة", "عشرة"),
    True: ("", "واحدة", "اثنتان", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثماني", "تسع", "عشر"),
}
ARABIC_TENS = ("", "", "عشرون", "ثلاثون", "أربعون", "خمسون", "ستون", "سبعون", "ثمانون", "تسعون")
ARABIC_HUNDREDS = (
    "", "مئة", "مئتان", "ثلاثمئة", "أربعمئة", "خمسمئة", "ستمئة", "سبعمئة", "ثمانمئة", "تسعمئة",
)  # fmt: skip
# (singular, dual, plural) of each scale, largest first.
ARABIC_SCALES = (
    (10**9, ("مليار", "ملياران", "مليارات")),
    (10**6, ("مليون", "مليونان", "ملايين")),
    (1000, ("ألف", "ألفان", "آلاف")),
)
AND = " و"  # "و" joins the next word: "ألف ومئتان"


def _arabic_below_hundred(n: int, feminine: bool) -> str:
    """1 <= n <= 99."""
    if n <= 10:
        return ARABIC_ONES[feminine][n]
    if n == 11:
        return "إحدى عشرة" if feminine else "أحد عشر"
    if n == 12:
        return "اثنتا عشرة" if feminine else "اثنا عشر"
    if n < 20:
        return f"{ARABIC_ONES[feminine][n - 10]} {'عشرة' if feminine else 'عشر'}"
    tens, ones = divmod(n, 10)
    if not ones:
        return ARABIC_TENS[tens]
    # Before "و" the feminine 1 is إحدى and the feminine 8 loses its ya (ثمانٍ وعشرون).
    unit = {1: "إحدى", 8: "ثمانٍ"}.get(ones) if feminine else None
    return f"{unit or ARABIC_ONES[feminine][ones]}{AND}{ARABIC_TENS[tens]}"


def _arabic_below_thousand(n: int, feminine: bool, construct: bool) -> str:
    """1 <= n <= 999; ``construct``: a noun follows directly (مئتا ليرة, not مئتان)."""
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        parts.append(
            "مئتا" if hundreds == 2 and construct and not rest else ARABIC_HUNDREDS[hundreds]
        )
    if rest:
        parts.append(_arabic_below_hundred(rest, feminine))
    return AND.join(parts)


def _arabic_scale_group(count: int, names: tuple[str, str, str], construct: bool) -> str:
    """``count`` (1 to 999) thousands, millions or milliards; all three are masculine."""
    singular, dual, plural = names
    if count == 1:
        return singular
    if count == 2:
        return dual.removesuffix("ن") if construct else dual
    head, last = count - count % 100, count % 100
    if last == 0:
        return f"{_arabic_below_thousand(head, False, construct=True)} {singular}"
    if last <= 2:
        # Spelled in full: "مئة وألف" would also read as 1,100.
        hundreds = f"{_arabic_below_thousand(head, False, construct=True)} {singular}"
        return hundreds + AND + _arabic_scale_group(last, names, construct)
    words = _arabic_below_thousand(count, False, construct=False)
    if last <= 10:
        return f"{words} {plural}"
    return f"{words} {singular if construct else singular + 'ًا'}"


def arabic_number(n: int, *, feminine: bool = False, construct: bool = False) -> str:
    """A whole number 0 <= n < 10**12 in Arabic words, nominative: 1250 -> "ألف ومئتان
    وخمسون". ``feminine``: it counts a feminine noun; ``construct``: that noun follows
    directly (2000 -> "ألفا" in "ألفا ليرة", "ألفان" alone)."""
    if n < 0:
        raise ValueError("only amounts of zero or more are spelled")
    if n >= 10**12:
        raise ValueError("Arabic amounts are spelled below a thousand milliards")
    if n == 0:
        return "صفر"
    parts = []
    for size, names in ARABIC_SCALES:
        count, n = divmod(n, size)
        if count:
            parts.append(_arabic_scale_group(count, names, construct=construct and not n))
    if n:
        parts.append(_arabic_below_thousand(n, feminine, construct))
    return AND.join(parts)


def arabic_count(n: int, noun: ArabicNoun) -> str:
    """``n`` of ``noun``, number and noun in the order and forms grammar gives them:
    "ليرة تركية واحدة", "ليرتان تركيتان", "ثلاث ليرات تركية", "أحد عشر دولارًا أمريكيًا",
    "مئة ليرة تركية", "مئة وليرة تركية واحدة"."""
    head, last = n - n % 100, n % 100
    if last in (1, 2) and n:
        counted = f"{noun.one} {'واحدة' if noun.feminine else 'واحد'}" if last == 1 else noun.two
        return f"{arabic_number(head, feminine=noun.feminine)}{AND}{counted}" if head else counted
    form = noun.few if 3 <= last <= 10 else noun.many if last >= 11 else noun.one
    return f"{arabic_number(n, feminine=noun.feminine, construct=True)} {form}"


def spell_arabic(whole: int, fraction: int, cur: Currency) -> str:
    """Arabic words for ``whole`` major and ``fraction`` minor units of ``cur`` between
    "فقط" and "لا غير", as Arab banks write cheques (see the module docstring); a zero
    fraction is left out."""
    code = ArabicNoun(False, cur.code, cur.code, cur.code, cur.code)
    major, minor = ARABIC_UNITS.get(cur.code, (code, code))
    words = arabic_count(whole, major)
    if fraction and minor is not None:
        words += AND + arabic_count(fraction, minor)
    return f"فقط {words} لا غير"


SPELLERS: dict[str, Callable[[int, int, Currency], str]] = {
    "en": spell_english,
    "tr": spell_turkish,
    "ar": spell_arabic,
}


def amount_in_words(minor: int, code: str, locale: str) -> str:
    """``minor`` units of currency ``code`` in words, in ``locale``'s language when it has
    a speller, else in English."""
    cur = currency(code)
    whole, fraction = divmod(minor, 10**cur.exponent)
    language = locale.replace("-", "_").split("_")[0].lower()
    return SPELLERS.get(language, spell_english)(whole, fraction, cur)
