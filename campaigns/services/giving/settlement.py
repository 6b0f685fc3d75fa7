"""What happens to a donation when its provider reports on it: fulfilment, failure,
expiry, refunds, disputes and monthly instalments.

Every function here is idempotent and safe to run concurrently: the provider is asked
for the truth (payloads and URLs are only hints), status changes are compare-and-set
updates, and money moves only through ``ledger.post_entry`` whose unique references
make a second post a no-op. Any order of calls ends in the same state.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, bindparam, case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from campaigns.models import Donation, DonationOption, DonationStatus, LedgerKind, OutboxMessage
from campaigns.models.base import utcnow
from campaigns.models.donation import TRANSITIONS, Frequency
from campaigns.money import share_of
from campaigns.payments import Checkout, Invoice, PaymentProvider
from campaigns.services.books.ledger import post_with_cover
from campaigns.services.books.receipts import (
    issue_new_receipt,
    new_receipt,
    void_donation_receipt,
)
from campaigns.services.mail.notifications import message_values, thank_you
from campaigns.services.sql import update_then_insert, update_where
from campaigns.settings import Settings

log = logging.getLogger(__name__)
S = DonationStatus


class Outcome(enum.StrEnum):
    """What a call did, for callers that report it (reconcile, the thank-you page)."""

    PAID = "paid"  # this call moved the donation to paid
    ALREADY = "already"  # nothing to do: already in that state
    PROCESSING = "processing"  # checkout complete, payment still on its way
    OPEN = "open"  # the donor has not finished the checkout
    EXPIRED = "expired"
    FAILED = "failed"
    MISMATCH = "mismatch"  # the provider's object does not match the donation
    UNKNOWN = "unknown"  # no donation of ours
    REFUNDED = "refunded"  # this call took a refund off the totals (or gave a failed one back)


@dataclass(frozen=True)
class Handled:
    """What a webhook handler did; every handler in ``webhooks.HANDLERS`` returns one: its
    outcome and the gift the event concerned (None when it names none of ours)."""

    outcome: Outcome
    donation_id: int | None = None


def advance(
    session: Session,
    donation: Donation,
    to: DonationStatus,
    *,
    then_queue: dict | None = None,
    **values,
) -> bool:
    """Move ``donation`` to ``to`` if it is still in the status we read; True if this call
    did it. Concurrent callers race on one UPDATE ... WHERE status = <read>; one wins.
    ``then_queue``: an outbox message (``message_values``) queued only if this call moved
    it, in the same statement on PostgreSQL."""
    current = donation.status
    if to not in TRANSITIONS[current]:
        return False
    if to == S.PAID and donation.paid_at is None:
        values.setdefault("paid_at", utcnow())
    values |= {"status": to, "updated_at": utcnow()}
    where = {"id": donation.id, "status": current}
    if then_queue is None:
        won = update_where(session, Donation, where, values)
    else:
        won = update_then_insert(session, Donation, where, values, OutboxMessage, then_queue)
    if not won:  # someone else moved it: read what they made of it
        session.refresh(donation)
        return False
    # The row is now what this update wrote; no need to read it back.
    for name, value in values.items():
        set_committed_value(donation, name, value)
    return True


def _hold(session: Session, donation: Donation, held: ColumnElement[int]) -> None:
    if donation.option_id is None:
        return
    session.execute(
        update(DonationOption)
        .where(DonationOption.id == donation.option_id, DonationOption.stock.is_not(None))
        .values(reserved=held)
        .execution_options(synchronize_session=False)
    )


def release_stock(session: Session, donation: Donation, quantity: int | None = None) -> None:
    """Give back the units a donation held on a limited option (expired, failed, refunded):
    all of them, or ``quantity`` (the shares of a gift refunded one by one)."""
    _hold(session, donation, DonationOption.reserved - (quantity or donation.quantity))


def hold_stock_again(session: Session, donation: Donation, quantity: int | None = None) -> None:
    """A refunded gift (or ``quantity`` of its shares) counts again: its units are sold
    once more. If they were sold to someone else meanwhile, the option is simply sold out
    (never held beyond its stock)."""
    held = DonationOption.reserved + (quantity or donation.quantity)
    _hold(session, donation, case((held > DonationOption.stock, DonationOption.stock), else_=held))


_FIND: dict[tuple[str, ...], Select] = {}


def find_donation(session: Session, **criteria) -> Donation | None:
    """The donation matching ``criteria``, its campaign loaded with it (posting needs it).
    One statement per set of criteria, built once (a webhook runs it for every payment)."""
    names = tuple(sorted(criteria))
    if names == ("token",):
        held = _held(session, criteria["token"])
        if held is not None:
            return held
    statement = _FIND.get(names)
    if statement is None:
        statement = _FIND[names] = (
            select(Donation)
            .where(*(getattr(Donation, name) == bindparam(name) for name in names))
            .options(joinedload(Donation.campaign))
        )
    return session.scalars(statement, criteria).first()


# session.info key: gifts read with their campaign by an earlier statement of this
# transaction, by token (the session's identity map holds unchanged objects only weakly).
_READ = "campaigns.gifts_read"


def keep_read(session: Session, donation: Donation) -> None:
    """``donation``, just read with its campaign (a webhook's event reads it with its
    insert): ``find_donation`` by its token returns it without asking again."""
    session.info[_READ] = {donation.token: donation}  # the latest only: nothing piles up


def _held(session: Session, token: str) -> Donation | None:
    """The gift ``keep_read`` kept for ``token``, while it is still in the session and
    loaded (a commit expires it), as the query would return it: a token never changes."""
    held = session.info.get(_READ, {}).get(token)
    if held is None or held not in session:
        return None
    loaded = held.__dict__
    return held if "campaign" in loaded and "status" in loaded else None


def cover_part(donation: Donation, amount: int) -> int:
    """The fee cover's part of ``amount`` of what ``donation``'s donor paid (a dispute, an
    instalment): in proportion, rounded down to the minor unit; all of it for the whole."""
    return share_of(amount, donation.fee_cover, donation.amount)


def _matches(donation: Donation, amount: int, currency: str) -> bool:
    if amount == donation.amount and currency == donation.currency:
        return True
    log.error(
        "donation %s: provider reports %s %s, expected %s %s",
        donation.token,
        amount,
        currency,
        donation.amount,
        donation.currency,
    )
    return False


def mark_paid(
    session: Session,
    settings: Settings,
    donation: Donation,
    *,
    payment_id: str,
    subscription_id: str | None = None,
) -> Outcome:
    """Record a confirmed payment: status paid, one ledger entry, the receipt and the
    thank-you e-mail carrying it, exactly once and in one transaction (a one-off gift, a
    monthly gift's first payment, each instalment)."""
    if donation.status != S.PENDING:
        return Outcome.ALREADY
    # The thank-you is queued with the status change (one statement on PostgreSQL): its
    # insert holds nothing anyone else waits for. Then every gift to the campaign queues
    # on its totals row, and every gift of the year on its receipt counter row, from the
    # lock to the commit: the posting locks the totals after its inserts, then the receipt
    # takes the counter (the order refunds and offline gifts take them in too), and
    # nothing follows them but the commit.
    if not advance(
        session,
        donation,
        S.PAID,
        then_queue=message_values(
            **thank_you(donation, content_language=settings.content_language)
        ),
        provider_payment_id=payment_id,
        provider_subscription_id=subscription_id,
    ):
        return Outcome.ALREADY
    # The update above locked the donation, and a gift paid only now has no receipt yet:
    # numbered with the gift's posting where that is one statement, else after it.
    receipt = new_receipt(donation, settings.receipts)
    post_with_cover(
        session,
        donation,
        kind=LedgerKind.PAYMENT,
        amount=donation.amount,
        cover=donation.fee_cover,
        reference=payment_id,
        units=donation.units,
        then=receipt,
    )
    issue_new_receipt(session, donation, receipt)
    return Outcome.PAID


def fulfill_checkout(
    session: Session, provider: PaymentProvider, settings: Settings, checkout_id: str
) -> Outcome:
    """Bring a donation in line with its checkout as the provider reports it now.

    Used by the thank-you page, the webhook and reconcile alike.
    """
    return _fulfill(session, provider, settings, checkout_id).outcome


def _fulfill(
    session: Session, provider: PaymentProvider, settings: Settings, checkout_id: str
) -> Handled:
    checkout = provider.retrieve_checkout(checkout_id)
    donation = find_donation(session, token=checkout.reference) if checkout.reference else None
    if donation is None:
        return Handled(Outcome.UNKNOWN)
    if donation.provider_session_id != checkout.id or not _matches(
        donation, checkout.amount_total, checkout.currency
    ):
        return Handled(Outcome.MISMATCH)
    return Handled(_apply_checkout(session, provider, settings, donation, checkout), donation.id)


def _apply_checkout(
    session: Session,
    provider: PaymentProvider,
    settings: Settings,
    donation: Donation,
    checkout: Checkout,
) -> Outcome:
    if checkout.status == "expired":
        return expire_donation(session, donation)
    if checkout.status != "complete":
        return Outcome.OPEN
    if not checkout.paid:
        return Outcome.PROCESSING if donation.status == S.PENDING else Outcome.ALREADY
    payment_id = checkout.payment_id
    if checkout.subscription_id:
        # A monthly gift's first payment is its first invoice's payment intent.
        if not checkout.invoice_id:
            return Outcome.PROCESSING
        payment_id = provider.retrieve_invoice(checkout.invoice_id).payment_id
    if not payment_id:
        return Outcome.PROCESSING
    return mark_paid(
        session,
        settings,
        donation,
        payment_id=payment_id,
        subscription_id=checkout.subscription_id,
    )


def expire_donation(session: Session, donation: Donation) -> Outcome:
    """An abandoned checkout: the donation expires and its held stock is released."""
    if not advance(session, donation, S.EXPIRED):
        return Outcome.ALREADY
    release_stock(session, donation)
    return Outcome.EXPIRED


def checkout_event(
    session: Session, provider: PaymentProvider, settings: Settings, checkout_id: str
) -> Handled:
    """``fulfill_checkout`` for a webhook: with the gift whose checkout it is."""
    handled = _fulfill(session, provider, settings, checkout_id)
    if handled.donation_id is not None:
        return handled
    # A checkout whose reference names no gift, or another one, may still be one of ours.
    donation_id = session.scalar(
        select(Donation.id).where(Donation.provider_session_id == checkout_id)
    )
    return Handled(handled.outcome, donation_id)


def fail_checkout(
    session: Session, provider: PaymentProvider, settings: Settings, checkout_id: str
) -> Handled:
    """A delayed payment failed (checkout.session.async_payment_failed)."""
    checkout = provider.retrieve_checkout(checkout_id)
    donation = find_donation(session, token=checkout.reference) if checkout.reference else None
    if donation is None or donation.provider_session_id != checkout.id:
        return Handled(Outcome.UNKNOWN)
    if checkout.paid:  # the provider's word now beats the event's
        outcome = _apply_checkout(session, provider, settings, donation, checkout)
        return Handled(outcome, donation.id)
    return Handled(fail_donation(session, donation), donation.id)


def fail_donation(session: Session, donation: Donation) -> Outcome:
    """A pending donation whose payment failed, or whose checkout could not be opened:
    it fails and its held stock is released, once (whoever else tries, finds it done)."""
    if not advance(session, donation, S.FAILED):
        return Outcome.ALREADY
    release_stock(session, donation)
    return Outcome.FAILED


def paid_donation(
    session: Session, provider: PaymentProvider, settings: Settings, payment_id: str
) -> Donation | None:
    """The donation a payment belongs to, recording that payment first if it never was (a
    refund or dispute event that overtook checkout.session.completed or invoice.paid)."""
    donation = find_donation(session, provider_payment_id=payment_id)
    if donation is not None:
        return donation
    token = provider.payment_reference(payment_id)
    if not token:
        # A monthly payment names no donation; its invoice does (the first one, or an
        # instalment that becomes a donation of its own).
        invoice_id = provider.payment_invoice(payment_id)
        if invoice_id is None:
            return None
        record_invoice(session, provider, settings, invoice_id)
        return find_donation(session, provider_payment_id=payment_id)
    donation = find_donation(session, token=token)
    if donation is None or donation.status != S.PENDING or not donation.provider_session_id:
        return None
    fulfill_checkout(session, provider, settings, donation.provider_session_id)
    return donation if donation.provider_payment_id == payment_id else None


def open_dispute(
    session: Session, provider: PaymentProvider, settings: Settings, dispute_id: str
) -> Handled:
    """A chargeback opened: the disputed amount leaves the totals until it is won."""
    dispute = provider.retrieve_dispute(dispute_id)
    donation = paid_donation(session, provider, settings, dispute.payment_id)
    if donation is None:
        return Handled(Outcome.UNKNOWN)
    if dispute.currency != donation.currency:
        return Handled(Outcome.MISMATCH, donation.id)
    disputed = post_with_cover(
        session,
        donation,
        kind=LedgerKind.DISPUTE,
        amount=dispute.amount,
        cover=cover_part(donation, dispute.amount),
        reference=dispute.id,
        units=donation.units,
    )
    if disputed:
        advance(session, donation, S.DISPUTED)
    outcome = _settle_dispute(
        session, settings, donation, dispute.id, dispute.status, dispute.amount
    )
    return Handled(outcome, donation.id)


def _settle_dispute(
    session: Session,
    settings: Settings,
    donation: Donation,
    dispute_id: str,
    status: str,
    amount: int,
) -> Outcome:
    if status == "won":
        won = post_with_cover(
            session,
            donation,
            kind=LedgerKind.DISPUTE_WON,
            amount=amount,
            cover=cover_part(donation, amount),
            reference=f"{dispute_id}:won",
            units=donation.units,
        )
        if won:
            back = S.PARTIALLY_REFUNDED if donation.refunded_amount else S.PAID
            advance(session, donation, back)
        return Outcome.PAID
    if status == "lost":
        advance(session, donation, S.LOST)
        if donation.status == S.LOST:
            void_donation_receipt(session, donation, settings.receipts)
        return Outcome.FAILED
    return Outcome.PROCESSING


def record_invoice(
    session: Session, provider: PaymentProvider, settings: Settings, invoice_id: str
) -> Handled:
    """A paid monthly invoice: the first completes the donor's first gift; each later one
    becomes its own paid donation (an instalment), counted once."""
    invoice = provider.retrieve_invoice(invoice_id)
    if invoice.status != "paid" or not invoice.payment_id or not invoice.reference:
        return Handled(Outcome.PROCESSING)
    first = find_donation(session, token=invoice.reference)
    if first is None or first.frequency != Frequency.MONTHLY:
        return Handled(Outcome.UNKNOWN)
    if invoice.currency != first.currency:
        return Handled(Outcome.MISMATCH, first.id)
    if invoice.billing_reason == "subscription_create":
        if not _matches(first, invoice.amount_paid, invoice.currency):
            return Handled(Outcome.MISMATCH, first.id)
        outcome = mark_paid(
            session,
            settings,
            first,
            payment_id=invoice.payment_id,
            subscription_id=invoice.subscription_id,
        )
        return Handled(outcome, first.id)
    return _record_instalment(session, settings, first, invoice)


def _record_instalment(
    session: Session, settings: Settings, first: Donation, invoice: Invoice
) -> Handled:
    known = find_donation(session, provider_payment_id=invoice.payment_id)
    if known is not None:
        return Handled(Outcome.ALREADY, known.id)
    instalment = Donation(
        campaign_id=first.campaign_id,
        option_id=first.option_id,
        quantity=first.quantity,
        units=first.units,
        amount=invoice.amount_paid,
        # Each instalment splits as the first gift did: the same cover for the same amount.
        fee_cover=cover_part(first, invoice.amount_paid),
        currency=first.currency,
        frequency=Frequency.MONTHLY,
        designation=first.designation,
        donor_name=first.donor_name,
        donor_email=first.donor_email,
        anonymous=first.anonymous,
        updates_opt_in=first.updates_opt_in,
        dedication=first.dedication,
        on_behalf=list(first.on_behalf),
        locale=first.locale,
        provider=first.provider,
        provider_payment_id=invoice.payment_id,
        provider_subscription_id=invoice.subscription_id,
        parent_id=first.id,
    )
    try:
        with session.begin_nested():
            session.add(instalment)
    except IntegrityError:
        known = find_donation(session, provider_payment_id=invoice.payment_id)
        return Handled(Outcome.ALREADY, known.id if known else None)
    outcome = mark_paid(
        session,
        settings,
        instalment,
        payment_id=invoice.payment_id,
        subscription_id=invoice.subscription_id,
    )
    return Handled(outcome, instalment.id)


def end_subscription(session: Session, subscription_id: str) -> Handled:
    """The donor's monthly gift was cancelled (by them, by staff or by Stripe)."""
    first = session.scalar(
        select(Donation.id).where(
            Donation.provider_subscription_id == subscription_id, Donation.parent_id.is_(None)
        )
    )
    ended = session.execute(
        update(Donation)
        .where(
            Donation.provider_subscription_id == subscription_id,
            Donation.parent_id.is_(None),
            Donation.subscription_ended_at.is_(None),
        )
        .values(subscription_ended_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return Handled(Outcome.PAID if ended else Outcome.ALREADY, first)
