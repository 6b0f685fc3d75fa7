"""Receipts: numbered without gaps per year, stored once as PDF bytes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, new_token, utcnow
from campaigns.models.donation import Donation


class Receipt(db.Model):
    """A receipt for one donation (or a donor's statement for a period when donation is None)."""

    __tablename__ = "receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("receipt.id"))

    donation: Mapped[Donation | None] = relationship()
    replaces: Mapped[Receipt | None] = relationship(remote_side=[id])

    __table_args__ = (UniqueConstraint("year", "sequence"),)


class ReceiptCounter(db.Model):
    """The last receipt number used in a year. Taking the next one is a single
    UPDATE ... RETURNING in the issuing transaction: concurrent issuers queue on the row,
    and a rolled-back transaction gives its number back, so numbers have no gaps."""

    __tablename__ = "receipt_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)
