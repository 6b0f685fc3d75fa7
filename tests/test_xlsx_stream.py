"""The streamed .xlsx writer (``services/books/xlsx.py``), read back with openpyxl: typed
cells, hostile text kept as text Excel can open, sheets rolled over at Excel's limits, and
the first piece sent before the rows are all read."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from campaigns.services.books import xlsx
from campaigns.services.books.xlsx import MAX_TEXT, column_letter, stream_xlsx

ISTANBUL = ZoneInfo("Europe/Istanbul")
HEADER = ["id", "when", "amount", "name"]
WIDTHS = [10, 20, 12, 28]


def write(batches) -> bytes:
    return b"".join(stream_xlsx("gifts", HEADER, WIDTHS, batches, ISTANBUL))


def read(data: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


def test_cells_are_typed_and_dates_are_local():
    rows = [
        [1, datetime(2026, 3, 1, 12, 0, tzinfo=UTC), Decimal("1234.50"), "Ayşe"],
        [2, None, Decimal("5000"), ""],
    ]
    data = write([rows])
    assert read(data) == {
        "gifts": [
            tuple(HEADER),
            (1, datetime(2026, 3, 1, 15, 0), 1234.5, "Ayşe"),
            (2, None, 5000, None),
        ]
    }
    sheet = load_workbook(io.BytesIO(data))["gifts"]
    assert sheet["B2"].is_date and sheet["B2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["C2"].number_format == "#,##0.00"  # a Decimal keeps its places
    assert sheet["C3"].number_format == "#,##0"  # yen have none
    assert sheet["A1"].font.b  # the header is bold, and stays in view
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 20


def test_hostile_text_stays_text_that_excel_can_open():
    names = [
        '=HYPERLINK("http://evil.example","click")',
        "Ali\x00\x01\x0b\x1f Veli\ufffe",
        "  two spaces each side  ",
        "<b>&amp; \"quoted\" 'text'</b>",
        "أحمد علي \u202e reversed",
        "x" * (MAX_TEXT + 5000),
    ]
    data = write([[[n, None, None, name] for n, name in enumerate(names)]])
    cells = load_workbook(io.BytesIO(data))["gifts"]["D"][1:]
    assert [cell.value for cell in cells] == [
        names[0],
        "Ali Veli",
        names[2],
        names[3],
        names[4],
        "x" * MAX_TEXT,
    ]
    assert {cell.data_type for cell in cells} == {"s"}  # never a formula


def test_no_rows_is_the_header_alone():
    assert read(write([])) == {"gifts": [tuple(HEADER)]}
    assert read(write([[], []])) == {"gifts": [tuple(HEADER)]}


def test_rows_go_on_in_another_sheet_at_excels_row_limit(monkeypatch):
    monkeypatch.setattr(xlsx, "SHEET_ROWS", 4)  # the header and 3 rows
    rows = [[n, None, Decimal(n), f"donor {n}"] for n in range(7)]
    sheets = read(write([rows[:2], rows[2:5], rows[5:]]))
    assert list(sheets) == ["gifts", "gifts 2", "gifts 3"]
    assert [len(rows) for rows in sheets.values()] == [4, 4, 2]
    assert all(rows[0] == tuple(HEADER) for rows in sheets.values())
    assert [row[0] for rows in sheets.values() for row in rows[1:]] == list(range(7))


def test_a_sheet_never_needs_zip64(monkeypatch):
    # A sheet's XML is closed before zipfile's 2 GiB limit for an entry without ZIP64
    # (which Excel opens best): here the limit is a few rows' worth.
    monkeypatch.setattr(xlsx, "SHEET_BYTES", 3000)
    rows = [[n, None, None, "ö" * 400] for n in range(8)]
    data = write([rows])
    sheets = read(data)
    assert len(sheets) > 1
    assert [row[0] for rows in sheets.values() for row in rows[1:]] == list(range(8))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert {info.extract_version for info in archive.infolist()} == {20}  # no ZIP64


def test_the_first_piece_leaves_before_the_rows_are_all_read():
    read_batches = []

    def batches():
        for n in range(40):
            read_batches.append(n)
            yield [[n * 1000 + k, None, None, f"donor {n}-{k} " * 8] for k in range(1000)]

    pieces = stream_xlsx("gifts", HEADER, WIDTHS, batches(), ISTANBUL)
    first = next(pieces)
    assert first.startswith(b"PK") and len(first) >= xlsx.PIECE
    assert len(read_batches) < 10  # not the 40 there are
    rest = list(pieces)
    assert len(rest) > 5  # sent in pieces all the way
    assert sum(len(rows) for rows in read(first + b"".join(rest)).values()) == 40_001


@pytest.mark.parametrize(
    ("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letters(index, letters):
    assert column_letter(index) == letters


def test_a_download_stopped_half_way_ends_quietly():
    """The client going away closes the generator: nothing is raised or left open (an
    open zip entry would make the zip's close raise, logged with each cancelled export)."""

    def batches():
        for n in range(40):
            yield [[n * 1000 + k, None, None, f"donor {n}-{k} " * 8] for k in range(1000)]

    pieces = stream_xlsx("gifts", HEADER, WIDTHS, batches(), ISTANBUL)
    assert next(pieces).startswith(b"PK")
    pieces.close()  # raises on an open entry


def test_a_failing_read_is_raised_as_itself():
    def batches():
        yield [[1, None, None, "first"]]
        raise ConnectionError("the database went away")

    with pytest.raises(ConnectionError, match="went away"):
        b"".join(stream_xlsx("gifts", HEADER, WIDTHS, batches(), ISTANBUL))
