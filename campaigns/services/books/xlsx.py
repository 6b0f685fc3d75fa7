"""A streamed .xlsx writer: the workbook's zip is sent while its rows are still being read.

openpyxl (even write-only) zips the workbook only once every row is in, so the first byte
of 1,000,000 gifts left after minutes, long past any proxy's read timeout. Here the zip is
written to a sink that cannot seek (``zipfile`` then puts each entry's sizes in a data
descriptor after its data) and drained after every batch: the first bytes leave at once
and memory stays flat.

The sheet is plain SpreadsheetML: text as inline strings (no shared-strings table to hold
in memory), numbers as numbers, dates as Excel serial days with a date format, decimals
with as many places as the Decimal has (1234.50 shows "1,234.50"; 5000 yen "5,000").
[Content_Types].xml declares every .xml part a worksheet by default, so it goes first
without knowing how many sheets there will be; the workbook part, written last, names
them. A sheet holds at most Excel's 1,048,576 rows and under 2 GiB of XML (a zip entry
without ZIP64, which Excel handles best); beyond either the rows go on in another sheet
with the header again. (Past 2 GiB of compressed archive, some 9 million gifts, zipfile
writes ZIP64 records in the central directory all the same.)
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from campaigns.money import decimal_pattern

SHEET_ROWS = 1_048_576  # Excel's rows in a sheet, the header's included
SHEET_BYTES = 1_900_000_000  # a sheet's XML stays under zipfile's 2 GiB without ZIP64
MAX_TEXT = 32_767  # Excel's characters in a cell, counted in UTF-16 units
MAX_PLACES = 4  # decimal places given a number format of their own
PIECE = 64 * 1024  # bytes sent at a time
COMPRESS_LEVEL = 1  # deflate's fastest: the sheet's XML is repetitive enough anyway
EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's (1900, Windows) serial dates
# Characters XML 1.0 does not allow (a control character in a donor's name would make
# Excel refuse the whole file).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
ESCAPED_CHARACTER = re.compile("_(x[0-9A-Fa-f]{4}_)")  # SpreadsheetML's "_x000D_"

XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

DATE_STYLE = 2  # cellXfs index, as styles.xml below
DECIMAL_STYLE = 3  # + places
_XF = '<xf numFmtId="{}" fontId="{}" fillId="0" borderId="0" xfId="0"/>'
STYLES = (
    f'{XML}<styleSheet xmlns="{MAIN}"><numFmts count="{MAX_PLACES + 2}">'
    '<numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/>'
    + "".join(
        f'<numFmt numFmtId="{165 + places}" formatCode="{decimal_pattern(places)}"/>'
        for places in range(MAX_PLACES + 1)
    )
    + "</numFmts>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    f'<cellXfs count="{DECIMAL_STYLE + MAX_PLACES + 1}">'
    + _XF.format(0, 0)
    + _XF.format(0, 1)  # the header: bold
    + _XF.format(164, 0)
    + "".join(_XF.format(165 + places, 0) for places in range(MAX_PLACES + 1))
    + "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
CONTENT_TYPES = (
    f'{XML}<Types xmlns="{PACKAGE}/content-types">'
    '<Default Extension="rels"'
    ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    f'<Default Extension="xml" ContentType="{TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{TYPE}.styles+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    f'{XML}<Relationships xmlns="{PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{RELATIONS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
SHEET_END = b"</sheetData></worksheet>"


class _Sink:
    """What ``zipfile`` writes to: no ``tell`` or ``seek``, so it streams; emptied by
    ``take``."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self._pieces.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._pieces)
        self._pieces.clear()
        self.size = 0
        return data


def column_letter(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_text(value: str) -> str:
    """``value`` as a cell's text: without what XML cannot hold, at most Excel's
    ``MAX_TEXT`` UTF-16 units (an emoji is two; a pair is never cut in half), and with a
    literal "_xHHHH_" kept literal (Excel and LibreOffice read it as an escaped character:
    "_x000D_" in a name would show as a line break)."""
    text = NOT_XML.sub("", value)
    if len(text) > MAX_TEXT // 2:
        text = text.encode("utf-16-le")[: 2 * MAX_TEXT].decode("utf-16-le", "ignore")
    return ESCAPED_CHARACTER.sub(r"_x005F_\1", text) if "_x" in text else text


def _text(ref: str, value: str, style: str = "") -> str:
    text = escape(cell_text(value))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _cell(ref: str, value: object, tz: tzinfo) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return _text(ref, value)
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, Decimal):
        places = min(max(-value.as_tuple().exponent, 0), MAX_PLACES)  # type: ignore[operator]
        return f'<c r="{ref}" s="{DECIMAL_STYLE + places}"><v>{value:f}</v></c>'
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz).replace(tzinfo=None)
        delta = value - EXCEL_EPOCH
        # Whole seconds, as the cell shows them: 23:59:59.6 would round to the next day.
        days = delta.days + delta.seconds / 86_400
        return f'<c r="{ref}" s="{DATE_STYLE}"><v>{days!r}</v></c>'
    raise TypeError(f"no spreadsheet cell for {type(value).__name__}")


