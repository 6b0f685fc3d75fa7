"""Refunds settled when the provider confirms them, each refund once by its id (staff ask
for them in ``refund_requests``); an offline gift is reversed by a ledger entry. A refund
that fails after succeeding gives the gift back, once. Totals go down by exactly the
refunded amounts; a refund of some shares of a gift of several takes back their units
and stock too. The donor is e-mailed once per refund, with the receipt that replaces
theirs."""

from __future__ import annotations

import logging

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from campaigns.models import (
    Donation,
    LedgerEntry,
    LedgerKind,
)
from campaigns.money import share_of
from campaigns.payments import PaymentProvider
from campaigns.services.books.ledger import post_with_cover
from campaigns.services.books.receipts import live_receipt, revise_after_refund
from campaigns.services.giving.settlement import (
    Handled,
    Outcome,
    S,
    advance,
    hold_stock_again,
    paid_donation,
    release_stock,
)
from campaigns.services.mail.notifications import queue_refund_notice
from campaigns.settings import Settings

# A refund in these states moved no money, or no longer does.
REFUND_UNDONE = frozenset({"failed", "canceled"})

log = logging.getLogger(__name__)


def apply_refunds(
    session: Session, provider: PaymentProvider, settings: Settings, charge_id: str
) -> Handled:
    """Post every succeeded refund of a charge once, each by its own id, and give back
    every posted refund that failed afterwards, once (REFUNDED when any changed the
    books). Totals go down by exactly the refunded amounts; a refund still pending is
    posted when it succeeds (``apply_refund_update``)."""
    changed = False
    donation_id = None
    undone = []
    for refund in provider.list_refunds(charge_id):
        if refund.status in REFUND_UNDONE:
            changed |= reverse_refund(session, settings, refund.id)
            undone.append(refund.id)
        elif refund.status == "succeeded":
            donation = paid_donation(session, provider, settings, refund.payment_id)
            if donation is not None:
                donation_id = donation.id
                changed |= post_refund(session, settings, donation, refund.id, refund.amount)
    if donation_id is None and undone:  # the gift whose refunds were posted
        donation_id = session.scalar(
            select(LedgerEntry.donation_id).where(LedgerEntry.reference.in_(undone)).limit(1)
        )
    return Handled(Outcome.REFUNDED if changed else Outcome.ALREADY, donation_id)


def apply_refund_update(
    session: Session, provider: PaymentProvider, settings: Settings, refund_id: str
) -> Handled:
    """A refund changed status (a pending one succeeded, a succeeded one failed): re-read it
    and settle every refund of its charge, as charge.refunded does."""
    refund = provider.retrieve_refund(refund_id)
    if refund.charge_id is None:  # a customer's balance refunded, no gift of ours
        return Handled(Outcome.UNKNOWN)
    return apply_refunds(session, provider, settings, refund.charge_id)


def share_price(donation: Donation) -> int | None:
    """The price of one share of a gift of several (an option bought in quantity, "3 sheep
    shares"), or None for a gift that is one whole."""
    if donation.option_id is None or donation.quantity < 2 or donation.amount % donation.quantity:
        return None
    return donation.amount // donation.quantity


def _units_per_share(donation: Donation) -> int:
    return donation.units // donation.quantity


def units_kept(session: Session, donation: Donation) -> int:
    """The gift's units its refunds have not taken back (all of them before any refund)."""
    moved = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.units), 0)).where(
            LedgerEntry.donation_id == donation.id,
            LedgerEntry.kind.in_([LedgerKind.REFUND, LedgerKind.REFUND_FAILED]),
        )
    )
    return donation.units + int(moved)  # refund entries carry negative units


def _units_back(session: Session, donation: Donation, amount: int, full: bool) -> int:
    """The units a refund of ``amount`` takes back: all those kept when it empties the
    gift, those of the shares it pays back when it is a whole number of shares, else none.
    A gift of the donor's own amount has none of its own: the ledger counts its units by
    the campaign's unit price (books.ledger.post_entry)."""
    if donation.option_id is None:
        return 0
    kept = units_kept(session, donation)
    if full:
        return kept
    price = share_price(donation)
    if price is None or amount % price:
        return 0
    return min(kept, amount // price * _units_per_share(donation))


def _shares_of(donation: Donation, units: int) -> int:
    """How many shares ``units`` are (an option's gift has at least one unit a share)."""
    return units // _units_per_share(donation)


def cover_kept(session: Session, donation: Donation) -> int:
    """The gift's fee cover still in the books: its fee cover entries, net."""
    kept = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.donation_id == donation.id,
            LedgerEntry.kind.in_([LedgerKind.FEE_COVER, LedgerKind.FEE_COVER_RETURNED]),
        )
    )
    return int(kept)


