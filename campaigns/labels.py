"""The one place that names each enum value for people: every page, e-mail, receipt and
form shows these labels, never the stored codes.

``label(value)`` takes any member of the enums below (a template calls the ``label``
global); ``payment_method(name)`` names a ``Donation.provider`` (an online provider or an
offline method). Labels are lazy, so they are translated in the reader's language when
shown. A new enum member without a label fails ``tests/test_labels.py``.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from campaigns.models.bank import LineProblem, LineStatus
from campaigns.models.campaign import CampaignStatus, Designation
from campaigns.models.donation import DonationStatus, Frequency
from campaigns.models.ledger import LedgerKind
from campaigns.models.staff import Role

LABELS: dict[type[enum.StrEnum], dict] = {
    Designation: {
        Designation.GENERAL: _l("General"),
        Designation.SADAQAH: _l("Sadaqah"),
        Designation.ZAKAT: _l("Zakat"),
        Designation.SACRIFICE: _l("Qurban sacrifice"),
    },
    DonationStatus: {
        DonationStatus.PENDING: _l("Pending"),
        DonationStatus.PAID: _l("Received"),
        DonationStatus.PARTIALLY_REFUNDED: _l("Partly refunded"),
        DonationStatus.REFUNDED: _l("Refunded"),
        DonationStatus.FAILED: _l("Failed"),
        DonationStatus.EXPIRED: _l("Expired"),
        DonationStatus.DISPUTED: _l("Disputed"),
        DonationStatus.LOST: _l("Lost"),
    },
    Frequency: {Frequency.ONCE: _l("Once"), Frequency.MONTHLY: _l("Every month")},
    CampaignStatus: {
        CampaignStatus.DRAFT: _l("Draft (not shown)"),
        CampaignStatus.ACTIVE: _l("Active (taking gifts)"),
        CampaignStatus.CLOSED: _l("Closed (shown, not taking gifts)"),
    },
    LineStatus: {
        LineStatus.WAITING: _l("Waiting for staff"),
        LineStatus.MATCHED: _l("Paid a pledge"),
        LineStatus.RECORDED: _l("Recorded as a gift"),
        LineStatus.NOT_DONATION: _l("Not a donation"),
    },
    LineProblem: {
        LineProblem.NO_CODE: _l("No valid reference code (none, or mistyped)"),
        LineProblem.PLEDGE_CLOSED: _l("The pledge is no longer waiting"),
        LineProblem.CURRENCY: _l("Not the pledge's currency"),
        LineProblem.UNDERPAID: _l("Less than pledged"),
    },
    Role: {Role.ADMIN: _l("Admin"), Role.EDITOR: _l("Editor"), Role.VIEWER: _l("Viewer")},
    LedgerKind: {
        LedgerKind.PAYMENT: _l("Payment"),
        LedgerKind.REFUND: _l("Refund"),
        LedgerKind.DISPUTE: _l("Dispute"),
        LedgerKind.DISPUTE_WON: _l("Dispute won"),
        LedgerKind.OFFLINE_GIFT: _l("Offline gift"),
        LedgerKind.REFUND_FAILED: _l("Refund failed"),
        LedgerKind.FEE_COVER: _l("Fee cover"),
        LedgerKind.FEE_COVER_RETURNED: _l("Fee cover returned"),
    },
}

# What each designation means, under its label on the donation form.
DESIGNATION_HINTS = {
    Designation.GENERAL: _l("Where it is needed most in this campaign."),
    Designation.SADAQAH: _l("A voluntary charity, given for this campaign."),
    Designation.ZAKAT: _l("Kept apart and spent only on those entitled to zakat."),
    Designation.SACRIFICE: _l("Offered as a sacrifice on the days of Eid al-Adha."),
}

# A gift's status as its donor reads it (their gifts page), where it differs from staff's.
DONOR_STATUS_LABELS = {
    DonationStatus.DISPUTED: _l("Disputed with your bank"),
    DonationStatus.LOST: _l("Reversed by your bank"),
}

# Donation.provider -> how the donor paid: the online providers and the offline methods
# (services.giving.offline.PaymentMethod).
PAYMENT_METHODS = {
    "stripe": _l("Card via Stripe"),
    "demo": _l("Demo checkout (TEST)"),
    "cash": _l("Cash"),
    "bank_transfer": _l("Bank transfer"),
}


def label(value: enum.StrEnum):
    """The translated label of an enum member (KeyError for a value of no known enum)."""
    return LABELS[type(value)][value]


def labels_of(enum_cls: type[enum.StrEnum]) -> dict:
    """Every member of ``enum_cls`` with its label, in the enum's order."""
    return {member: LABELS[enum_cls][member] for member in enum_cls}


def donor_status(status: DonationStatus):
    """A gift's status as its donor reads it."""
    return DONOR_STATUS_LABELS.get(status) or label(status)


def designation_hint(designation: Designation):
    return DESIGNATION_HINTS[designation]


def payment_method(provider: str):
    """How a gift was paid, from ``Donation.provider``; an unknown name is shown as is."""
    return PAYMENT_METHODS.get(provider, provider)


def register(app) -> None:
    """Make the labels Jinja globals: ``label(donation.status)`` in every template."""
    app.jinja_env.globals.update(
        label=label,
        donor_status=donor_status,
        designation_hint=designation_hint,
        payment_method=payment_method,
    )
