"""Reading bank statements (MT940, camt.053, bank CSV), reference codes and BANK_ACCOUNTS:
the parts of bank transfers that touch no database."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from campaigns.settings import read_bank_accounts
from campaigns.statements import CsvColumns, StatementError, read_statement
from campaigns.statements.amounts import date_of, decimal_of
from campaigns.statements.codes import ALPHABET, codes_in, is_valid, new_code, printed

SAMPLES = Path(__file__).parent / "bank_samples"
ZIRAAT = CsvColumns(
    bank="Ziraat",
    date="Tarih",
    description="Açıklama",
    amount="Tutar",
    transaction_id="İşlem No",
    sender="Gönderen",
)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


# -- reference codes -----------------------------------------------------------------


def test_codes_use_no_look_alikes_and_check_themselves():
    assert not set("01OIL") & set(ALPHABET)
    for _ in range(200):
        code = new_code()
        assert len(code) == 8 and is_valid(code)


@pytest.mark.parametrize("code", ["7QKDM4X9", "HNR8T2WQ", new_code(), new_code()])
def test_every_single_typo_and_every_swap_of_neighbours_is_caught(code):
    for i, c in itertools.product(range(8), ALPHABET):
        if c != code[i]:
            assert not is_valid(code[:i] + c + code[i + 1 :])
    for i in range(7):
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        assert swapped == code or not is_valid(swapped)


def test_codes_are_found_in_any_case_with_spaces_or_dashes():
    # Candidates: every window whose check holds (about one in 31 of the others does too;
    # only a code some pledge has is matched).
    for text in ("BAGIS 7qkd-m4x9 AYSE", "eft 7QKD M4X9", "ref:7QKDM4X9/kasim", "7QKD–M4X9"):
        assert "7QKDM4X9" in codes_in(text)
    assert codes_in(f"bağış {printed('7QKDM4X9')}") == ["7QKDM4X9"]
    assert "HNR8T2WQ" not in codes_in("HAVALE HNR8 T2QW MEHMET")  # two letters swapped
    assert codes_in("") == []


# -- amounts and dates as banks write them ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.250,50", "1250.50"),
        ("1,250.50", "1250.50"),
        ("250,5", "250.5"),
        ("1.250", "1250"),
        ("12.50", "12.50"),
        ("-45,90", "-45.90"),
        ("1.250,50-", "-1250.50"),
        ("1.000.000,00", "1000000.00"),
    ],
)
def test_amounts_turkish_or_not(text, value):
    assert decimal_of(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "1e5", "NaN", "12,3,4.5.6x", "9" * 20])
def test_what_is_no_amount_is_refused(text):
    with pytest.raises(ValueError):
        decimal_of(text)


def test_dates_turkish_and_iso():
    assert date_of("30.11.2026") == date(2026, 11, 30)
    assert date_of("2026-11-30") == date(2026, 11, 30)
    assert date_of("30/11/2026 14:05") == date(2026, 11, 30)
    with pytest.raises(ValueError):
        date_of("31.02.2026")


# -- the three formats ---------------------------------------------------------------------


def test_mt940_credits_only_with_the_banks_references(app_ctx):
    statement = read_statement(sample("november_1.sta"))
    assert statement.format == "mt940"
    assert statement.account == "TR330006100519786457841326"
    assert [(x.amount, x.currency, x.bank_reference) for x in statement.lines] == [
        (1250_50, "TRY", "2611270001"),
        (500_00, "TRY", "2611270002"),
        (150_00, "TRY", "2611280002"),  # the rent (a debit) is left out
    ]
    assert statement.lines[0].description == "BAGIS 7qkd-m4x9 AYSE YILMAZ"
    assert statement.lines[0].booked_on == date(2026, 11, 27)
    assert statement.lines[0].line == 5


def test_overlapping_mt940_statements_give_a_shared_line_the_same_identity(app_ctx):
    first = {x.key for x in read_statement(sample("november_1.sta")).lines}
    second = {x.key for x in read_statement(sample("november_2_overlapping.sta")).lines}
    assert len(first & second) == 1  # the supplier's refund of 28 November


def test_camt053_entries(app_ctx):
    statement = read_statement(sample("camt053.xml"))
    assert statement.format == "camt.053"
    assert [(x.amount, x.sender, x.bank_reference) for x in statement.lines] == [
        (700_00, "Hasan Çelik", "20261130-000101"),
        (200_00, "Elif Arslan", "20261130-000102"),
    ]
    assert statement.lines[0].description == "Bağış CX5K-R7DK"


def test_bank_csv_with_the_columns_staff_set(app_ctx):
    statement = read_statement(sample("ziraat.csv"), [ZIRAAT])
    assert statement.format == "Ziraat"
    [line] = statement.lines  # the card refund (negative) is no gift
    assert (line.amount, line.currency, line.booked_on) == (1250_00, "TRY", date(2026, 11, 30))
    assert (line.sender, line.bank_reference) == ("ZEYNEP DEMIR", "TX-99812")


def test_a_csv_of_no_known_bank_is_refused(app_ctx):
    with pytest.raises(StatementError, match="no bank's CSV columns match"):
        read_statement(sample("ziraat.csv"), [])


def test_identical_lines_without_a_bank_reference_stay_two(app_ctx):
    text = "Tarih;Açıklama;Tutar\n30.11.2026;BAGIS;100,00\n30.11.2026;BAGIS;100,00\n"
    columns = CsvColumns(bank="X", date="Tarih", description="Açıklama", amount="Tutar")
    lines = read_statement(text.encode(), [columns]).lines
    assert len({x.key for x in lines}) == 2


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (sample("wrong_balance.sta"), "Line 9"),
        (sample("november_1.sta").replace(b":61:2611271127C500,00", b":61:26112C500,00"), "Line 7"),
        (sample("november_1.sta").replace(b":86:KIRA", b":99:KIRA"), "Line 10"),
        (sample("camt053.xml").replace(b'<Amt Ccy="TRY">200.00', b'<Amt Ccy="TRY">2x0'), "Line 38"),
        (
            sample("camt053.xml").replace(b"</Ntry>\n      <Ntry>", b"</Ntry>\n      <Ntry"),
            "Line 3",
        ),
        (sample("ziraat.csv").replace(b"1.250,00", b"bin lira"), "Line 2"),
        (sample("ziraat.csv").replace(b"30.11.2026;FAST", b"31.11.2026;FAST"), "Line 2"),
        (sample("ziraat.csv").replace(b"ZEYNEP DEMIR", b"ZEYNEP;DEMIR"), "Line 2"),
    ],
)
def test_a_malformed_file_is_refused_with_its_line(app_ctx, data, where):
    with pytest.raises(StatementError) as refused:
        read_statement(data, [ZIRAAT])
    assert str(refused.value).startswith(where), str(refused.value)


def test_xml_with_a_dtd_is_refused_and_expands_nothing(app_ctx):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<Document><BkToCstmrStmt>&b;</BkToCstmrStmt></Document>"
    )
    with pytest.raises(StatementError, match="DTD"):
        read_statement(bomb)


@pytest.mark.parametrize("data", [b"", b"   \n", b"\xff\xfe\x00garbage\x00", b"hello"])
def test_what_is_no_statement_at_all(app_ctx, data):
    with pytest.raises(StatementError):
        read_statement(data, [ZIRAAT])


# -- BANK_ACCOUNTS -------------------------------------------------------------------------


def test_bank_accounts_are_read_and_their_ibans_checked():
    [account] = read_bank_accounts(
        '[{"bank": "Ziraat", "holder": "Example Relief", '
        '"iban": "TR33 0006 1005 1978 6457 8413 26", "currency": "TRY"}]'
    )
    assert account.iban == "TR330006100519786457841326"
    assert account.iban_printed == "TR33 0006 1005 1978 6457 8413 26"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{", "is not JSON"),
        ('{"bank": "x"}', "must be a JSON list"),
        ('[{"bank": "x"}]', "exactly bank, holder, iban and currency"),
        (
            '[{"bank": "Z", "holder": "H", "iban": "TR33 0006 1005 1978 6457 8413 27", '
            '"currency": "TRY"}]',
            "not a valid IBAN",
        ),
        (
            '[{"bank": "Z", "holder": "H", "iban": "TR330006100519786457841326", '
            '"currency": "XXX"}]',
            "unknown currency",
        ),
    ],
)
def test_a_wrong_bank_account_stops_the_app(text, why):
    with pytest.raises(RuntimeError, match=why):
        read_bank_accounts(text)
