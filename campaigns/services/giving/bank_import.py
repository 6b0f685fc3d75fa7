"""Bank statements imported: each credit line stored once, matched to its pledge by the
reference code in its description and by amount and currency, and paid through the same
settlement path as a card gift (``settlement.mark_paid``: the ledger entry, the receipt,
the thank-you). What does not match waits for staff (``bank_queue``).

Exactly once: a line's identity (``BankLine.line_key``: the bank's transaction id, else
a hash of the line) is unique in the database, and each line is inserted with ON CONFLICT
DO NOTHING; only the import that inserted it goes on to match it. So the same file
imported twice, two overlapping statements, or two imports of one file at the same
moment (the second waits on the first's insert, then finds it there) post nothing twice.
The ledger entry's reference is ``bank:<line_key>``, unique too.

A file is parsed whole before anything is stored (``statements.read_statement``): a
malformed one raises StatementError (line number, what is wrong) and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import BankCsvFormat, BankLine, Donation, DonationStatus
from campaigns.models.bank import LineProblem, LineStatus
from campaigns.models.base import utcnow
from campaigns.money import CURRENCIES, format_plain
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change
from campaigns.services.giving.offline import OfflineGiftForm, PaymentMethod, record_offline_gift
from campaigns.services.giving.settlement import Outcome, mark_paid
from campaigns.services.sql import insert_many_ignoring_duplicates
from campaigns.settings import Settings
from campaigns.statements import CsvColumns, Statement, StatementLine, plain, read_statement
from campaigns.statements.codes import codes_in
from campaigns.text import column_length, read_text

MAX_FILE_NAME = 200
BATCH = 500  # lines per INSERT, codes per lookup


@dataclass(frozen=True)
class ImportReport:
    """What an import did: credits in the file, new lines, of which matched and waiting;
    lines already imported before (nothing done with them)."""

    format: str
    credits: int
    new: int
    matched: int
    waiting: int

    @property
    def known(self) -> int:
        return self.credits - self.new


def csv_formats(session: Session) -> list[CsvColumns]:
    """The banks' CSV columns staff set, as the CSV reader takes them."""
    return [
        CsvColumns(
            bank=f.bank,
            date=f.date_column,
            description=f.description_column,
            amount=f.amount_column,
            currency=f.currency_column,
            default_currency=f.currency,
            transaction_id=f.transaction_id_column,
            sender=f.sender_column,
        )
        for f in session.scalars(select(BankCsvFormat).order_by(BankCsvFormat.id))
    ]


def parse_file(session: Session, data: bytes) -> Statement:
    """The statement in ``data``, or StatementError; stores nothing."""
    return read_statement(data, csv_formats(session))


def import_statement(
    session: Session,
    settings: Settings,
    statement: Statement,
    *,
    file_name: str,
    actor: Actor | None,
    today: date,
) -> ImportReport:
    """Store the statement's new lines and pay the pledges they name; returns what it
    did. Flushes only: the edge commits once, so the whole file is in or none of it.

    The pledges the file names are read in one query, each line is judged against them,
    and the lines are inserted in batches (ON CONFLICT DO NOTHING RETURNING their keys):
    a line stored before, by this or a concurrent import, comes back from no insert and
    is left alone. Only then is each new matching line paid."""
    name = plain(file_name, MAX_FILE_NAME)
    pledges = _pledges_named(session, statement.lines)
    judged = {item.key: _judge(item, pledges) for item in statement.lines}
    rows = [_row(item, *judged[item.key], name) for item in statement.lines]
    new: set[str] = set()
    for start in range(0, len(rows), BATCH):
        new.update(
            insert_many_ignoring_duplicates(
                session, BankLine, rows[start : start + BATCH], returning=BankLine.line_key
            ).scalars()
        )
    paying = [
        key
        for key, (pledge, problem, _code) in judged.items()
        if key in new and pledge and not problem
    ]
    matched = 0
    for start in range(0, len(paying), BATCH):
        lines = session.scalars(
            select(BankLine).where(BankLine.line_key.in_(paying[start : start + BATCH]))
        )
        for line in lines:
            pledge = judged[line.line_key][0]
            if (
                pay_pledge(session, settings, line, pledge, actor=actor, today=today)
                == Outcome.PAID
            ):
                matched += 1
    report = ImportReport(
        statement.format, len(statement.lines), len(new), matched, len(new) - matched
    )
    record_change(
        session,
        actor=actor,
        action="bank.import",
        entity_type="bank_statement",
        entity_id=None,
        after={
            "file": name,
            "format": statement.format,
            "account": statement.account,
            "credits": report.credits,
            "new": report.new,
            "matched": report.matched,
            "waiting": report.waiting,
        },
    )
    return report


