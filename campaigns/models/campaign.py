"""Campaigns, their fixed-price donation options and their running totals."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, enum_type, utcnow


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class Designation(enum.StrEnum):
    GENERAL = "general"
    SADAQAH = "sadaqah"
    ZAKAT = "zakat"


class Campaign(db.Model):
    """A fundraising appeal with one currency, a goal in money and optionally in units."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    story: Mapped[str] = mapped_column(Text, default="")
    cover_image: Mapped[str | None] = mapped_column(String(255))
    cover_alt: Mapped[str] = mapped_column(String(300), default="")
    currency: Mapped[str] = mapped_column(String(3))
    goal_amount: Mapped[int] = mapped_column(BigInteger)
    units_goal: Mapped[int | None] = mapped_column(BigInteger)
    unit_label: Mapped[str | None] = mapped_column(String(80))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[CampaignStatus] = mapped_column(
        enum_type(CampaignStatus),
        default=CampaignStatus.DRAFT,
    )
    # Comma-separated Designation values this campaign offers, e.g. "general,zakat".
    designations: Mapped[str] = mapped_column(String(60), default=Designation.GENERAL.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When what the campaign's page shows last changed, besides its totals and stock: the
    # campaign, its options, the reports linked to it. Every such write calls touch().
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    options: Mapped[list[DonationOption]] = relationship(
        back_populates="campaign", order_by="DonationOption.position"
    )
    totals: Mapped[CampaignTotals] = relationship(back_populates="campaign", uselist=False)

    __table_args__ = (
        CheckConstraint("goal_amount > 0", name="goal_positive"),
        CheckConstraint("units_goal IS NULL OR units_goal > 0", name="units_goal_positive"),
    )

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.totals is None:
            self.totals = CampaignTotals()

    def touch(self) -> None:
        """Mark the campaign's page as changed (the page cache reads ``updated_at``)."""
        self.updated_at = utcnow()

    @property
    def designation_list(self) -> list[Designation]:
        return [Designation(d) for d in self.designations.split(",") if d]

    @property
    def is_public(self) -> bool:
        return self.status != CampaignStatus.DRAFT

    def days_left(self, today: date) -> int | None:
        """Whole days until the campaign ends (0 on its last day), or None without an end."""
        if self.ends_on is None:
            return None
        return max((self.ends_on - today).days, 0)


class DonationOption(db.Model):
    """A fixed-price gift on a campaign ("One sheep", "Food parcel for a family")."""

    __tablename__ = "donation_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(500), default="")
    unit_price: Mapped[int] = mapped_column(BigInteger)
    units: Mapped[int] = mapped_column(BigInteger, default=1)
    stock: Mapped[int | None] = mapped_column(Integer)
    # Units held by open checkouts plus units sold; stock left = stock - reserved.
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    needs_on_behalf: Mapped[bool] = mapped_column(default=False)
    # The donor must authorise the charity to perform the sacrifice for them (vekalet).
    needs_proxy: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Shares of this option go into animals of this many shares (1 a sheep, 7 a cow).
    shares_per_animal: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="options")

    __table_args__ = (
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint(
            "shares_per_animal IS NULL OR shares_per_animal > 0", name="shares_per_animal_positive"
        ),
        CheckConstraint(
            "reserved >= 0 AND (stock IS NULL OR reserved <= stock)", name="reserved_within_stock"
        ),
    )

    def __init__(self, **kwargs) -> None:
        # Column defaults arrive only at INSERT; stock_left must work on a new option too.
        super().__init__(**({"reserved": 0, "units": 1} | kwargs))

    @property
    def stock_left(self) -> int | None:
        return None if self.stock is None else self.stock - self.reserved

    @property
    def sold_out(self) -> bool:
        return self.stock_left == 0


class CampaignTotals(db.Model):
    """Running totals of a campaign, kept equal to the sum of its ledger.

    Only ``services.ledger.post_entry`` changes them, in the same transaction as the entry;
    ``units_delivered`` is the sum of the campaign's deliveries, moved by
    ``giving.fulfilment.record_delivery`` in the delivery's transaction.
    """

    __tablename__ = "campaign_totals"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    raised: Mapped[int] = mapped_column(BigInteger, default=0)
    units_funded: Mapped[int] = mapped_column(BigInteger, default=0)
    units_delivered: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    donations: Mapped[int] = mapped_column(BigInteger, default=0)
    donors: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="totals")

    def __init__(self, **kwargs) -> None:
        # Zero from the start, not only after INSERT, so a new campaign can be shown as is.
        zero = {"raised": 0, "units_funded": 0, "units_delivered": 0, "donations": 0, "donors": 0}
        super().__init__(**(zero | kwargs))

    def percent(self, goal: int) -> int:
        """Whole percent of ``goal`` raised; may pass 100."""
        return self.raised * 100 // goal if goal > 0 else 0


class CampaignDonor(db.Model):
    """One row per (campaign, donor) so distinct donors are counted once, even concurrently."""

    __tablename__ = "campaign_donor"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    donor_key: Mapped[str] = mapped_column(String(64), primary_key=True)
