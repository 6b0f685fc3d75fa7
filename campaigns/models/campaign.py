"""Campaigns, their fixed-price donation options and their running totals."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import (
    JSON,
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
from campaigns.models.translatable import Localized, Translatable


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class Designation(enum.StrEnum):
    GENERAL = "general"
    SADAQAH = "sadaqah"
    ZAKAT = "zakat"
    # An animal offered on the days of Eid al-Adha: only a share (an option) can be one.
    SACRIFICE = "sacrifice"

    @property
    def needs_option(self) -> bool:
        """Only a gift of a listed option can have this designation, never an amount."""
        return self is Designation.SACRIFICE


class Suggestion(NamedTuple):
    """A suggested amount (minor units) and what it does, in the campaign's language."""

    amount: int
    impact: str


def _impact(position: int) -> property:
    """The source impact line of the ``position``-th suggested amount (from 1), "" when
    none: a field ``localized`` and ``missing`` read like any other."""
    return property(lambda self: self.suggestion_impact(position))


class Campaign(Translatable, db.Model):
    """A fundraising appeal with one currency, a goal in money and optionally in units."""

    __tablename__ = "campaign"
    # The FAQ is translated as a whole list (``translations["tr"]["faq"]``, see
    # ``localized_faq``); each suggested amount's impact line as ``impact_<position>``.
    TRANSLATED = (
        "title",
        "summary",
        "story",
        "unit_label",
        "cover_alt",
        "next_steps",
        "faq",
        "impact_1",
        "impact_2",
        "impact_3",
        "impact_4",
    )

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
    # The price of one unit (of unit_label) for a gift of the donor's own amount: such a
    # gift counts towards the units by this price (books.ledger). None: money only.
    unit_price: Mapped[int | None] = mapped_column(BigInteger)
    # Up to four suggested amounts for a gift of the donor's own amount, each with an
    # optional line on what it does: [{"amount": minor units, "impact": "..."}].
    suggested_amounts: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # The recent gifts list shows who gave and when, but not how much.
    hide_gift_amounts: Mapped[bool] = mapped_column(default=False)
    # Staff-written: what happens after a gift (thank-you page and e-mail), and the
    # campaign's questions and answers, a list of {"question": ..., "answer": ...}.
    next_steps: Mapped[str] = mapped_column(Text, default="", server_default="")
    faq: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")
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
        CheckConstraint("unit_price IS NULL OR unit_price > 0", name="unit_price_positive"),
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

    def designations_for(self, option: DonationOption | None) -> list[Designation]:
        """What a gift of ``option`` (None: an amount of the donor's own) may be given for."""
        if option is not None:
            return option.designation_list
        return [d for d in self.designation_list if not d.needs_option]

    @property
    def suggestions(self) -> list[Suggestion]:
        """The suggested amounts, smallest first."""
        return sorted(
            (Suggestion(s["amount"], s.get("impact", "")) for s in self.suggested_amounts or []),
            key=lambda s: s.amount,
        )

    impact_1, impact_2, impact_3, impact_4 = (_impact(n) for n in range(1, 5))

    def suggestion_impact(self, position: int) -> str:
        """The impact line of the ``position``-th suggested amount (from 1), or ""."""
        suggestions = self.suggestions
        return suggestions[position - 1].impact if position <= len(suggestions) else ""

    def localized_faq(self, lang: str, source: str) -> list[tuple[Localized, Localized]]:
        """The questions and answers in ``lang``: each pair as written in ``lang``, else
        (a pair not translated) the source pair, with the language each is in."""
        written = self.translation("faq", lang) if lang != source else []
        pairs = []
        for n, pair in enumerate(self.faq or []):
            shown, in_lang = (written[n], lang) if n < len(written) else (pair, source)
            pairs.append(
                (Localized(shown["question"], in_lang), Localized(shown["answer"], in_lang))
            )
        return pairs

    @property
    def counts_units(self) -> bool:
        """The campaign counts units and shows them as its main figure."""
        return bool(self.unit_label and self.units_goal)

    @property
    def is_public(self) -> bool:
        return self.status != CampaignStatus.DRAFT

    def days_left(self, today: date) -> int | None:
        """Whole days until the campaign ends (0 on its last day), or None without an end."""
        if self.ends_on is None:
            return None
        return max((self.ends_on - today).days, 0)


class DonationOption(Translatable, db.Model):
    """A fixed-price gift on a campaign ("One sheep", "Food parcel for a family")."""

    __tablename__ = "donation_option"
    TRANSLATED = ("label", "description", "on_behalf_label")

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
    # Comma-separated Designation values this option may be given for, a subset of the
    # campaign's; "" for all of the campaign's (a Qurban share is a sacrifice, never Sadaqah).
    designations: Mapped[str] = mapped_column(String(60), default="")
    # What the on-behalf name is for this gift, when not a share's name: "Name on the
    # well's plate". Empty: the form asks for the name each share is offered for.
    on_behalf_label: Mapped[str] = mapped_column(String(120), default="", server_default="")
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
    def designation_list(self) -> list[Designation]:
        """The designations this option may be given for, in the campaign's order."""
        own = set(self.designations.split(",")) - {""}
        offered = self.campaign.designation_list
        return [d for d in offered if d.value in own] if own else offered

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
    # Money of gifts counted by the campaign's unit_price not yet making a whole unit
    # (minor units, 0 <= remainder < unit_price): the next such gift completes it.
    units_remainder: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="totals")

    def __init__(self, **kwargs) -> None:
        # Zero from the start, not only after INSERT, so a new campaign can be shown as is.
        zero = {
            "raised": 0,
            "units_funded": 0,
            "units_delivered": 0,
            "donations": 0,
            "donors": 0,
            "units_remainder": 0,
        }
        super().__init__(**(zero | kwargs))

    def percent(self, goal: int) -> int:
        """Whole percent of ``goal`` raised; may pass 100."""
        return self.raised * 100 // goal if goal > 0 else 0

    def units_percent(self, goal: int) -> int:
        """Whole percent of a units ``goal`` funded; may pass 100."""
        return self.units_funded * 100 // goal if goal > 0 else 0


class CampaignDonor(db.Model):
    """One row per (campaign, donor) so distinct donors are counted once, even concurrently."""

    __tablename__ = "campaign_donor"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    donor_key: Mapped[str] = mapped_column(String(64), primary_key=True)
