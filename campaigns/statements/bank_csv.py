"""The CSV a bank exports, read with the column names staff set once for that bank
(``CsvColumns``): the file's header row picks the first format whose columns it has.

The delimiter (";", ",", tab) is told from the header row. Amounts may be Turkish
("1.250,50") or not; only positive amounts (money in) become lines.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence

from flask_babel import gettext as _

from campaigns.statements import CsvColumns, Statement, StatementError, StatementLine
from campaigns.statements.amounts import date_of, decimal_of, minor_units

MAX_FIELD = 2000


def _header_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _format_for(header: list[str], formats: Sequence[CsvColumns]) -> CsvColumns:
    have = {_header_key(h) for h in header}
    for columns in formats:
        wanted = [columns.date, columns.description, columns.amount]
        wanted += [c for c in (columns.currency, columns.transaction_id, columns.sender) if c]
        if all(_header_key(w) in have for w in wanted):
            return columns
    raise StatementError(
        1,
        _(
            "no bank's CSV columns match this header (%(header)s); set the bank's columns "
            "on the import page first",
            header=", ".join(header[:12]),
        ),
    )


def read(text: str, formats: Sequence[CsvColumns]) -> Statement:
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    delimiter = max(";,\t|", key=first.count)
    if first.count(delimiter) == 0:
        raise StatementError(1, _("not MT940, camt.053 XML or a CSV with a header row"))
    rows = csv.reader(text.lstrip("\ufeff").splitlines(), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(rows)]
        columns = _format_for(header, formats)
        index = {_header_key(h): i for i, h in enumerate(header)}

        def cell(row: list[str], name: str) -> str:
            return row[index[_header_key(name)]].strip() if name else ""

        lines = []
        for row in rows:
            n = rows.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise StatementError(
                    n,
                    _(
                        "%(got)d columns where the header has %(want)d",
                        got=len(row),
                        want=len(header),
                    ),
                )
            if any(len(c) > MAX_FIELD for c in row):
                raise StatementError(n, _("a field is too long"))
            try:
                value = decimal_of(cell(row, columns.amount))
                code = (cell(row, columns.currency) or columns.default_currency).upper()
                booked_on = date_of(cell(row, columns.date))
                if value <= 0:
                    continue
                minor = minor_units(value, code)
            except ValueError as error:
                raise StatementError(n, str(error)) from error
            lines.append(
                StatementLine(
                    booked_on=booked_on,
                    amount=minor,
                    currency=code,
                    description=" ".join(cell(row, columns.description).split()),
                    sender=" ".join(cell(row, columns.sender).split())[:200],
                    bank_reference=cell(row, columns.transaction_id)[:80],
                    line=n,
                )
            )
    except csv.Error as error:
        raise StatementError(rows.line_num, _("not valid CSV (%(e)s)", e=error)) from error
    return Statement(columns.bank, columns.bank, lines)