def _pledges_named(session: Session, lines: list[StatementLine]) -> dict[str, Donation]:
    """Every pledge whose code some line's description carries, by code."""
    wanted = sorted({code for item in lines for code in codes_in(item.description)})
    found: dict[str, Donation] = {}
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        for pledge in session.scalars(select(Donation).where(Donation.transfer_code.in_(chunk))):
            found[pledge.transfer_code or ""] = pledge
    return found


def _judge(
    item: StatementLine, pledges: dict[str, Donation]
) -> tuple[Donation | None, LineProblem | None, str]:
    """The pledge a line names by its code, and why it may not pay it (None: it may),
    and the code. No code of a pledge in it (none written, or mistyped): NO_CODE."""
    named = [pledges[c] for c in codes_in(item.description) if c in pledges]
    if not named:
        return None, LineProblem.NO_CODE, ""
    pledge = next((p for p in named if p.status == DonationStatus.PENDING), named[0])
    code = pledge.transfer_code or ""
    if pledge.status != DonationStatus.PENDING:
        return pledge, LineProblem.PLEDGE_CLOSED, code
    if pledge.currency != item.currency:
        return pledge, LineProblem.CURRENCY, code
    if item.amount < pledge.amount:
        return pledge, LineProblem.UNDERPAID, code
    return pledge, None, code


def _row(
    item: StatementLine,
    pledge: Donation | None,
    problem: LineProblem | None,
    code: str,
    file_name: str,
) -> dict:
    return {
        "line_key": item.key,
        "bank_reference": item.bank_reference,
        "booked_on": item.booked_on,
        "amount": item.amount,
        "currency": item.currency,
        "description": item.description,
        "sender": item.sender,
        "status": LineStatus.WAITING.value,
        "problem": problem.value if problem else None,
        "code": code,
        "donation_id": pledge.id if pledge is not None else None,
        "note": "",
        "file_name": file_name,
        "imported_at": utcnow(),
    }


def pay_pledge(
    session: Session,
    settings: Settings,
    line: BankLine,
    pledge: Donation,
    *,
    actor: Actor | None,
    today: date,
) -> Outcome:
    """``line`` pays ``pledge`` (pending, same currency, at least its amount): the pledge
    is paid through ``mark_paid`` under the reference ``bank:<line_key>``, and what the
    line brought beyond it becomes a gift of its own to the same campaign, receipted."""
    outcome = mark_paid(session, settings, pledge, payment_id=f"bank:{line.line_key}")
    if outcome != Outcome.PAID:
        line.problem = LineProblem.PLEDGE_CLOSED
        session.flush()
        return outcome
    line.status = LineStatus.MATCHED
    line.problem = None
    line.donation_id = pledge.id
    line.code = pledge.transfer_code or ""
    extra = line.amount - pledge.amount
    if extra > 0:
        form = OfflineGiftForm(
            amount=format_plain(extra, line.currency, pledge.locale),
            designation=pledge.designation.value,
            method=PaymentMethod.BANK_TRANSFER.value,
            donor_name=pledge.donor_name,
            donor_email=pledge.donor_email,
            received_on=line.booked_on.isoformat(),
            note=line.description,
        )
        gift = record_offline_gift(
            session,
            pledge.campaign,
            form,
            locale=pledge.locale,
            today=max(today, line.booked_on),
            actor=actor,
            receipts=settings.receipts,
        )
        line.extra_donation_id = gift.id
    session.flush()
    record_change(
        session,
        actor=actor,
        action="bank_line.matched",
        entity_type="bank_line",
        entity_id=line.id,
        after={"donation": pledge.token, "code": line.code, "extra": max(extra, 0)},
    )
    return outcome


@dataclass
class CsvFormatForm:
    """A bank's CSV columns as staff type them (the header row's names)."""

    bank: str = ""
    date_column: str = ""
    description_column: str = ""
    amount_column: str = ""
    currency_column: str = ""
    currency: str = "TRY"
    transaction_id_column: str = ""
    sender_column: str = ""


def add_csv_format(session: Session, form: CsvFormatForm, *, actor: Actor) -> BankCsvFormat:
    """Remember how one bank's CSV names its columns; FormInvalid per field."""
    errors: dict[str, str] = {}
    limit = column_length(BankCsvFormat.bank)
    required = ("bank", "date_column", "description_column", "amount_column")
    values = {
        name: read_text(getattr(form, name), name, limit, errors, required=name in required)
        for name in (*required, "currency_column", "transaction_id_column", "sender_column")
    }
    if form.currency not in CURRENCIES:
        errors["currency"] = _("Please choose a currency.")
    taken = session.scalar(select(BankCsvFormat.id).where(BankCsvFormat.bank == values["bank"]))
    if taken is not None:
        errors["bank"] = _("This bank's columns are set already.")
    if errors:
        raise FormInvalid(errors)
    columns = BankCsvFormat(currency=form.currency, **values)
    session.add(columns)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="bank.csv_format",
        entity_type="bank_csv_format",
        entity_id=columns.id,
        after=values | {"currency": form.currency},
    )
    return columns
