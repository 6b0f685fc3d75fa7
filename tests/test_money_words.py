"""Amounts in words, as printed on receipts."""

from __future__ import annotations

import pytest

from campaigns.money import AmountError
from campaigns.money_words import amount_in_words, english_number


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


def test_negative_numbers_are_refused():
    with pytest.raises(ValueError):
        english_number(-1)


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


@pytest.mark.parametrize("locale", ["tr", "ar", "de_DE", "en-GB"])
def test_languages_without_a_speller_fall_back_to_english(locale):
    assert amount_in_words(25_00, "TRY", locale) == "twenty-five Turkish lira"


def test_unknown_currencies_are_refused():
    with pytest.raises(AmountError):
        amount_in_words(100, "XXX", "en")
