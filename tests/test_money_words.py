"""Amounts in words, as printed on receipts: English, Turkish and Arabic."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.money import CURRENCIES, AmountError
from campaigns.money_words import amount_in_words, english_number, turkish_number


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (42, "forty-two"),
        (100, "one hundred"),
        (105, "one hundred five"),
        (999, "nine hundred ninety-nine"),
        (1000, "one thousand"),
        (1250, "one thousand two hundred fifty"),
        (20_019, "twenty thousand nineteen"),
        (100_000, "one hundred thousand"),
        (1_000_001, "one million one"),
        (12_345_678, "twelve million three hundred forty-five thousand six hundred seventy-eight"),
        (2_000_000_000, "two billion"),
    ],
)
def test_english_numbers(n, words):
    assert english_number(n) == words


@pytest.mark.parametrize("spell", [english_number, turkish_number])
def test_negative_numbers_are_refused(spell):
    with pytest.raises(ValueError):
        spell(-1)


def test_negative_amounts_are_refused_in_arabic():
    with pytest.raises(ValueError):
        amount_in_words(-1_00, "TRY", "ar")


@pytest.mark.parametrize(
    ("minor", "code", "words"),
    [
        (1250_50, "TRY", "one thousand two hundred fifty Turkish lira and fifty kuruş"),
        (1_00, "USD", "one US dollar"),
        (2_01, "USD", "two US dollars and one cent"),
        (50_00, "EUR", "fifty euros"),
        (1_01, "GBP", "one pound sterling and one penny"),
        (3_99, "GBP", "three pounds sterling and ninety-nine pence"),
        (10_000, "JPY", "ten thousand Japanese yen"),
    ],
)
def test_amounts_in_english(minor, code, words):
    assert amount_in_words(minor, code, "en") == words


@pytest.mark.parametrize(
    ("minor", "code", "words"),
    [
        (0, "TRY", "sıfır Türk lirası"),
        (1_00, "TRY", "bir Türk lirası"),
        (2_00, "TRY", "iki Türk lirası"),
        (11_00, "TRY", "on bir Türk lirası"),
        (21_00, "TRY", "yirmi bir Türk lirası"),
        (100_00, "TRY", "yüz Türk lirası"),
        (101_00, "TRY", "yüz bir Türk lirası"),
        (200_00, "TRY", "iki yüz Türk lirası"),
        (999_00, "TRY", "dokuz yüz doksan dokuz Türk lirası"),
        (1000_00, "TRY", "bin Türk lirası"),
        (1001_00, "TRY", "bin bir Türk lirası"),
        (1250_50, "TRY", "bin iki yüz elli Türk lirası elli kuruş"),
        (2000_00, "TRY", "iki bin Türk lirası"),
        (11_000_00, "TRY", "on bir bin Türk lirası"),
        (100_000_00, "TRY", "yüz bin Türk lirası"),
        (101_000_00, "TRY", "yüz bir bin Türk lirası"),
        (1_000_000_00, "TRY", "bir milyon Türk lirası"),
        (2_500_000_00, "TRY", "iki milyon beş yüz bin Türk lirası"),
        (5, "TRY", "sıfır Türk lirası beş kuruş"),
        (25_01, "USD", "yirmi beş ABD doları bir sent"),
        (50_00, "EUR", "elli avro"),
        (3_99, "GBP", "üç İngiliz sterlini doksan dokuz peni"),
        (10_000, "JPY", "on bin Japon yeni"),
        (999_999_999, "JPY", "dokuz yüz doksan dokuz milyon dokuz yüz doksan dokuz bin "
         "dokuz yüz doksan dokuz Japon yeni"),
    ],
)  # fmt: skip
def test_amounts_in_turkish(minor, code, words):
    assert amount_in_words(minor, code, "tr") == words
    assert amount_in_words(minor, code, "tr_TR") == words


@pytest.mark.parametrize(
    ("minor", "code", "words"),
    [
        (0, "TRY", "صفر ليرة تركية"),
        (1_00, "TRY", "ليرة تركية واحدة"),
        (2_00, "TRY", "ليرتان تركيتان"),
        (3_00, "TRY", "ثلاث ليرات تركية"),
        (8_00, "TRY", "ثماني ليرات تركية"),
        (11_00, "TRY", "إحدى عشرة ليرة تركية"),
        (21_00, "TRY", "إحدى وعشرون ليرة تركية"),
        (28_00, "TRY", "ثمانٍ وعشرون ليرة تركية"),
        (100_00, "TRY", "مئة ليرة تركية"),
        (101_00, "TRY", "مئة وليرة تركية واحدة"),
        (200_00, "TRY", "مئتا ليرة تركية"),
        (999_00, "TRY", "تسعمئة وتسع وتسعون ليرة تركية"),
        (1000_00, "TRY", "ألف ليرة تركية"),
        (1001_00, "TRY", "ألف وليرة تركية واحدة"),
        (1250_50, "TRY", "ألف ومئتان وخمسون ليرة تركية وخمسون قرشًا"),
        (2000_00, "TRY", "ألفا ليرة تركية"),
        (2002_00, "TRY", "ألفان وليرتان تركيتان"),
        (3000_00, "TRY", "ثلاثة آلاف ليرة تركية"),
        (11_000_00, "TRY", "أحد عشر ألف ليرة تركية"),
        (100_000_00, "TRY", "مئة ألف ليرة تركية"),
        (101_000_00, "TRY", "مئة ألف وألف ليرة تركية"),
        (1_000_000_00, "TRY", "مليون ليرة تركية"),
        (2_500_000_00, "TRY", "مليونان وخمسمئة ألف ليرة تركية"),
        (1_01, "TRY", "ليرة تركية واحدة وقرش واحد"),
        (1_02, "TRY", "ليرة تركية واحدة وقرشان"),
        (1_00, "USD", "دولار أمريكي واحد"),
        (2_00, "USD", "دولاران أمريكيان"),
        (3_00, "USD", "ثلاثة دولارات أمريكية"),
        (11_00, "USD", "أحد عشر دولارًا أمريكيًا"),
        (21_00, "USD", "واحد وعشرون دولارًا أمريكيًا"),
        (999_00, "USD", "تسعمئة وتسعة وتسعون دولارًا أمريكيًا"),
        (1250_50, "USD", "ألف ومئتان وخمسون دولارًا أمريكيًا وخمسون سنتًا"),
        (50_05, "EUR", "خمسون يورو وخمسة سنتات"),
        (2_11, "GBP", "جنيهان إسترلينيان وأحد عشر بنسًا"),
        (10_000, "JPY", "عشرة آلاف ين ياباني"),
        (2_500_000, "JPY", "مليونان وخمسمئة ألف ين ياباني"),
        (999_999_999, "JPY", "تسعمئة وتسعة وتسعون مليونًا وتسعمئة وتسعة وتسعون ألفًا "
         "وتسعمئة وتسعة وتسعون ينًا يابانيًا"),
    ],
)  # fmt: skip
def test_amounts_in_arabic_as_on_a_cheque(minor, code, words):
    assert amount_in_words(minor, code, "ar") == f"فقط {words} لا غير"


@pytest.mark.parametrize("locale", ["de_DE", "fr", "en-GB", "ur"])
def test_languages_without_a_speller_fall_back_to_english(locale):
    assert amount_in_words(25_00, "TRY", locale) == "twenty-five Turkish lira"


def test_unknown_currencies_are_refused():
    with pytest.raises(AmountError):
        amount_in_words(100, "XXX", "en")


# Readers written apart from the spellers: each number word's value, whatever its form.
TURKISH_VALUES = {
    word: value
    for values in (
        {"sıfır": 0, "bir": 1, "iki": 2, "üç": 3, "dört": 4, "beş": 5, "altı": 6, "yedi": 7},
        {"sekiz": 8, "dokuz": 9, "on": 10, "yirmi": 20, "otuz": 30, "kırk": 40, "elli": 50},
        {"altmış": 60, "yetmiş": 70, "seksen": 80, "doksan": 90},
    )
    for word, value in values.items()
}
TURKISH_SCALES = {"bin": 1000, "milyon": 10**6, "milyar": 10**9}
TURKISH_NAMES = {
    "TRY": ("Türk lirası", "kuruş"),
    "USD": ("ABD doları", "sent"),
    "EUR": ("avro", "sent"),
    "GBP": ("İngiliz sterlini", "peni"),
    "JPY": ("Japon yeni", None),
}


def read_turkish(words: str) -> int:
    """The number Turkish ``words`` say; KeyError on any word that is not a number."""
    total = group = 0
    for word in words.split():
        if word == "yüz":
            group = (group or 1) * 100
        elif word in TURKISH_SCALES:
            total += (group or 1) * TURKISH_SCALES[word]
            group = 0
        else:
            group += TURKISH_VALUES[word]
    return total + group


def read_turkish_amount(words: str, code: str) -> tuple[int, int]:
    """The (major, minor) units a Turkish amount of ``code`` says."""
    major, minor = TURKISH_NAMES[code]
    whole, _name, rest = words.partition(f" {major}")
    if not rest:
        return read_turkish(whole), 0
    assert minor is not None and rest.endswith(f" {minor}")
    return read_turkish(whole), read_turkish(rest.removesuffix(f" {minor}"))


ARABIC_VALUES = {
    word: value
    for value, forms in enumerate(
        (
            "صفر", "واحد واحدة أحد إحدى", "اثنان اثنتان اثنا اثنتا", "ثلاثة ثلاث",
            "أربعة أربع", "خمسة خمس", "ستة ست", "سبعة سبع", "ثمانية ثماني ثمانٍ", "تسعة تسع",
            "عشرة عشر",
        )
    )
    for word in forms.split()
} | {
    word: 10 * tens
    for tens, word in enumerate(
        ("عشرون", "ثلاثون", "أربعون", "خمسون", "ستون", "سبعون", "ثمانون", "تسعون"), start=2
    )
} | {
    word: 100 * hundreds
    for hundreds, forms in enumerate(
        ("-", "مئة", "مئتان مئتا", "ثلاثمئة", "أربعمئة", "خمسمئة", "ستمئة", "سبعمئة", "ثمانمئة",
         "تسعمئة")
    )
    for word in forms.split()
}  # fmt: skip
# Scale word -> (size, how many it says by itself: the dual says two).
ARABIC_SCALES = {
    word: (size, count)
    for size, forms in (
        (1000, "ألف ألفًا آلاف ألفان ألفا"),
        (10**6, "مليون مليونًا ملايين مليونان مليونا"),
    )
    for word, count in zip(forms.split(), (None, None, None, 2, 2), strict=True)
}
# Every form of each currency's nouns; the dual says two by itself.
ARABIC_NOUNS = {
    "TRY": ("ليرة تركية ليرات ليرتان تركيتان", "قرش قرشًا قروش قرشان"),
    "USD": ("دولار أمريكي دولارًا أمريكيًا دولارات أمريكية دولاران أمريكيان", "سنت سنتًا سنتات سنتان"),
    "EUR": ("يورو يوروان", "سنت سنتًا سنتات سنتان"),
    "GBP": (
        "جنيه إسترليني جنيهًا إسترلينيًا جنيهات إسترلينية جنيهان إسترلينيان",
        "بنس بنسًا بنسات بنسان",
    ),
    "JPY": ("ين ياباني ينًا يابانيًا ينات يابانية ينان يابانيان", ""),
}
ARABIC_DUALS = {"ليرتان", "قرشان", "دولاران", "سنتان", "يوروان", "جنيهان", "بنسان", "ينان"}


def read_arabic(tokens: list[str], nouns: set[str]) -> int:
    """The number Arabic ``tokens`` say, their counted noun skipped; KeyError on any word
    that is neither a number nor one of ``nouns``."""
    known = ARABIC_VALUES.keys() | ARABIC_SCALES.keys() | nouns
    total = group = 0
    for token in tokens:
        word = token if token in known else token.removeprefix("و")  # "و" joins the next word
        if word in ARABIC_SCALES:
            size, count = ARABIC_SCALES[word]
            total += (count or group or 1) * size
            group = 0
        elif word in ARABIC_VALUES:
            group += ARABIC_VALUES[word]
        elif word in ARABIC_DUALS:
            group += 2
        elif word not in nouns:
            raise KeyError(word)
    return total + group


def read_arabic_amount(words: str, code: str) -> tuple[int, int]:
    """The (major, minor) units a cheque-style Arabic amount of ``code`` says."""
    assert words.startswith("فقط ") and words.endswith(" لا غير")
    tokens = words.removeprefix("فقط ").removesuffix(" لا غير").split()
    major, minor = (set(forms.split()) for forms in ARABIC_NOUNS[code])
    # The major part ends with its noun, or with the "one" that follows it.
    end = 1 + max(i for i, token in enumerate(tokens) if token.removeprefix("و") in major)
    if tokens[end : end + 1] in (["واحد"], ["واحدة"]):
        end += 1
    return read_arabic(tokens[:end], major), read_arabic(tokens[end:], minor)


@st.composite
def amounts(draw) -> tuple[int, str]:
    """Any amount of a currency up to its maximum gift, zero included."""
    cur = draw(st.sampled_from(list(CURRENCIES.values())))
    return draw(st.integers(0, cur.maximum)), cur.code


def split(minor: int, code: str) -> tuple[int, int]:
    return divmod(minor, 10 ** CURRENCIES[code].exponent)


@settings(max_examples=500)
@given(amount=amounts())
def test_every_amount_reads_back_from_its_turkish_words(amount):
    minor, code = amount
    words = amount_in_words(minor, code, "tr")

    assert not re.search(r"\d", words)
    assert read_turkish_amount(words, code) == split(minor, code)


@settings(max_examples=500)
@given(amount=amounts())
def test_every_amount_reads_back_from_its_arabic_words(amount):
    minor, code = amount
    words = amount_in_words(minor, code, "ar")

    assert not re.search(r"\d", words)
    assert "  " not in words and " و " not in words
    assert read_arabic_amount(words, code) == split(minor, code)


@settings(max_examples=300)
@given(whole=st.integers(0, 999_999_999), code=st.sampled_from(["TRY", "USD", "JPY"]))
def test_numbers_up_to_a_billion_read_back_in_both_languages(whole, code):
    minor = whole * 10 ** CURRENCIES[code].exponent

    assert read_turkish_amount(amount_in_words(minor, code, "tr"), code) == (whole, 0)
    assert read_arabic_amount(amount_in_words(minor, code, "ar"), code) == (whole, 0)
