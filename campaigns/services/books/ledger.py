"""The one place that posts money to the ledger and moves campaign totals with it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from campaigns.addresses import email_key
from campaigns.models import (
    Campaign,
    CampaignDonor,
    CampaignTotals,
    Donation,
    DonationStatus,
    LedgerEntry,
    LedgerKind,
)
from campaigns.models.base import UTCDateTime, utcnow
from campaigns.services.books.receipts import NUMBERED, NUMBERING, NUMBERING_TYPES, NewReceipt
from campaigns.services.sql import (
    Increment,
    as_loaded,
    connection,
    insert_ignoring_duplicates,
    on_postgres,
    update_where,
)

# The kinds the campaign totals add up (every one but the fee cover's).
TOTALS_KINDS = tuple(kind for kind in LedgerKind if kind.counts_in_totals)
# How many paid gifts a campaign's page lists (``recent_gifts``).
RECENT_GIFTS = 10
# What a gift counted by price reads of the totals row before changing it, locking it.
_TOTALS = CampaignTotals.__table__
LOCKED_REMAINDER = (
    select(_TOTALS.c.units_remainder)
    .where(_TOTALS.c.campaign_id == bindparam("campaign"))
    .with_for_update()
)


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
    donation: Donation | None = None,
    then: NewReceipt | None = None,
) -> LedgerEntry | None:
    """Post one money movement and update the campaign's totals in the same transaction.

    ``amount`` and ``units`` are magnitudes; the kind gives the sign. A second post with
    the same ``reference`` changes nothing and returns None, even when two transactions
    race (the unique reference decides; the loser's insert does nothing).

    ``donation``, the gift the entry belongs to (its id and e-mail stand in for
    ``donation_id`` and ``donor_email``): a gift of the donor's own amount on a campaign
    with a ``unit_price`` counts towards the units by that price. The campaign's remainder
    plus this entry's signed amount, floor-divided by the price, gives the units, and the
    rest stays as the remainder (0 <= remainder < price). So those gifts' money always
    equals their units times the price plus the remainder, to the minor unit, whatever the
    order of gifts, refunds and disputes; ``units`` is ignored for such an entry.

    The totals row is the last thing a post changes, and every gift to the campaign queues
    on it until the caller commits: one UPDATE of relative increments, read first (locked)
    only for a gift counted by price.

    ``then``: a gift's new receipt, numbered in the posting's statement where there is
    one (PostgreSQL, an entry that moves the totals but is not counted by price), else
    left for the caller to issue (``receipts.issue_new_receipt`` issues either).

    A fee cover entry (``kind.counts_in_totals`` false) is kept in the books only: the
    campaign's totals, units and recent gifts count the gift, never the cover.
    """
    if donation is not None:
        donation_id = donation.id
        donor_email = donor_email or donation.donor_email
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
        "kind": kind,
        "amount": kind.sign * amount,
        "units": kind.sign * units,
        "carried": 0,
        "currency": currency,
        "reference": reference,
        "donor_key": key,
        "created_at": utcnow(),
    }
    by_price = donation is not None and counts_by_price(campaign, donation)
    if kind.counts_in_totals and not by_price and on_postgres(session):
        entry = _post_and_add(session, values, 1 if kind.is_gift else 0, then)
    else:
        entry = _post_then_add(session, campaign, kind, values, by_price)
    loaded = session.identity_map.get(session.identity_key(CampaignTotals, campaign.id))
    if entry is not None and kind.counts_in_totals and loaded is not None:
        session.expire(loaded)
    return entry


# PostgreSQL posts an entry that moves the totals (not one counted by price) in one
# statement, as ``_post_then_add`` does in three: the entry inserted unless its reference
# was posted before, the donor counted if new, then the totals moved by relative
# increments. The entry's insert runs first (the totals row is locked only after it, in the
# order every post takes its locks), and only when it inserted are the totals moved.
# A gift's receipt (``receipts.NewReceipt``) may be numbered in the same statement, after
# the totals: ``then``.
_POSTING = """
    entry AS (
        INSERT INTO ledger_entry (campaign_id, donation_id, kind, amount, units, carried,
                                  currency, reference, donor_key, created_at)
        VALUES (:campaign_id, :donation_id, :kind, :amount, :units, 0,
                :currency, :reference, :donor_key, :created_at)
        ON CONFLICT DO NOTHING
        RETURNING id
    ), donor AS (
        INSERT INTO campaign_donor (campaign_id, donor_key)
        SELECT :campaign_id, CAST(:donor_key AS VARCHAR) FROM entry
        WHERE CAST(:donor_key AS VARCHAR) IS NOT NULL
        ON CONFLICT DO NOTHING
        RETURNING 1
    ), totals AS (
        UPDATE campaign_totals
        SET raised = raised + :amount,
            units_funded = units_funded + :units,
            donations = donations + :gifts,
            donors = donors + (SELECT count(*) FROM donor),
            updated_at = :created_at
        WHERE campaign_id = :campaign_id AND EXISTS (SELECT 1 FROM entry)
        RETURNING (SELECT id FROM entry) AS entry_id
    )
"""
_CREATED_AT = bindparam("created_at", type_=UTCDateTime())
_POST_AND_ADD = text(f"WITH {_POSTING} SELECT entry_id FROM totals").bindparams(_CREATED_AT)  # noqa: S608
# The receipt's counter is taken once the totals have moved (the count of ``totals`` is
# one row, whether or not they moved), so the two hot rows are locked in the order every
# transaction takes them.
_POST_AND_NUMBER = text(  # built of constants, no input
    f"WITH {_POSTING}, {NUMBERING.format(after='(SELECT count(*) FROM totals) AS posted')} "  # noqa: S608
    f"SELECT (SELECT entry_id FROM totals) AS entry_id, {NUMBERED} FROM issued"
).bindparams(_CREATED_AT, *NUMBERING_TYPES)


def _post_and_add(
    session: Session, values: dict, gifts: int, then: NewReceipt | None
) -> LedgerEntry | None:
    params = values | {"kind": values["kind"].value, "gifts": gifts}
    if then is None:
        entry_id = connection(session).execute(_POST_AND_ADD, params).scalar_one_or_none()
    else:
        row = connection(session).execute(_POST_AND_NUMBER, params | then.params).one()
        then.numbered(row)
        entry_id = row.entry_id
    return None if entry_id is None else as_loaded(session, LedgerEntry, values | {"id": entry_id})


def _post_then_add(
    session: Session, campaign: Campaign, kind: LedgerKind, values: dict, by_price: bool
) -> LedgerEntry | None:
    """Insert the entry unless its reference was posted before; if it counts in the
    totals, count its donor if new and move the totals (``_post_by_price`` for a gift
    counted by price). The entry, or None."""
    entry_id = insert_ignoring_duplicates(
        session, LedgerEntry, values, returning=LedgerEntry.id
    ).scalar_one_or_none()
    if entry_id is None:
        return None
    entry = as_loaded(session, LedgerEntry, values | {"id": entry_id})
    if not kind.counts_in_totals:
        return entry
    new_donor = 0
    if values["donor_key"] is not None:
        inserted = insert_ignoring_duplicates(
            session,
            CampaignDonor,
            {"campaign_id": campaign.id, "donor_key": values["donor_key"]},
            returning=CampaignDonor.donor_key,
        ).scalar_one_or_none()
        new_donor = 0 if inserted is None else 1
    # One UPDATE with relative increments: PostgreSQL's row lock serialises concurrent
    # posts, so no increment is ever lost (a read-modify-write in Python would lose them).
    totals = {
        "raised": Increment(values["amount"]),
        "units_funded": Increment(values["units"]),
        "donations": Increment(1 if kind.is_gift else 0),
        "donors": Increment(new_donor),
        "updated_at": utcnow(),
    }
    if by_price:
        _post_by_price(session, campaign, entry, totals)
    else:
        update_where(session, CampaignTotals, {"campaign_id": campaign.id}, totals)
    return entry


def post_with_cover(
    session: Session,
    donation: Donation,
    *,
    kind: LedgerKind,
    amount: int,
    cover: int,
    reference: str,
    units: int = 0,
    then: NewReceipt | None = None,
) -> bool:
    """Post ``amount`` of what ``donation``'s donor paid (a payment, refund or dispute of
    it) in two parts: ``amount - cover`` as ``kind`` for the gift, and ``cover``, the fee
    cover's part, as FEE_COVER or FEE_COVER_RETURNED (by ``kind``'s sign) under
    ``reference + ":cover"``. A part of 0 is not posted. True if anything was posted now
    (each part once, by its reference). ``then``: as for ``post_entry``, with the gift's part."""
    cover_kind = LedgerKind.FEE_COVER if kind.sign > 0 else LedgerKind.FEE_COVER_RETURNED
    posted = False
    common = {"campaign": donation.campaign, "currency": donation.currency, "donation": donation}
    # The cover first: it moves no totals, so the gift's entry, which locks them, comes last.
    if cover > 0:
        entry = post_entry(
            session, kind=cover_kind, amount=cover, reference=f"{reference}:cover", **common
        )
        posted = entry is not None
    if amount - cover > 0:
        entry = post_entry(
            session,
            kind=kind,
            amount=amount - cover,
            reference=reference,
            units=units,
            then=then,
            **common,
        )
        posted |= entry is not None
    return posted


