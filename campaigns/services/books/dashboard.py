"""Read queries behind the staff side: the dashboard's figures and the donation search
(``export.py`` writes what the search finds as CSV or a spreadsheet).

Unlike the public pages these read the ledger itself over date ranges (``created_at`` is
indexed) and search donations with LIKE: a handful of staff, not the public, run them.
Amounts are never added across currencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from campaigns.addresses import email_key
from campaigns.models import (
    Campaign,
    Donation,
    DonationStatus,
    LedgerEntry,
    LedgerKind,
    OutboxMessage,
    ProviderEvent,
    Receipt,
)
from campaigns.models.campaign import CampaignStatus, Designation
from campaigns.models.donation import Frequency
from campaigns.services.books.ledger import TOTALS_KINDS, Drift, verify_totals
from campaigns.text import clean_text, day_in_range, parse_day, parse_int

CHART_DAYS = 30
GIFT_KINDS = [k for k in LedgerKind if k.is_gift]


# --- dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Money moved in a recent period: net signed amount and new gifts."""

    amount: int = 0
    gifts: int = 0


@dataclass(frozen=True)
class CampaignFigures:
    """One campaign on the dashboard; ``daily`` is the net amount per local day, oldest
    first, ending today."""

    campaign: Campaign
    last_24h: Window
    last_7d: Window
    daily: list[tuple[date, int]]


@dataclass
class CurrencyFigures:
    """Every campaign in one currency added up (amounts in that currency's minor units)."""

    currency: str
    raised: int = 0
    donations: int = 0
    last_24h: int = 0
    last_7d: int = 0
    fee_cover: int = 0  # what donors added to cover the fees, less refunds and disputes


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows; ``currencies`` sorted by code."""

    campaigns: list[CampaignFigures]
    currencies: list[CurrencyFigures]
    pending: int
    failed: int
    drift: list[Drift]


def day_starts(today: date, days: int, tz: tzinfo) -> list[datetime]:
    """The UTC instants at which each of the last ``days`` local days began, and the
    end of today (``days + 1`` instants): a day is a day where the charity works.
    ``tz`` must be a zoneinfo zone: a pytz one gives ``combine`` a wrong offset."""
    first = today - timedelta(days=days - 1)
    return [
        datetime.combine(first + timedelta(days=n), time(), tz).astimezone(UTC)
        for n in range(days + 1)
    ]


def _recent_windows(session: Session, now: datetime) -> dict[int, tuple[Window, Window]]:
    since_24h, since_7d = now - timedelta(hours=24), now - timedelta(days=7)
    in_24h = LedgerEntry.created_at >= since_24h
    is_gift = LedgerEntry.kind.in_(GIFT_KINDS)
    rows = session.execute(
        select(
            LedgerEntry.campaign_id,
            func.coalesce(func.sum(LedgerEntry.amount).filter(in_24h), 0),
            func.count(LedgerEntry.id).filter(in_24h, is_gift),
            func.sum(LedgerEntry.amount),
            func.count(LedgerEntry.id).filter(is_gift),
        )
        .where(
            LedgerEntry.created_at >= since_7d,
            LedgerEntry.created_at <= now,
            LedgerEntry.kind.in_(TOTALS_KINDS),
        )
        .group_by(LedgerEntry.campaign_id)
    )
    # int(): PostgreSQL sums BIGINT as NUMERIC, which arrives as a Decimal.
    return {
        campaign_id: (Window(int(day_amount), day_gifts), Window(int(week_amount), week_gifts))
        for campaign_id, day_amount, day_gifts, week_amount, week_gifts in rows
    }


def _daily_amounts(session: Session, starts: list[datetime]) -> dict[int, dict[int, int]]:
    """Net amount per campaign per day index, in one grouped query: a CASE numbers each
    entry's day, so the database needs no time zone support (SQLite has none)."""
    day = case(
        *[(LedgerEntry.created_at < end, n) for n, end in enumerate(starts[1:])],
    ).label("day")
    rows = session.execute(
        select(LedgerEntry.campaign_id, day, func.sum(LedgerEntry.amount))
        .where(
            LedgerEntry.created_at >= starts[0],
            LedgerEntry.created_at < starts[-1],
            LedgerEntry.kind.in_(TOTALS_KINDS),
        )
        .group_by(LedgerEntry.campaign_id, day)
    )
    amounts: dict[int, dict[int, int]] = {}
    for campaign_id, n, amount in rows:
        amounts.setdefault(campaign_id, {})[n] = int(amount)
    return amounts


