"""A donor's gift: what was chosen, who gave it, and where its payment stands."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from campaigns.addresses import email_key
from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, enum_type, new_token, utcnow
from campaigns.models.campaign import Campaign, Designation, DonationOption


class DonationStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    EXPIRED = "expired"
    DISPUTED = "disputed"
    LOST = "lost"


class Frequency(enum.StrEnum):
    ONCE = "once"
    MONTHLY = "monthly"


S = DonationStatus
# Status moves only forward along these edges, except that a won dispute returns to paid
# and a refund that fails after succeeding returns to what the refunds left. The one way
# to move along them is settlement.advance (a compare-and-set on the status read).
TRANSITIONS: dict[DonationStatus, frozenset[DonationStatus]] = {
    S.PENDING: frozenset({S.PAID, S.FAILED, S.EXPIRED}),
    S.PAID: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PAID, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED}),
    S.DISPUTED: frozenset({S.PAID, S.PARTIALLY_REFUNDED, S.LOST}),
    S.REFUNDED: frozenset({S.PAID, S.PARTIALLY_REFUNDED}),
    S.FAILED: frozenset(),
    S.EXPIRED: frozenset(),
    S.LOST: frozenset(),
}


class Donation(db.Model):
    """One gift (or one monthly instalment, with ``parent`` naming the subscription's first)."""

    __tablename__ = "donation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    # Indexed by ix_donation_recent, which leads with it.
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("donation_option.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    units: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the donor pays (minor units): the gift, plus ``fee_cover`` when they ticked
    # "cover the fees". The campaign's totals count only the gift (``gift_amount``).
    amount: Mapped[int] = mapped_column(BigInteger)
    fee_cover: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    currency: Mapped[str] = mapped_column(String(3))
    frequency: Mapped[Frequency] = mapped_column(enum_type(Frequency), default=Frequency.ONCE)
    designation: Mapped[Designation] = mapped_column(
        enum_type(Designation), default=Designation.GENERAL
    )
    donor_name: Mapped[str] = mapped_column(String(200))
    donor_email: Mapped[str] = mapped_column(String(254), index=True)
    anonymous: Mapped[bool] = mapped_column(default=False)
    # The donor asked to hear when the charity reports on this campaign.
    updates_opt_in: Mapped[bool] = mapped_column(default=False)
    dedication: Mapped[str] = mapped_column(String(300), default="")
    on_behalf: Mapped[list[str]] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    # When the donor ticked the proxy (vekalet) box of an option that needs it, UTC.
    proxy_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider: Mapped[str] = mapped_column(String(20))
    provider_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_subscription_id: Mapped[str | None] = mapped_column(String(255), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"), index=True)
    subscription_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[DonationStatus] = mapped_column(
        enum_type(DonationStatus), default=DonationStatus.PENDING, index=True
    )
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # Bumped by each staff action on the gift (a refund): a form carries the version it
    # showed, and a compare-and-set on it lets one of two clicks act.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    note: Mapped[str] = mapped_column(Text, default="")
    # Why staff refunded (required with each refund; the latest one, the audit log keeps
    # them all), and the on-behalf names of the shares refunded (taken out of on_behalf,
    # so lists, receipts and counts read only the shares still given).
    refund_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    refunded_on_behalf: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An online gift's checkout closes at this time: a gift still pending then releases
    # its stock (after asking the provider). Null for gifts that never held a checkout.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who holds the stock while the checkout is open: a keyed hash of the client address
    # (never the address itself), for the MAX_HELD_UNITS limit.
    client_key: Mapped[str | None] = mapped_column(String(64))
    # A bank-transfer pledge's reference code, for the donor to write on the transfer
    # (services.giving.bank); unique, so a code names one pledge.
    transfer_code: Mapped[str | None] = mapped_column(String(16), unique=True)

    campaign: Mapped[Campaign] = relationship()
    option: Mapped[DonationOption | None] = relationship()
    parent: Mapped[Donation | None] = relationship(remote_side=[id])

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("fee_cover >= 0 AND fee_cover < amount", name="fee_cover_within_amount"),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"
        ),
        # A campaign page's recent gifts (books.ledger.recent_gifts), and any look-up of a
        # campaign's gifts.
        Index("ix_donation_recent", "campaign_id", "status", "paid_at", "id"),
    )

    @property
    def gift_amount(self) -> int:
        """What the campaign receives: the amount paid less the fee cover."""
        return self.amount - (self.fee_cover or 0)

    def share_name(self, share: int) -> str:
        """The name share ``share`` (0-based) is given on behalf of: its ``on_behalf``
        name, or the donor's own when the option asks for none."""
        names = self.on_behalf or []
        return names[share] if share < len(names) else self.donor_name

    @validates("donor_email")
    def _normalise_email(self, _key: str, address: str) -> str:
        """Stored in email_key's form, however it was typed: donors are matched on it."""
        return email_key(address)
