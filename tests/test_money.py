"""Money: exponents, reading what a person typed, and formatting per locale."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.money import (
    CURRENCIES,
    AmountError,
    check_range,
    currency,
    format_money,
    format_plain,
    parse_amount,
)

LOCALES = ("en", "tr", "ar", "de", "fr")
NOT_A_NUMBER = "Please enter the amount as a number, for example 50."


@pytest.mark.parametrize(
    ("code", "exponent"), [("JPY", 0), ("TRY", 2), ("USD", 2), ("EUR", 2), ("GBP", 2)]
)
def test_currency_exponents_follow_iso_4217(code, exponent):
    assert currency(code).exponent == exponent
    assert currency(code.lower()).code == code


def test_unknown_currency_is_an_amount_error_naming_it():
    with pytest.raises(AmountError, match="Unsupported currency: XXX"):
        currency("XXX")


@pytest.mark.parametrize("cur", CURRENCIES.values(), ids=lambda c: c.code)
def test_every_currency_range_is_sane(cur):
    assert 0 < cur.minimum < cur.maximum
    # Stripe refuses amounts with more than 8 digits in the minor unit.
    assert cur.maximum <= 99_999_999


@pytest.mark.parametrize(
    ("text", "code", "locale", "minor"),
    [
        ("1.250,50", "TRY", "tr", 125050),
        ("1,250.50", "USD", "en", 125050),
        ("1.250,50", "EUR", "de", 125050),
        ("1 250,50", "EUR", "fr", 125050),
        ("1\u202f250,50", "EUR", "fr", 125050),
        ("50", "TRY", "tr", 5000),
        ("50,50", "TRY", "tr", 5050),
        # A dot before one or two digits cannot group thousands: it is a decimal point.
        ("50.5", "TRY", "tr", 5050),
        ("50.50", "TRY", "tr", 5050),
        ("1.250", "TRY", "tr", 125000),
        ("50,5", "USD", "en", 5050),
        (" 75 ", "USD", "en", 7500),
        ("1.250", "USD", "en", 125),
        ("10.00", "USD", "en", 1000),
        ("100.0", "JPY", "en", 100),
        ("12,500", "JPY", "en", 12500),
        # Arabic-Indic digits (and Arabic separators) are read as the digits they are.
        ("\u0661\u0662\u0663", "USD", "ar", 12300),
        ("\u0661\u0662\u0663", "USD", "en", 12300),
        ("\u0661\u066c\u0662\u0665\u0660\u066b\u0665\u0660", "USD", "ar", 125050),
    ],
)
def test_parse_amount_reads_what_people_type(text, code, locale, minor):
    assert parse_amount(text, code, locale) == minor


@pytest.mark.parametrize(
    ("text", "code", "locale", "message"),
    [
        ("abc", "USD", "en", NOT_A_NUMBER),
        ("-5", "USD", "en", NOT_A_NUMBER),
        ("+5", "USD", "en", NOT_A_NUMBER),
        ("0", "USD", "en", "The smallest gift we can take is $1.00."),
        ("1e9", "USD", "en", NOT_A_NUMBER),
        ("1.234", "USD", "en", "USD amounts can have at most 2 decimal places."),
        ("10.5", "JPY", "en", "JPY amounts must be whole numbers."),
        ("10,5", "JPY", "tr", "JPY amounts must be whole numbers."),
        ("", "USD", "en", "Please enter an amount."),
        ("  ", "USD", "en", "Please enter an amount."),
        ("1,2,3", "USD", "en", NOT_A_NUMBER),
        ("12,34,567", "USD", "en", NOT_A_NUMBER),
        ("1.2.3", "TRY", "tr", NOT_A_NUMBER),
        ("1,250.50.1", "USD", "en", NOT_A_NUMBER),
        ("50.", "USD", "en", NOT_A_NUMBER),
        (".5", "USD", "en", NOT_A_NUMBER),
        ("NaN", "USD", "en", NOT_A_NUMBER),
        ("Infinity", "USD", "en", NOT_A_NUMBER),
        ("$50", "USD", "en", NOT_A_NUMBER),
        ("0.99", "USD", "en", "The smallest gift we can take is $1.00."),
        ("19,99", "TRY", "tr", "The smallest gift we can take is ₺20,00."),
        ("99", "JPY", "en", "The smallest gift we can take is ¥100."),
        ("100000.01", "USD", "en", "The largest gift we can take online is $100,000.00."),
        ("500.000,01", "TRY", "tr", "The largest gift we can take online is ₺500.000,00."),
        ("9" * 200, "GBP", "en", "The largest gift we can take online is £100,000.00."),
    ],
)
def test_parse_amount_refuses_with_a_clear_message(text, code, locale, message):
    with pytest.raises(AmountError) as error:
        parse_amount(text, code, locale)
    assert str(error.value) == message


@pytest.mark.parametrize("cur", CURRENCIES.values(), ids=lambda c: c.code)
def test_range_bounds_are_inclusive(cur):
    check_range(cur.minimum, cur.code, "en")
    check_range(cur.maximum, cur.code, "en")
    with pytest.raises(AmountError, match="smallest"):
        check_range(cur.minimum - 1, cur.code, "en")
    with pytest.raises(AmountError, match="largest"):
        check_range(cur.maximum + 1, cur.code, "en")


@pytest.mark.parametrize(
    ("minor", "code", "locale", "shown"),
    [
        (125050, "TRY", "tr", "₺1.250,50"),
        (125050, "USD", "en", "$1,250.50"),
        (125050, "EUR", "de", "1.250,50\xa0€"),
        (125050, "GBP", "en", "£1,250.50"),
        (125050, "JPY", "en", "¥125,050"),
        (125050, "USD", "ar", "\u2067\u20661,250.50\u2069\xa0\u2068US$\u2069\u2069"),
        (125000, "TRY", "tr", "₺1.250,00"),
    ],
)
def test_format_money_in_the_readers_locale(minor, code, locale, shown):
    assert format_money(minor, code, locale) == shown


@pytest.mark.parametrize(
    ("minor", "code", "locale", "shown"),
    [
        (125000, "TRY", "tr", "₺1.250"),
        (125000, "USD", "en", "$1,250"),
        (125000, "EUR", "de", "1.250\xa0€"),
        (125000, "USD", "ar", "\u2067\u20661,250\u2069\xa0\u2068US$\u2069\u2069"),
        (125000, "TRY", "ar", "\u2067\u20661,250\u2069\xa0\u2068₺\u2069\u2069"),
        (125000, "JPY", "en", "¥125,000"),
        # Cents are never hidden, even on a progress card.
        (125050, "TRY", "tr", "₺1.250,50"),
    ],
)
def test_format_money_whole_drops_only_empty_decimals(minor, code, locale, shown):
    assert format_money(minor, code, locale, whole=True) == shown


@pytest.mark.parametrize(
    ("minor", "code", "locale", "shown"),
    [
        (125050, "TRY", "tr", "1.250,50"),
        (125050, "USD", "en", "1,250.50"),
        (125050, "JPY", "de", "125.050"),
        (5000, "USD", "ar", "50.00"),
    ],
)
def test_format_plain_is_what_a_person_would_type(minor, code, locale, shown):
    assert format_plain(minor, code, locale) == shown


@st.composite
def amounts(draw) -> tuple[int, str]:
    cur = draw(st.sampled_from(list(CURRENCIES.values())))
    return draw(st.integers(cur.minimum, cur.maximum)), cur.code


@settings(max_examples=300)
@given(amount=amounts(), locale=st.sampled_from(LOCALES))
def test_parse_reads_back_every_formatted_amount(amount, locale):
    minor, code = amount
    assert parse_amount(format_plain(minor, code, locale), code, locale) == minor


@given(
    minor=st.integers(-(10**15), 10**15),
    code=st.sampled_from(list(CURRENCIES)),
    locale=st.sampled_from(LOCALES),
    whole=st.booleans(),
)
def test_format_money_never_raises(minor, code, locale, whole):
    assert format_money(minor, code, locale, whole=whole)


# Text near the grammar of amounts finds more edge cases than arbitrary unicode alone.
amountish = st.text(alphabet="0123456789.,- \u00a0\u202f\u066b\u066c\u0660\u0665eE+", max_size=20)


@settings(max_examples=500)
@given(
    text=st.one_of(st.text(max_size=40), amountish),
    code=st.sampled_from(list(CURRENCIES)),
    locale=st.sampled_from(LOCALES),
)
def test_parse_amount_raises_only_amount_error(text, code, locale):
    try:
        minor = parse_amount(text, code, locale)
    except AmountError as error:
        assert str(error)
    else:
        cur = currency(code)
        assert isinstance(minor, int)
        assert cur.minimum <= minor <= cur.maximum