def _fee_cover(session: Session) -> dict[str, int]:
    """The fee cover kept per currency: the ledger's fee cover entries, net."""
    rows = session.execute(
        select(LedgerEntry.currency, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.kind.not_in(TOTALS_KINDS))
        .group_by(LedgerEntry.currency)
    )
    return {currency: int(amount) for currency, amount in rows}


def _status_counts(session: Session) -> dict[DonationStatus, int]:
    rows = session.execute(
        select(Donation.status, func.count())
        .where(Donation.status.in_([DonationStatus.PENDING, DonationStatus.FAILED]))
        .group_by(Donation.status)
    )
    return {status: count for status, count in rows}


def dashboard(session: Session, now: datetime, today: date, tz: tzinfo) -> Dashboard:
    """Every campaign's standing with its last 24 hours, 7 days and 30 daily amounts,
    totals per currency, pending and failed donations, and any drift between the stored
    totals and the ledger. ``today`` is the local date in ``tz`` at ``now``.

    The drift check sums the whole ledger: fine for a page a few staff open, but this is
    the one query here whose cost grows with all the donations ever made.
    """
    order = (
        case(
            (Campaign.status == CampaignStatus.ACTIVE, 0),
            (Campaign.status == CampaignStatus.DRAFT, 1),
            else_=2,
        ),
        Campaign.ends_on.is_(None),
        Campaign.ends_on,
        Campaign.id.desc(),
    )
    campaigns = session.scalars(
        select(Campaign)
        .join(Campaign.totals)
        .options(contains_eager(Campaign.totals))
        .order_by(*order)
    ).all()
    windows = _recent_windows(session, now)
    starts = day_starts(today, CHART_DAYS, tz)
    daily = _daily_amounts(session, starts)
    days = [today - timedelta(days=CHART_DAYS - 1 - n) for n in range(CHART_DAYS)]

    figures, per_currency = [], {}
    for campaign in campaigns:
        day, week = windows.get(campaign.id, (Window(), Window()))
        amounts = daily.get(campaign.id, {})
        figures.append(
            CampaignFigures(
                campaign=campaign,
                last_24h=day,
                last_7d=week,
                daily=[(d, amounts.get(n, 0)) for n, d in enumerate(days)],
            )
        )
        total = per_currency.setdefault(campaign.currency, CurrencyFigures(campaign.currency))
        total.raised += campaign.totals.raised
        total.donations += campaign.totals.donations
        total.last_24h += day.amount
        total.last_7d += week.amount
    for currency, amount in _fee_cover(session).items():
        per_currency.setdefault(currency, CurrencyFigures(currency)).fee_cover = amount
    counts = _status_counts(session)
    return Dashboard(
        campaigns=figures,
        currencies=[per_currency[code] for code in sorted(per_currency)],
        pending=counts.get(DonationStatus.PENDING, 0),
        failed=counts.get(DonationStatus.FAILED, 0),
        drift=verify_totals(session),
    )


# --- donation search ---------------------------------------------------------------------

MAX_SEARCH = 200


