"""Refunds: asked for by staff (a compare-and-set claim on the gift, then the provider),
and settled when the provider confirms them, each refund once by its id; an offline gift is
reversed by a ledger entry. A refund that fails after succeeding gives the gift back, once.
Totals go down by exactly the refunded amounts."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from campaigns.models import (
    Donation,
    DonationStatus,
    LedgerEntry,
    LedgerKind,
)
from campaigns.money import AmountError, read_amount
from campaigns.payments import PaymentProvider, ProviderError
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change
from campaigns.services.books.ledger import post_entry
from campaigns.services.books.receipts import revise_after_refund
from campaigns.services.giving.offline import donation_snapshot, is_offline
from campaigns.services.giving.settlement import (
    Handled,
    Outcome,
    S,
    advance,
    hold_stock_again,
    paid_donation,
    release_stock,
)
from campaigns.settings import Settings

# Only these can be refunded; a disputed gift is settled by the dispute.
REFUNDABLE = (DonationStatus.PAID, DonationStatus.PARTIALLY_REFUNDED)
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


def post_refund(
    session: Session, settings: Settings, donation: Donation, reference: str, amount: int
) -> bool:
    """Take a refund off the totals once (by its reference); a refund that empties the
    donation also takes back its units and releases any stock it held. Its receipt is
    voided, or replaced by one for the amount kept after a partial refund."""
    amount = min(amount, donation.amount - donation.refunded_amount)
    if amount <= 0:
        return False
    full = amount == donation.amount - donation.refunded_amount
    entry = post_entry(
        session,
        campaign=donation.campaign,
        kind=LedgerKind.REFUND,
        amount=amount,
        currency=donation.currency,
        reference=reference,
        units=donation.units if full else 0,
        donation=donation,
    )
    if entry is None:
        return False
    _refunded_by(session, settings, donation, amount)
    if full:
        release_stock(session, donation)
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
    refund = session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.reference == reference, LedgerEntry.kind == LedgerKind.REFUND
        )
    ).first()
    if refund is None or refund.donation is None:
        return False
    donation = refund.donation
    entry = post_entry(
        session,
        campaign=donation.campaign,
        kind=LedgerKind.REFUND_FAILED,
        amount=-refund.amount,
        currency=refund.currency,
        reference=f"{reference}:failed",
        units=-refund.units,
        donation=donation,
    )
    if entry is None:
        return False
    _refunded_by(session, settings, donation, refund.amount)  # the refund's entry is negative
    if refund.units:
        hold_stock_again(session, donation)
    log.warning("refund %s of donation %s failed: the gift counts again", reference, donation.id)
    return True


# -- asked for by staff -------------------------------------------------------------------


@dataclass
class RefundForm:
    """The refund form: the amount typed, and the refunded amount the page showed (so a
    second click, or a refund made meanwhile, cannot refund twice unnoticed)."""

    amount: str = ""
    seen_refunded: str = ""
    version: str = ""  # the gift's version the page showed; blank from older clients


def changed_message() -> str:
    return _("This donation changed while you were looking at it; please check it again.")


def refundable(donation: Donation) -> int:
    """What can still be refunded, in minor units (0 when the status allows none)."""
    if donation.status not in REFUNDABLE:
        return 0
    return donation.amount - donation.refunded_amount


def _refund_amount(donation: Donation, form: RefundForm, locale: str) -> int:
    left = refundable(donation)
    if left == 0:
        raise FormInvalid({"": _("This donation cannot be refunded.")})
    if form.seen_refunded.strip() != str(donation.refunded_amount):
        raise FormInvalid({"": changed_message()})
    try:
        amount = read_amount(form.amount, donation.currency, locale)
    except AmountError as error:
        raise FormInvalid({"amount": str(error)}) from None
    if not 0 < amount <= left:
        raise FormInvalid(
            {"amount": _("Please enter an amount above zero and at most what is left.")}
        )
    return amount


def claim_refund(session: Session, donation: Donation, form: RefundForm, *, locale: str) -> int:
    """Check the refund and take the gift for it: a compare-and-set on the refunded amount
    and version the page showed, so of two clicks, or two staff members at once, one goes
    on and the others are told the gift changed, with nothing moved. Returns the amount.

    The caller commits the claim before ``refund_donation`` asks the provider, so the row
    lock it takes is never held across a network call."""
    amount = _refund_amount(donation, form, locale)
    seen = [Donation.id == donation.id, Donation.refunded_amount == donation.refunded_amount]
    if form.version.strip():
        seen.append(Donation.version == _whole(form.version))
    claimed = session.execute(
        update(Donation)
        .where(*seen)
        .values(version=Donation.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise FormInvalid({"": changed_message()})
    session.refresh(donation)
    return amount


def _whole(text: str) -> int:
    """A version number as posted; anything else matches no gift."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else -1


def refund_donation(
    session: Session,
    provider: PaymentProvider,
    settings: Settings,
    donation: Donation,
    amount: int,
    *,
    actor: Actor,
) -> bool:
    """Refund ``amount`` of ``donation``, claimed by ``claim_refund``; raise FormInvalid,
    changing nothing, when the provider refuses. Returns True when the totals changed now,
    False when they change on the provider's confirmation."""
    before = donation_snapshot(donation)
    if is_offline(donation):
        reference = _reverse(session, settings, donation, amount)
        action, details = "donation.offline_reversal", {"reference": reference}
    else:
        details = _request_refund(session, provider, settings, donation, amount)
        action = "donation.refund_request"
    record_change(
        session,
        actor=actor,
        action=action,
        entity_type="donation",
        entity_id=donation.id,
        before=before,
        after=donation_snapshot(donation) | details | {"requested": amount},
    )
    return before != donation_snapshot(donation)


def _reverse(session: Session, settings: Settings, donation: Donation, amount: int) -> str:
    """An offline gift handed back: a refund entry, numbered per donation. Two clicks at
    once compute the same number and the ledger's unique reference keeps only one."""
    earlier = session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.donation_id == donation.id, LedgerEntry.kind == LedgerKind.REFUND)
    )
    reference = f"offline-reversal:{donation.token}:{earlier + 1}"
    post_refund(session, settings, donation, reference, amount)
    return reference


def _request_refund(
    session: Session, provider: PaymentProvider, settings: Settings, donation: Donation, amount: int
) -> dict:
    if donation.provider != provider.name or not donation.provider_payment_id:
        raise FormInvalid(
            {"": _("This donation was not paid through the payment service in use now.")}
        )
    # The same request sent twice (a double click, a retry) is one refund at the provider.
    key = f"refund-{donation.token}-{donation.refunded_amount}-{amount}"
    try:
        refund = provider.refund(donation.provider_payment_id, amount, key)
    except ProviderError as error:
        raise FormInvalid(
            {"": _("The payment service refused the refund: %(reason)s", reason=str(error))}
        ) from None
    if not provider.confirms_refunds_by_webhook:
        # No webhook will come: read its refunds back now, as charge.refunded would.
        apply_refunds(session, provider, settings, donation.provider_payment_id)
    return {"refund_id": refund.id, "refund_status": refund.status, "idempotency_key": key}
