"""The streamed .xlsx writer (``services/books/xlsx.py``), read back with openpyxl: typed
cells, hostile text kept as text Excel can open, sheets rolled over at Excel's limits, and
the first piece sent before the rows are all read."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
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


def sheet_xml(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()


def test_text_that_looks_like_an_escaped_character_stays_literal():
    # Excel and LibreOffice read "_x000D_" in a cell's text as a carriage return (openpyxl
    # does not, so the file's text is checked against the spec's own unescaping).
    from openpyxl.utils.escape import unescape

    name = "Ayşe_x000D_Yılmaz_x0009_ _XABCD_ _x12_"
    xml = sheet_xml(write([[[1, None, None, name]]]))
    written = xml.split("<t>")[-1].split("</t>")[0]
    assert written == "Ayşe_x005F_x000D_Yılmaz_x005F_x0009_ _XABCD_ _x12_"
    assert unescape(written) == name


def test_text_is_cut_at_excels_limit_in_utf16_units():
    emoji = "😀" * MAX_TEXT  # two units each
    cells = load_workbook(
        io.BytesIO(write([[[1, None, None, emoji], [2, None, None, "a" * (MAX_TEXT - 1) + "😀"]]]))
    )
    column = [cell.value for cell in cells["gifts"]["D"][1:]]
    assert column == ["😀" * (MAX_TEXT // 2), "a" * (MAX_TEXT - 1)]  # no half emoji


def test_times_are_whole_seconds_so_none_moves_to_the_next_day():
    # 23:59:59.6 in Istanbul: shown "hh:mm:ss", a spreadsheet would round it to the next
    # day (openpyxl reads it back to the millisecond, so the stored day count is checked).
    late = datetime(2025, 12, 31, 20, 59, 59, 600_000, tzinfo=UTC)
    xml = sheet_xml(write([[[1, late, None, "x"]]]))
    days = float(xml.split('<c r="B2" s="2"><v>')[1].split("</v>")[0])
    shown = datetime(1899, 12, 30) + timedelta(seconds=round(days * 86_400))
    assert shown == datetime(2025, 12, 31, 23, 59, 59)


def test_booleans_are_booleans_and_an_unknown_type_is_refused():
    assert read(write([[[True, None, None, "x"]]]))["gifts"][1][0] is True
    with pytest.raises(TypeError, match="float"):
        write([[[1.5, None, None, "x"]]])


def test_the_workbook_names_a_view_as_excel_expects():
    workbook = zipfile.ZipFile(io.BytesIO(write([]))).read("xl/workbook.xml").decode()
    assert "<bookViews><workbookView/></bookViews><sheets>" in workbook
