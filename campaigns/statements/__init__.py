"""Bank statements read into lines: MT940 (``mt940.py``), ISO 20022 camt.053
(``camt.py``) and the CSV a bank exports (``bank_csv.py``), told apart by their content.

Pure parsing: no models, no database. A file is read whole or refused whole: the first
problem raises StatementError naming the line it is on, and nothing is returned.
Only credits (money coming in) become lines; debits are left out.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from flask_babel import gettext as _

MAX_KEY = 120  # bank_line.line_key
MAX_DESCRIPTION = 2000
MAX_SENDER = 200  # bank_line.sender


class StatementError(ValueError):
    """A file that cannot be read; ``str()`` says where (line number) and what is wrong."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(_("Line %(n)d: %(what)s", n=line, what=message) if line else message)


@dataclass(frozen=True)
class StatementLine:
    """One credit: the amount in minor units (> 0), and what the bank says about it."""

    booked_on: date
    amount: int
    currency: str
    description: str
    sender: str = ""
    bank_reference: str = ""  # the bank's transaction id, "" when it gives none
    line: int = 0  # where it starts in the file, for messages
    key: str = ""  # its identity across files (set by ``read_statement``)


@dataclass(frozen=True)
class Statement:
    format: str  # "mt940", "camt.053", or the CSV's bank
    account: str
    lines: list[StatementLine] = field(default_factory=list)


@dataclass(frozen=True)
class CsvColumns:
    """How one bank's CSV names its columns (a ``BankCsvFormat``, as plain values)."""

    bank: str
    date: str
    description: str
    amount: str
    currency: str = ""  # empty: every line is in ``default_currency``
    default_currency: str = "TRY"
    transaction_id: str = ""
    sender: str = ""


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows Turkish, as Turkish banks export."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1254", errors="strict")


def plain(text: str, limit: int) -> str:
    """Bank text as stored and shown: control and format characters (a NUL, a bidi
    override) dropped, white space collapsed, cut at ``limit``."""
    kept = "".join(c for c in text if not unicodedata.category(c).startswith("C") or c.isspace())
    return " ".join(kept.split())[:limit]


def _keyed(account: str, lines: list[StatementLine]) -> list[StatementLine]:
    """Each line's identity: the account and the bank's transaction id, or (none given)
    a hash of what the line says and how many identical lines came before it in the file,
    so two equal gifts on one day stay two while an overlapping statement repeats them."""
    seen: Counter = Counter()
    keyed = []
    for raw in lines:
        line = replace(
            raw,
            description=plain(raw.description, MAX_DESCRIPTION),
            sender=plain(raw.sender, MAX_SENDER),
            bank_reference=plain(raw.bank_reference, 80),
        )
        if line.bank_reference:
            key = f"{account}:{line.bank_reference}"
        else:
            what = (account, line.booked_on, line.amount, line.currency, line.description)
            seen[what] += 1
            text = "\x1f".join(map(str, (*what, line.sender, seen[what])))
            key = "h:" + hashlib.sha256(text.encode()).hexdigest()
        if len(key) > MAX_KEY:
            key = "k:" + hashlib.sha256(key.encode()).hexdigest()
        keyed.append(replace(line, key=key))
    return keyed


def read_statement(data: bytes, csv_formats: Sequence[CsvColumns] = ()) -> Statement:
    """The credits of a statement file, its format told from its content; StatementError
    for a file that is not one of them or breaks its format's rules."""
    from campaigns.statements import bank_csv, camt, mt940

    if not data.strip():
        raise StatementError(None, _("The file is empty."))
    try:
        text = decode(data)
    except UnicodeDecodeError as error:
        raise StatementError(None, _("The file is not text.")) from error
    start = text.lstrip()
    if start.startswith("<"):
        statement = camt.read(data)
    elif start.startswith((":20:", "{1:")) or "\n:61:" in text:
        statement = mt940.read(text)
    else:
        statement = bank_csv.read(text, csv_formats)
    return replace(statement, lines=_keyed(statement.account, statement.lines))
