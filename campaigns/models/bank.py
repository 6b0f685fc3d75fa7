"""Bank transfers: the lines of imported bank statements, and how staff map a bank's CSV.

A pledge itself is a ``Donation`` (provider ``bank_transfer``) carrying a ``transfer_code``.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, enum_type, utcnow
from campaigns.models.donation import Donation


class LineStatus(enum.StrEnum):
    """Where a statement line stands."""

    WAITING = "waiting"  # in the queue, for staff
    MATCHED = "matched"  # paid a pledge
    RECORDED = "recorded"  # recorded by staff as a gift
    NOT_DONATION = "not_donation"  # marked by staff as no gift (a supplier's refund, ...)


class LineProblem(enum.StrEnum):
    """Why a line was not matched on import (staff read it in the queue)."""

    NO_CODE = "no_code"  # no pledge's code in the description (none, or mistyped)
    PLEDGE_CLOSED = "pledge_closed"  # the pledge is no longer waiting (expired, paid)
    CURRENCY = "currency"  # not the pledge's currency
    UNDERPAID = "underpaid"  # less than pledged


class BankLine(db.Model):
    """One credit line of a bank statement, stored once however often it is imported.

    ``line_key`` is the line's identity: the bank's transaction id where the statement gives
    one, else a hash of what the line says (see ``statements.StatementLine.key``). Its
    unique index is what makes a re-import or an overlapping statement post nothing twice.
    """

    __tablename__ = "bank_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_key: Mapped[str] = mapped_column(String(120), unique=True)
    bank_reference: Mapped[str] = mapped_column(String(120), default="")
    booked_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text, default="")
    sender: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[LineStatus] = mapped_column(
        enum_type(LineStatus), default=LineStatus.WAITING, index=True
    )
    # Why it waited after import, and the code found in it (if any).
    problem: Mapped[LineProblem | None] = mapped_column(enum_type(LineProblem))
    code: Mapped[str] = mapped_column(String(16), default="")
    # Staff's reason for a line that is no donation.
    note: Mapped[str] = mapped_column(Text, default="")
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"), index=True)
    # A line paying more than its pledge: the gift made of the rest.
    extra_donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"))
    file_name: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    donation: Mapped[Donation | None] = relationship(foreign_keys=[donation_id])

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class BankCsvFormat(db.Model):
    """How one bank's CSV export names its columns, set once by staff. A CSV file is read
    with the first format whose columns its header row has."""

    __tablename__ = "bank_csv_format"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank: Mapped[str] = mapped_column(String(100), unique=True)
    date_column: Mapped[str] = mapped_column(String(100))
    description_column: Mapped[str] = mapped_column(String(100))
    amount_column: Mapped[str] = mapped_column(String(100))
    # Empty: every line is in ``currency``.
    currency_column: Mapped[str] = mapped_column(String(100), default="")
    currency: Mapped[str] = mapped_column(String(3), default="TRY")
    transaction_id_column: Mapped[str] = mapped_column(String(100), default="")
    sender_column: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
