"""The one place that posts money to the ledger and moves campaign totals with it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from campaigns.addresses import email_key
from campaigns.models import Campaign, CampaignDonor, CampaignTotals, LedgerEntry, LedgerKind
from campaigns.models.base import utcnow
from campaigns.services.sql import insert_ignoring_duplicates


class LedgerError(ValueError):
    """An entry that must not be posted (wrong sign, wrong currency)."""


def donor_key(email: str) -> str:
    """A stable, non-reversible key for a donor: sha256 of the normalised e-mail."""
    return hashlib.sha256(email_key(email).encode()).hexdigest()


def post_entry(
    session: Session,
    *,
    campaign: Campaign,
    kind: LedgerKind,
    amount: int,
    currency: str,
    reference: str,
    units: int = 0,
    donation_id: int | None = None,
    donor_email: str | None = None,
) -> LedgerEntry | None:
    """Post one money movement and update the campaign's totals in the same transaction.

    ``amount`` and ``units`` are magnitudes; the kind gives the sign. A second post with
    the same ``reference`` changes nothing and returns None, even when two transactions
    race (the unique reference decides; the loser's insert does nothing).
    """
    # bool is an int subclass and a float slips past the sign check: both would corrupt
    # integer money silently, so only plain ints are taken.
    if type(amount) is not int or type(units) is not int:
        raise LedgerError("amount and units must be whole minor units (int)")
    if not reference:
        raise LedgerError("every entry needs its provider reference")
    if amount <= 0 or units < 0:
        raise LedgerError("amount must be positive and units not negative; the kind signs them")
    if currency != campaign.currency:
        raise LedgerError(f"{currency} entry on a {campaign.currency} campaign")
    if campaign.id is None:
        session.flush()
    key = donor_key(donor_email) if donor_email and kind.is_gift else None
    values = {
        "campaign_id": campaign.id,
        "donation_id": donation_id,
        "kind": kind.value,
        "amount": kind.sign * amount,
        "units": kind.sign * units,
        "currency": currency,
        "reference": reference,
        "donor_key": key,
        "created_at": utcnow(),
    }
    # RETURNING the entity gives the posted entry in the insert's own round trip.
    entry = insert_ignoring_duplicates(
        session, LedgerEntry, values, returning=LedgerEntry
    ).scalar_one_or_none()
    if entry is None:
        return None
    new_donor = 0
    if key is not None:
        # RETURNING, not rowcount: an ORM-enabled insert reports rowcount -1 on PostgreSQL.
        inserted = insert_ignoring_duplicates(
            session,
            CampaignDonor,
            {"campaign_id": campaign.id, "donor_key": key},
            returning=CampaignDonor.donor_key,
        ).scalar_one_or_none()
        new_donor = 0 if inserted is None else 1
    # One UPDATE with relative increments: PostgreSQL's row lock serialises concurrent
    # posts, so no increment is ever lost (a read-modify-write in Python would lose them).
    session.execute(
        update(CampaignTotals)
        .where(CampaignTotals.campaign_id == campaign.id)
        .values(
            raised=CampaignTotals.raised + values["amount"],
            units_funded=CampaignTotals.units_funded + values["units"],
            donations=CampaignTotals.donations + (1 if kind.is_gift else 0),
            donors=CampaignTotals.donors + new_donor,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    loaded = session.identity_map.get(session.identity_key(CampaignTotals, campaign.id))
    if loaded is not None:
        session.expire(loaded)
    return entry


@dataclass(frozen=True)
class Drift:
    """A campaign whose stored totals differ from what its ledger adds up to."""

    slug: str
    field: str
    stored: int
    ledger: int


def verify_totals(session: Session) -> list[Drift]:
    """Recompute every campaign's totals from the ledger and list any differences."""
    sums = {
        row.campaign_id: row
        for row in session.execute(
            select(
                LedgerEntry.campaign_id,
                func.coalesce(func.sum(LedgerEntry.amount), 0).label("raised"),
                func.coalesce(func.sum(LedgerEntry.units), 0).label("units_funded"),
                func.count(LedgerEntry.id)
                .filter(LedgerEntry.kind.in_([k for k in LedgerKind if k.is_gift]))
                .label("donations"),
                func.count(func.distinct(LedgerEntry.donor_key)).label("donors"),
            ).group_by(LedgerEntry.campaign_id)
        )
    }
    drift = []
    rows = session.execute(
        select(Campaign.id, Campaign.slug, CampaignTotals)
        .join(CampaignTotals, CampaignTotals.campaign_id == Campaign.id)
        .order_by(Campaign.slug)
    )
    for campaign_id, slug, totals in rows:
        ledger = sums.get(campaign_id)
        for field in ("raised", "units_funded", "donations", "donors"):
            expected = getattr(ledger, field) if ledger else 0
            if getattr(totals, field) != expected:
                drift.append(Drift(slug, field, getattr(totals, field), expected))
    return drift