def counts_by_price(campaign: Campaign, donation: Donation) -> bool:
    """A gift of the donor's own amount on a campaign that prices its units."""
    return donation.option_id is None and bool(campaign.unit_price and campaign.unit_label)


def public_name(donation: Donation) -> str | None:
    """How a gift is named in public: the donor's first name, or None when the donor
    asked to give anonymously (the page then says "Anonymous" in the reader's language).
    Never a surname, an e-mail address or a dedication."""
    if donation.anonymous:
        return None
    first = donation.donor_name.split()
    return first[0][:40] if first else None


def recent_gifts(session: Session, campaign: Campaign) -> list[dict]:
    """The campaign's last RECENT_GIFTS paid gifts as its page lists them, newest first:
    a public first name or None (anonymous), the units (none for a gift counted by price),
    the gift's amount (not the fee cover) and when. A gift refunded or disputed, even in
    part, is no longer listed. One query on an index, read when the page is drawn."""
    gifts = session.scalars(
        select(Donation)
        .where(
            Donation.campaign_id == campaign.id,
            Donation.status == DonationStatus.PAID,
            Donation.paid_at.is_not(None),
        )
        .order_by(Donation.paid_at.desc(), Donation.id.desc())
        .limit(RECENT_GIFTS)
    )
    return [
        {
            "donation": gift.id,
            "name": public_name(gift),
            "units": 0 if counts_by_price(campaign, gift) else gift.units,
            "amount": gift.gift_amount,
            "at": gift.paid_at.isoformat(),
        }
        for gift in gifts
    ]


