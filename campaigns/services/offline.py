"""Money handled by staff: gifts received in cash or by bank transfer, and refunds.

An offline gift becomes a paid donation whose provider is how it was paid ("cash",
"bank_transfer"), posted to the ledger as an offline gift under its own reference, with
a receipt (and the thank-you e-mail carrying it) when the donor gave an e-mail address.

A refund of an online gift is asked of the payment provider; the ledger changes when the
provider confirms it (Stripe's charge.refunded webhook), never before. The demo provider
sends no webhooks, so its refunds are read back at once, as the webhook would. An offline
gift is given back outside the app, and reversed here by a ledger entry.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from campaigns.models import (
    Campaign,
    Donation,
    DonationOption,
    DonationStatus,
    LedgerEntry,
    LedgerKind,
    StaffUser,
)
from campaigns.models.base import new_token
from campaigns.models.campaign import Designation
from campaigns.money import AmountError, read_amount
from campaigns.payments import PaymentProvider, ProviderError
from campaigns.services import FormInvalid
from campaigns.services.audit import record_change
from campaigns.services.campaign_admin import (
    read_count,
    read_date,
    read_money,
    read_text,
)
from campaigns.services.donations import reserve_stock
from campaigns.services.ledger import post_entry
from campaigns.services.notifications import queue_thank_you
from campaigns.services.payments import apply_refunds, post_refund
from campaigns.services.receipts import issue_receipt, receipt_settings
from campaigns.text import check_text, parse_int

# Only these can be refunded; a disputed gift is settled by the dispute.
REFUNDABLE = (DonationStatus.PAID, DonationStatus.PARTIALLY_REFUNDED)


class PaymentMethod(enum.StrEnum):
    """How an offline gift was paid; stored as the donation's provider."""

    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"


def is_offline(donation: Donation) -> bool:
    return donation.provider in set(PaymentMethod)


@dataclass
class OfflineGiftForm:
    """The offline gift form as submitted: raw strings."""

    amount: str = ""
    option: str = ""
    quantity: str = "1"
    designation: str = Designation.GENERAL.value
    method: str = PaymentMethod.BANK_TRANSFER.value
    donor_name: str = ""
    donor_email: str = ""
    received_on: str = ""
    note: str = ""


def _option(session: Session, campaign: Campaign, text: str, errors: dict):
    if not text.strip():
        return None
    option_id = parse_int(text, minimum=1)
    option = session.get(DonationOption, option_id) if option_id is not None else None
    if option is None or option.campaign_id != campaign.id or not option.active:
        errors["option"] = _("Please choose one of the gifts listed.")
        return None
    return option


def _email(text: str, errors: dict) -> str:
    text = check_text(text, "donor_email", errors).strip()
    if not text or "donor_email" in errors:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        errors["donor_email"] = _("Please enter a valid e-mail address, or leave it empty.")
        return ""


def _gift_values(
    session: Session, campaign: Campaign, form: OfflineGiftForm, locale: str, today: date
) -> dict:
    errors: dict[str, str] = {}
    option = _option(session, campaign, form.option, errors)
    quantity = read_count(form.quantity, "quantity", errors) or 1
    amount = 0
    if option is not None and not form.amount.strip():
        amount = option.unit_price * quantity  # the option's price, unless staff typed one
    else:
        try:
            amount = read_money(form.amount, campaign.currency, locale)
        except AmountError as error:
            errors["amount"] = str(error)
    if form.designation not in campaign.designations.split(","):
        errors["designation"] = _("Please choose one of the designations listed.")
    if form.method not in set(PaymentMethod):
        errors["method"] = _("Please choose cash or bank transfer.")
    received_on = read_date(form.received_on, "received_on", errors, required=True)
    if received_on and received_on > today:
        errors["received_on"] = _("The date received cannot be in the future.")
    values = {
        "option": option,
        "quantity": quantity if option else 1,
        "units": option.units * quantity if option else 0,
        "amount": amount,
        "designation": form.designation,
        "provider": form.method,
        "donor_name": read_text(form.donor_name, "donor_name", 200, errors, required=True),
        "donor_email": _email(form.donor_email, errors),
        "note": read_text(form.note, "note", 2000, errors, multiline=True),
        # Noon: the day received stays the same day in any time zone near the charity's.
        "paid_at": datetime.combine(received_on, time(12), tzinfo=UTC) if received_on else None,
    }
    if errors:
        raise FormInvalid(errors)
    return values


