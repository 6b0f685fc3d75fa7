"""What gifts became: Qurban animals holding paid shares, and deliveries of other units."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.extensions import db
from campaigns.models.base import UTCDateTime, utcnow
from campaigns.models.campaign import Campaign, DonationOption
from campaigns.models.donation import Donation


class Animal(db.Model):
    """One animal of a campaign: a sheep (1 share), a cow (7 shares), as many shares as
    its option's ``shares_per_animal``. Numbered 1, 2, ... per campaign. Once performed
    (``performed_on`` set) its shares no longer move."""

    __tablename__ = "animal"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("donation_option.id"))
    number: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    performed_on: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    performed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    option: Mapped[DonationOption] = relationship()

    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )


class ShareAssignment(db.Model):
    """Share ``share`` (0-based, as the gift's ``on_behalf`` names) of a gift, in an animal."""

    __tablename__ = "share_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id"))
    share: Mapped[int] = mapped_column(Integer)
    animal_id: Mapped[int] = mapped_column(ForeignKey("animal.id"), index=True)

    donation: Mapped[Donation] = relationship()
    animal: Mapped[Animal] = relationship()

    __table_args__ = (
        UniqueConstraint("donation_id", "share"),
        CheckConstraint("share >= 0", name="share_not_negative"),
    )

    @property
    def name(self) -> str:
        return self.donation.share_name(self.share)


class Delivery(db.Model):
    """Units of a campaign delivered on a day (a well completed, parcels handed out), with
    a note (a well's plate name) and photos. Gifts are delivered in order of payment."""

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    units: Mapped[int] = mapped_column(Integer)
    delivered_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(300), default="")
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("units > 0", name="units_positive"),)
