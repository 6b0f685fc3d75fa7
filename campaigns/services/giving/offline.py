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

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from campaigns.models import (
    Campaign,
    Donation,
    DonationStatus,
    LedgerKind,
)
from campaigns.models.base import new_token
from campaigns.models.campaign import Designation
from campaigns.money import AmountError
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change
from campaigns.services.books.ledger import post_entry
from campaigns.services.books.receipts import issue_receipt
from campaigns.services.giving.donations import read_option, reserve_stock
from campaigns.services.mail.notifications import queue_thank_you
from campaigns.settings import ReceiptSettings
from campaigns.text import column_length, read_count, read_date, read_email, read_money, read_text

MAX_NOTE = 2000  # a staff note (a TEXT column)
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


def _gift_values(
    session: Session, campaign: Campaign, form: OfflineGiftForm, locale: str, today: date
) -> dict:
    errors: dict[str, str] = {}
    option = read_option(session, campaign, form.option, errors)
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
        "donor_name": read_text(
            form.donor_name, "donor_name", column_length(Donation.donor_name), errors, required=True
        ),
        "donor_email": read_email(form.donor_email, "donor_email", errors, required=False),
        "note": read_text(form.note, "note", MAX_NOTE, errors, multiline=True),
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
    actor: Actor,
    receipts: ReceiptSettings,
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
        donation=donation,
        # A gift without an e-mail still has a donor: counted once, by its own reference.
        donor_email=donation.donor_email or reference,
    )
    if donation.donor_email:
        issue_receipt(session, donation, receipts)
        queue_thank_you(session, donation, content_language=receipts.content_language)
    record_change(
        session,
        actor=actor,
        action="donation.offline_gift",
        entity_type="donation",
        entity_id=donation.id,
        after=donation_snapshot(donation) | {"note": donation.note},
    )
    return donation