def refund_cover(session: Session, donation: Donation, amount: int, full: bool) -> int:
    """The fee cover's part of a refund of ``amount`` (the rest is gift), exactly: the
    cover refunded once this refund is counted is the donor's cover times the share of the
    payment refunded, rounded down (``money.share_of``), and this refund takes the step
    from what was refunded before. So the parts of all refunds add up to the cover and to
    the gift, to the minor unit; a refund that empties the gift takes all the cover left."""
    if not donation.fee_cover:
        return 0
    if full:
        return min(cover_kept(session, donation), amount)
    before = donation.refunded_amount
    step = share_of(before + amount, donation.fee_cover, donation.amount) - share_of(
        before, donation.fee_cover, donation.amount
    )
    return max(0, min(step, amount, cover_kept(session, donation)))


def post_refund(
    session: Session, settings: Settings, donation: Donation, reference: str, amount: int
) -> bool:
    """Take a refund off the totals once (by its reference); a refund that empties the
    donation, or pays back whole shares of it, also takes back their units and releases
    the stock they held. Its receipt is voided, or replaced by one for the amount kept
    after a partial refund, and the donor is told (once per refund)."""
    amount = min(amount, donation.amount - donation.refunded_amount)
    if amount <= 0:
        return False
    full = amount == donation.amount - donation.refunded_amount
    units = _units_back(session, donation, amount, full)
    posted = post_with_cover(
        session,
        donation,
        kind=LedgerKind.REFUND,
        amount=amount,
        cover=refund_cover(session, donation, amount, full),
        reference=reference,
        units=units,
    )
    if not posted:
        return False
    voided = live_receipt(session, donation)
    _refunded_by(session, settings, donation, amount)
    if units:
        release_stock(session, donation, _shares_of(donation, units))
    queue_refund_notice(
        session,
        settings,
        donation,
        key=f"refund:{reference}",
        amount=amount,
        voided=voided,
        replacement=live_receipt(session, donation),
    )
    return True


def _refunded_by(session: Session, settings: Settings, donation: Donation, change: int) -> None:
    """Add ``change`` to what the donation has had refunded (a negative one for a refund
    that failed), then bring its status and receipt in line with what it keeps."""
    session.execute(
        update(Donation)
        .where(Donation.id == donation.id)
        .values(refunded_amount=Donation.refunded_amount + change)
        .execution_options(synchronize_session=False)
    )
    session.refresh(donation)
    # An open dispute keeps deciding the status (a refund that overtook it must not end
    # it); when won, the donation returns to partially_refunded by its refunded_amount.
    if donation.status != S.DISPUTED:
        if donation.refunded_amount == donation.amount:
            status = S.REFUNDED
        else:
            status = S.PARTIALLY_REFUNDED if donation.refunded_amount else S.PAID
        advance(session, donation, status)
    revise_after_refund(session, donation, settings.receipts)


def reverse_refund(session: Session, settings: Settings, reference: str) -> bool:
    """A refund we posted failed after all (the donor's bank sent the money back): the gift
    counts again, by exactly what that refund took off, units and stock included, and its
    receipt is issued again for the amount now kept. Once per refund; True if this call
    did it. A refund never posted (it failed while pending) changes nothing."""
    entries = session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.reference.in_([reference, f"{reference}:cover"]),
            LedgerEntry.kind.in_([LedgerKind.REFUND, LedgerKind.FEE_COVER_RETURNED]),
        )
    ).all()
    if not entries or entries[0].donation is None:
        return False
    donation = entries[0].donation
    gift = next((e for e in entries if e.kind == LedgerKind.REFUND), None)
    cover = next((e for e in entries if e.kind == LedgerKind.FEE_COVER_RETURNED), None)
    taken = -sum(e.amount for e in entries)  # the refund's entries are negative
    posted = post_with_cover(
        session,
        donation,
        kind=LedgerKind.REFUND_FAILED,
        amount=taken,
        cover=-cover.amount if cover else 0,
        reference=f"{reference}:failed",
        units=-gift.units if gift else 0,
    )
    if not posted:
        return False
    _refunded_by(session, settings, donation, -taken)
    if gift is not None and gift.units:
        hold_stock_again(session, donation, _shares_of(donation, -gift.units))
    log.warning("refund %s of donation %s failed: the gift counts again", reference, donation.id)
    return True