def donation_snapshot(donation: Donation) -> dict:
    """What the audit log keeps of a donation's money."""
    return {
        "token": donation.token,
        "amount": donation.amount,
        "currency": donation.currency,
        "refunded_amount": donation.refunded_amount,
        "status": donation.status.value,
        "provider": donation.provider,
    }


def record_offline_gift(
    session: Session,
    campaign: Campaign,
    form: OfflineGiftForm,
    *,
    locale: str,
    today: date,
    actor: StaffUser,
    address: str | None = None,
) -> Donation:
    """Record a cash or bank-transfer gift as a paid donation and post it to the ledger,
    with a receipt and the thank-you e-mail when the donor gave an e-mail address. Raises
    FormInvalid with a message per field; the caller then rolls back, changing nothing."""
    values = _gift_values(session, campaign, form, locale, today)
    token = new_token()
    reference = f"offline:{token}"
    donation = Donation(
        token=token,
        campaign=campaign,
        currency=campaign.currency,
        locale=locale,
        status=DonationStatus.PAID,
        provider_payment_id=reference,
        **values,
    )
    session.add(donation)
    session.flush()
    if donation.option is not None:
        reserve_stock(session, donation.option, donation.quantity)  # a FormInvalid if sold out
    post_entry(
        session,
        campaign=campaign,
        kind=LedgerKind.OFFLINE_GIFT,
        amount=donation.amount,
        currency=donation.currency,
        reference=reference,
        units=donation.units,
        donation_id=donation.id,
        # A gift without an e-mail still has a donor: counted once, by its own reference.
        donor_email=donation.donor_email or reference,
    )
    if donation.donor_email:
        receipt = issue_receipt(session, donation, receipt_settings(current_app.config))
        queue_thank_you(session, donation, receipt)
    record_change(
        session,
        actor=actor,
        address=address,
        action="donation.offline_gift",
        entity_type="donation",
        entity_id=donation.id,
        after=donation_snapshot(donation) | {"note": donation.note},
    )
    return donation


# -- refunds --------------------------------------------------------------------------------


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
    donation: Donation,
    amount: int,
    *,
    actor: StaffUser,
    address: str | None = None,
) -> bool:
    """Refund ``amount`` of ``donation``, claimed by ``claim_refund``; raise FormInvalid,
    changing nothing, when the provider refuses. Returns True when the totals changed now,
    False when they change on the provider's confirmation."""
    before = donation_snapshot(donation)
    if is_offline(donation):
        reference = _reverse(session, donation, amount)
        action, details = "donation.offline_reversal", {"reference": reference}
    else:
        details = _request_refund(session, provider, donation, amount)
        action = "donation.refund_request"
    record_change(
        session,
        actor=actor,
        address=address,
        action=action,
        entity_type="donation",
        entity_id=donation.id,
        before=before,
        after=donation_snapshot(donation) | details | {"requested": amount},
    )
    return before != donation_snapshot(donation)


def _reverse(session: Session, donation: Donation, amount: int) -> str:
    """An offline gift handed back: a refund entry, numbered per donation. Two clicks at
    once compute the same number and the ledger's unique reference keeps only one."""
    earlier = session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.donation_id == donation.id, LedgerEntry.kind == LedgerKind.REFUND)
    )
    reference = f"offline-reversal:{donation.token}:{earlier + 1}"
    post_refund(session, donation, reference, amount)
    return reference


def _request_refund(
    session: Session, provider: PaymentProvider, donation: Donation, amount: int
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
    if provider.name == "demo":
        # The demo sends no webhooks: read its refunds back now, as charge.refunded would.
        apply_refunds(session, provider, donation.provider_payment_id)
    return {"refund_id": refund.id, "refund_status": refund.status, "idempotency_key": key}
