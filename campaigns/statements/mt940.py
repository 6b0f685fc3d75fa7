"""SWIFT MT940 statements, read with the ``mt-940`` library.

The library is lenient: it skips what it does not know. So the file is first checked here
line by line (each field's tag, the :60F:/:62F: balances, each :61: line's form, and that
the opening balance plus the lines gives the closing one), with the line number of the
first problem; then the library reads the fields.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import mt940
from flask_babel import gettext as _

from campaigns.statements import Statement, StatementError, StatementLine
from campaigns.statements.amounts import decimal_of, minor_units

TAGS = {"20", "21", "25", "28", "28C", "60F", "60M", "61", "62F", "62M", "64", "65", "86", "13D"}
BALANCE = re.compile(r"([CD])(\d{6})([A-Z]{3})(\d{1,15},\d{0,3})")
ENTRY = re.compile(r"(\d{6})(\d{4})?(R?[CD])([A-Z])?(\d{1,15},\d{0,3})([A-Z][A-Z0-9]{3})(.*)")
FIELD = re.compile(r":(\d{2}[A-Z]?):(.*)")


def _balance(text: str, n: int) -> tuple[Decimal, str]:
    match = BALANCE.fullmatch(text.strip())
    if not match:
        raise StatementError(n, _("a balance must read like C261130TRY1250,50"))
    value = decimal_of(match.group(4))
    return (value if match.group(1) == "C" else -value), match.group(3)


def _check(text: str) -> list[int]:
    """Check the file's structure; return the line number of each :61: entry."""
    entries: list[int] = []
    opening: Decimal | None = None
    currency = ""
    moved = Decimal(0)
    seen_field = False
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line or line == "-" or line.startswith(("{", "}")):
            continue
        match = FIELD.match(line)
        if match is None:
            if not seen_field:
                raise StatementError(n, _("an MT940 field must start with a tag such as :20:"))
            continue  # a continuation of the field above (:86: spans several lines)
        seen_field = True
        tag, value = match.groups()
        if tag not in TAGS:
            raise StatementError(n, _("unknown MT940 field :%(tag)s:", tag=tag))
        if tag in ("60F", "60M"):
            opening, currency = _balance(value, n)
            moved = Decimal(0)
        elif tag == "61":
            entry = ENTRY.fullmatch(value.strip())
            if entry is None:
                raise StatementError(
                    n, _("a :61: line must read like 2611301130C1250,50NTRFNONREF")
                )
            if opening is None:
                raise StatementError(n, _("a :61: line before the opening balance :60F:"))
            amount = decimal_of(entry.group(5))
            moved += -amount if entry.group(3) in ("D", "RC") else amount
            entries.append(n)
        elif tag in ("62F", "62M"):
            closing, closing_currency = _balance(value, n)
            if opening is None:
                raise StatementError(n, _("a closing balance without an opening balance"))
            if closing_currency != currency or opening + moved != closing:
                raise StatementError(
                    n,
                    _(
                        "the closing balance %(closing)s is not the opening balance plus "
                        "the lines (%(sum)s)",
                        closing=closing,
                        sum=opening + moved,
                    ),
                )
            opening = None
    if opening is not None:
        raise StatementError(None, _("The statement has no closing balance :62F:."))
    if not seen_field:
        raise StatementError(None, _("The file has no MT940 fields."))
    return entries


def read(text: str) -> Statement:
    numbers = _check(text)
    transactions = mt940.models.Transactions()
    try:
        transactions.parse(text)
    except Exception as error:  # the library raises bare ValueErrors and worse
        raise StatementError(None, _("The MT940 file cannot be read: %(e)s", e=error)) from error
    if len(transactions.transactions) != len(numbers):
        raise StatementError(None, _("The MT940 file cannot be read."))
    account = str(transactions.data.get("account_identification") or "")
    lines = []
    for n, transaction in zip(numbers, transactions.transactions, strict=True):
        data = transaction.data
        if data.get("status") != "C":
            continue  # debits and reversals are not gifts
        amount = data["amount"]
        try:
            minor = minor_units(amount.amount, amount.currency)
        except ValueError as error:
            raise StatementError(n, str(error)) from error
        reference = str(data.get("bank_reference") or "")
        if reference.upper() == "NONREF":
            reference = ""
        lines.append(
            StatementLine(
                booked_on=date(data["date"].year, data["date"].month, data["date"].day),
                amount=minor,
                currency=amount.currency,
                description=" ".join(str(data.get("transaction_details") or "").split()),
                bank_reference=reference,
                line=n,
            )
        )
    return Statement("mt940", account, lines)