def _row(number: int, letters: Sequence[str], values: Sequence[object], tz: tzinfo) -> bytes:
    cells = "".join(
        _cell(f"{letter}{number}", value, tz) for letter, value in zip(letters, values, strict=True)
    )
    return f'<row r="{number}">{cells}</row>'.encode()


def _sheet_start(header: Sequence[str], widths: Sequence[float]) -> bytes:
    columns = "".join(
        f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
        for n, width in enumerate(widths, start=1)
    )
    head = "".join(_text(f"{column_letter(n)}1", name, ' s="1"') for n, name in enumerate(header))
    return (
        f'{XML}<worksheet xmlns="{MAIN}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        "</sheetView></sheetViews>"
        f"<cols>{columns}</cols><sheetData>"
        f'<row r="1">{head}</row>'
    ).encode()


def _workbook(names: Sequence[str]) -> tuple[str, str]:
    """xl/workbook.xml naming the sheets, and its relationships to them and the styles."""
    sheets = "".join(
        f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(names, start=1)
    )
    workbook = (
        f'{XML}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}">'
        # Optional, but Excel has crashed printing a workbook without it.
        "<bookViews><workbookView/></bookViews>"
        f"<sheets>{sheets}</sheets></workbook>"
    )
    targets = [("worksheet", f"worksheets/sheet{n}.xml") for n in range(1, len(names) + 1)]
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{RELATIONS}/{kind}" Target="{target}"/>'
        for n, (kind, target) in enumerate([*targets, ("styles", "styles.xml")], start=1)
    )
    return workbook, f'{XML}<Relationships xmlns="{PACKAGE}/relationships">{rels}</Relationships>'


def stream_xlsx(
    title: str,
    header: Sequence[str],
    widths: Sequence[float],
    batches: Iterable[Sequence[Sequence[object]]],
    tz: tzinfo,
) -> Iterator[bytes]:
    """The .xlsx bytes of ``header`` and the rows of ``batches``, in pieces of at least
    ``PIECE`` bytes but the last. Sheets are called ``title``, then "``title`` 2" and so
    on; aware datetimes are shown in ``tz`` (a cell has no time zone)."""
    sink = _Sink()
    letters = [column_letter(n) for n in range(len(header))]
    start = _sheet_start(header, widths)
    names: list[str] = []
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:

        def next_sheet():
            names.append(f"{title} {len(names) + 1}" if names else title)
            sheet = zf.open(f"xl/worksheets/sheet{len(names)}.xml", "w")
            sheet.write(start)
            return sheet

        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", PACKAGE_RELS)
        sheet = None
        rows = size = 0  # in the open sheet, its header included
        try:
            for batch in batches:
                parts: list[bytes] = []
                for row in batch:
                    if sheet is None or rows == SHEET_ROWS or size >= SHEET_BYTES:
                        if sheet is not None:
                            sheet.write(b"".join(parts) + SHEET_END)
                            sheet.close()
                            parts.clear()
                        sheet = next_sheet()
                        rows, size = 1, len(start)
                    rows += 1
                    parts.append(_row(rows, letters, row, tz))
                    size += len(parts[-1])
                if parts:
                    sheet.write(b"".join(parts))  # type: ignore[union-attr]
                if sink.size >= PIECE:
                    yield sink.take()
            sheet = sheet or next_sheet()  # no rows: the header alone
            sheet.write(SHEET_END)
        finally:
            # Also when the download stops half-way (the client went away, the database
            # failed): the zip cannot be closed over an open entry.
            if sheet is not None:
                sheet.close()
        workbook, workbook_rels = _workbook(names)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        zf.writestr("xl/styles.xml", STYLES)
    yield sink.take()