@dataclass(frozen=True)
class DonationFilters:
    """A validated donation search; None or "" means "any". Dates are local days,
    both ends included."""

    campaign_id: int | None = None
    status: DonationStatus | None = None
    designation: Designation | None = None
    frequency: Frequency | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments (to keep them across pages and in the
        CSV link); the same names ``parse_filters`` reads."""
        values = {
            "campaign": self.campaign_id,
            "status": self.status,
            "designation": self.designation,
            "frequency": self.frequency,
            "from": self.date_from and self.date_from.isoformat(),
            "to": self.date_to and self.date_to.isoformat(),
            "q": self.search,
        }
        return {key: str(value) for key, value in values.items() if value}


def parse_filters(args: dict[str, str]) -> tuple[DonationFilters, list[str]]:
    """Read the filters from query-string ``args``; return them and the names of those
    that were not valid (and so ignored): a made-up status is a typo, not an error."""
    invalid: list[str] = []

    def read(name: str, convert):
        text = (args.get(name) or "").strip()
        if not text:
            return None
        try:
            return convert(text)
        except ValueError:
            invalid.append(name)
            return None

    def campaign_id(text: str) -> int:
        value = parse_int(text, minimum=1)
        if value is None:
            raise ValueError(text)
        return value

    def day(text: str) -> date:
        # Year 1 or 9999 would overflow when turned into an instant in another zone.
        value = parse_day(text)
        if value is None or not day_in_range(value):
            raise ValueError(text)
        return value

    filters = DonationFilters(
        campaign_id=read("campaign", campaign_id),
        status=read("status", DonationStatus),
        designation=read("designation", Designation),
        frequency=read("frequency", Frequency),
        date_from=read("from", day),
        date_to=read("to", day),
        search=read("q", lambda text: clean_text(text)[:MAX_SEARCH]) or "",
    )
    return filters, invalid


def _matches_search(text: str):
    """Donor name or e-mail containing the text, or a receipt number or provider
    reference equal to it."""
    receipts = select(Receipt.donation_id).where(func.upper(Receipt.number) == text.upper())
    return or_(
        Donation.donor_name.icontains(text, autoescape=True),
        # Stored in email_key's form: compared as typed, not with SQLite's ASCII lower().
        Donation.donor_email.contains(email_key(text), autoescape=True),
        Donation.provider_session_id == text,
        Donation.provider_payment_id == text,
        Donation.provider_subscription_id == text,
        Donation.id.in_(receipts),
    )


def filter_conditions(filters: DonationFilters, tz: tzinfo) -> list:
    conditions = []
    if filters.campaign_id is not None:
        conditions.append(Donation.campaign_id == filters.campaign_id)
    if filters.status is not None:
        conditions.append(Donation.status == filters.status)
    if filters.designation is not None:
        conditions.append(Donation.designation == filters.designation)
    if filters.frequency is not None:
        conditions.append(Donation.frequency == filters.frequency)
    if filters.date_from is not None:
        start = datetime.combine(filters.date_from, time(), tz).astimezone(UTC)
        conditions.append(Donation.created_at >= start)
    if filters.date_to is not None:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), tz).astimezone(UTC)
        conditions.append(Donation.created_at < end)
    if filters.search:
        conditions.append(_matches_search(filters.search))
    return conditions


NEWEST_FIRST = (Donation.created_at.desc(), Donation.id.desc())


def donation_query(filters: DonationFilters, tz: tzinfo) -> Select:
    """Donations matching ``filters``, newest first, each with its campaign. Dates are
    read as local days in ``tz``."""
    return (
        select(Donation)
        .join(Donation.campaign)
        .options(contains_eager(Donation.campaign))
        .where(*filter_conditions(filters, tz))
        .order_by(*NEWEST_FIRST)
    )


def campaign_choices(session: Session) -> list[tuple[int, str]]:
    """(id, title) of every campaign, for the filter menu."""
    rows = session.execute(select(Campaign.id, Campaign.title).order_by(Campaign.title))
    return [(campaign_id, title) for campaign_id, title in rows]


# --- one donation ------------------------------------------------------------------------

MAX_EVENTS = 50


@dataclass(frozen=True)
class DonationRecord:
    """Everything known about one donation, for its staff page."""

    donation: Donation
    ledger: list[LedgerEntry]
    receipts: list[Receipt]
    messages: list[OutboxMessage]
    events: list[ProviderEvent]


def donation_record(session: Session, donation_id: int) -> DonationRecord | None:
    """The donation with its ledger entries, receipts, e-mails and provider events (those
    whose handler found this gift, by the indexed ``ProviderEvent.donation_id``), or None."""
    donation = session.get(Donation, donation_id)
    if donation is None:
        return None
    events = list(
        session.scalars(
            select(ProviderEvent)
            .where(ProviderEvent.donation_id == donation.id)
            .order_by(ProviderEvent.received_at, ProviderEvent.id)
            .limit(MAX_EVENTS)
        )
    )
    return DonationRecord(
        donation=donation,
        ledger=list(
            session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.donation_id == donation.id)
                .order_by(LedgerEntry.id)
            )
        ),
        receipts=list(
            session.scalars(
                select(Receipt).where(Receipt.donation_id == donation.id).order_by(Receipt.id)
            )
        ),
        messages=list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.donation_id == donation.id)
                .order_by(OutboxMessage.id)
            )
        ),
        events=events,
    )
