"""The ledger: append-only, signed money movements. Campaign totals are its sum."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, enum_type, utcnow
from campaigns.models.donation import Donation


class LedgerKind(enum.StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"
    DISPUTE = "dispute"
    DISPUTE_WON = "dispute_won"
    OFFLINE_GIFT = "offline_gift"
    # A refund that succeeded and later failed (the donor's bank returned the money to us):
    # gives back exactly what that refund's entry took.
    REFUND_FAILED = "refund_failed"
    # What a donor added to cover the fees (Donation.fee_cover), beside the gift's own
    # entry; and its part of a refund or dispute, taken back. Neither moves the campaign's
    # totals: they count the gift.
    FEE_COVER = "fee_cover"
    FEE_COVER_RETURNED = "fee_cover_returned"

    @property
    def sign(self) -> int:
        negative = (LedgerKind.REFUND, LedgerKind.DISPUTE, LedgerKind.FEE_COVER_RETURNED)
        return -1 if self in negative else 1

    @property
    def counts_in_totals(self) -> bool:
        """Moves the campaign's totals (raised, units): every kind but the fee cover."""
        return self not in (LedgerKind.FEE_COVER, LedgerKind.FEE_COVER_RETURNED)

    @property
    def is_gift(self) -> bool:
        """A new gift: counts towards a campaign's donations and donors."""
        return self in (LedgerKind.PAYMENT, LedgerKind.OFFLINE_GIFT)


class LedgerEntry(db.Model):
    """One money movement. ``reference`` (charge, refund, dispute, invoice id) is unique,
    so the same movement can never be posted twice."""

    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"), index=True)
    kind: Mapped[LedgerKind] = mapped_column(enum_type(LedgerKind))
    amount: Mapped[int] = mapped_column(BigInteger)  # signed, minor units
    units: Mapped[int] = mapped_column(BigInteger, default=0)  # signed
    # What this entry moved the campaign's units_remainder by (a gift counted by price).
    carried: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(255), unique=True)
    donor_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    donation: Mapped[Donation | None] = relationship()