# PostgreSQL counts a gift by price in one statement: the remainder read with the row
# locked (FOR UPDATE returns the last committed version), the entry's units and what it
# carried set, and the totals moved; as ``_post_by_price`` does in three on SQLite, which
# has one writer at a time anyway. Units are the floor of (remainder + amount) / price.
_BY_PRICE = text(
    """
    WITH old AS (
        SELECT units_remainder AS remainder FROM campaign_totals
        WHERE campaign_id = :campaign FOR UPDATE
    ), moved AS (
        SELECT remainder,
               CAST(floor(CAST(remainder + :amount AS NUMERIC) / :price) AS BIGINT) AS units
        FROM old
    ), entry AS (
        UPDATE ledger_entry
        SET units = moved.units, carried = :amount - moved.units * :price
        FROM moved WHERE ledger_entry.id = :entry
    )
    UPDATE campaign_totals
    SET raised = raised + :raised,
        units_funded = units_funded + :units + moved.units,
        units_remainder = moved.remainder + :amount - moved.units * :price,
        donations = donations + :gifts,
        donors = donors + :donors,
        updated_at = :now
    FROM moved WHERE campaign_totals.campaign_id = :campaign
    RETURNING moved.units
    """
).bindparams(bindparam("now", type_=UTCDateTime()))


def _post_by_price(session: Session, campaign: Campaign, entry: LedgerEntry, totals: dict) -> None:
    """The totals' UPDATE of ``post_entry`` (``totals``) for a gift counted by price: the
    remainder is read, the row locked first (after the entry's own insert, in the order
    every post takes its locks, so concurrent posts take turns), the entry's units and
    what it carried set, and the totals moved by them."""
    price = campaign.unit_price
    if on_postgres(session):
        params = {
            "campaign": campaign.id,
            "entry": entry.id,
            "amount": entry.amount,
            "price": price,
            "raised": totals["raised"].by,
            "units": totals["units_funded"].by,
            "gifts": totals["donations"].by,
            "donors": totals["donors"].by,
            "now": totals["updated_at"],
        }
        units = connection(session).execute(_BY_PRICE, params).scalar_one()
        # What the entry carried: the remainder's change, amount less the units' worth.
        moved = {"units": units, "carried": entry.amount - units * price}
    else:
        remainder = (
            connection(session).execute(LOCKED_REMAINDER, {"campaign": campaign.id}).scalar_one()
        )
        units, left = divmod(remainder + entry.amount, price)
        moved = {"units": units, "carried": left - remainder}
        update_where(session, LedgerEntry, {"id": entry.id}, moved)
        totals["units_funded"] = Increment(totals["units_funded"].by + units)
        totals["units_remainder"] = left
        update_where(session, CampaignTotals, {"campaign_id": campaign.id}, totals)
    for name, value in moved.items():
        set_committed_value(entry, name, value)


@dataclass(frozen=True)
class Drift:
    """A campaign whose stored totals differ from what its ledger adds up to."""

    slug: str
    field: str
    stored: int
    ledger: int


def verify_totals(session: Session) -> list[Drift]:
    """Recompute every campaign's totals from the ledger (its entries that count in them:
    not the fee cover) and list any differences."""
    sums = {
        row.campaign_id: row
        for row in session.execute(
            select(
                LedgerEntry.campaign_id,
                func.coalesce(func.sum(LedgerEntry.amount), 0).label("raised"),
                func.coalesce(func.sum(LedgerEntry.units), 0).label("units_funded"),
                func.coalesce(func.sum(LedgerEntry.carried), 0).label("units_remainder"),
                func.count(LedgerEntry.id)
                .filter(LedgerEntry.kind.in_([k for k in LedgerKind if k.is_gift]))
                .label("donations"),
                func.count(func.distinct(LedgerEntry.donor_key)).label("donors"),
            )
            .where(LedgerEntry.kind.in_(TOTALS_KINDS))
            .group_by(LedgerEntry.campaign_id)
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
        for field in ("raised", "units_funded", "units_remainder", "donations", "donors"):
            expected = getattr(ledger, field) if ledger else 0
            if getattr(totals, field) != expected:
                drift.append(Drift(slug, field, getattr(totals, field), expected))
    return drift
