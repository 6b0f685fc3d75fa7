"""The donation form: reading what was posted, and what its template needs to show it.

Validation itself lives in ``services.donations``; this module only turns the posted
fields (named as in the public contract) into a GiftForm and back into a page.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from campaigns import app_settings
from campaigns.donations import bp
from campaigns.filters import local_today
from campaigns.models import Campaign, Donation, DonationOption
from campaigns.money import Currency, currency
from campaigns.services.giving.bank import offers_bank_transfer
from campaigns.services.giving.donations import (
    MAX_DEDICATION,
    MAX_NAME,
    MAX_ON_BEHALF,
    MAX_QUANTITY,
    GiftForm,
    accepts_gifts,
    allows_monthly,
)
from campaigns.text import column_length, parse_int

# A field no person sees (hidden by CSS, skipped by keyboard and screen readers): a bot
# that fills every input fills this one too.
HONEYPOT = "website"
TEXT_FIELDS = (
    "option",
    "quantity",
    "amount",
    "frequency",
    "designation",
    "name",
    "email",
    "dedication",
    "method",
)
# Without JavaScript the form offers this many "on behalf of" names at first: enough for
# a whole cow, which is seven shares. A larger quantity gets one input per share when the
# form comes back asking for the missing names.
ON_BEHALF_FIELDS = 7
# Each text input's maxlength: the limits the giving service checks.
MAX_LENGTHS = {
    "name": MAX_NAME,
    "email": column_length(Donation.donor_email),
    "dedication": MAX_DEDICATION,
    "on_behalf": MAX_ON_BEHALF,
    "quantity": len(str(MAX_QUANTITY)),
}


def gift_form(data: MultiDict[str, str]) -> GiftForm:
    """The posted form as the giving service reads it. Name inputs left blank are not
    names: the form offers more inputs than most gifts need."""
    return GiftForm(
        **{name: data[name] for name in TEXT_FIELDS if name in data},
        anonymous="anonymous" in data,
        updates="updates" in data,
        on_behalf=[name for name in data.getlist("on_behalf") if name.strip()],
    )


def is_bot(data: MultiDict[str, str]) -> bool:
    """True when the honeypot field was filled in."""
    return bool(data.get(HONEYPOT, "").strip())


@dataclass(frozen=True)
class DonationFormView:
    """What the form shows beyond the campaign page: the values typed (or the defaults),
    a message per field ("" for the whole form), the currency's limits, whether the
    campaign takes gifts today, the options that cannot be monthly, how many name
    inputs to offer, the largest quantity (give.js offers no more names), and each text
    input's maxlength."""

    values: GiftForm
    errors: dict[str, str]
    currency: Currency
    open: bool
    once_only: frozenset[int]
    name_inputs: int
    max_length: dict[str, int]
    max_quantity: int


@bp.app_template_global()
def donation_form(
    campaign: Campaign,
    options: list[DonationOption],
    gift: GiftForm | None = None,
    errors: dict[str, str] | None = None,
) -> DonationFormView:
    """The donation form of ``campaign`` offering ``options``, blank or as the donor sent
    it with its errors."""
    offered = campaign.designation_list
    values = gift or GiftForm(designation=offered[0].value if offered else "")
    typed = parse_int(values.quantity) or 0
    return DonationFormView(
        values=values,
        errors=errors or {},
        currency=currency(campaign.currency),
        open=accepts_gifts(campaign, local_today()),
        once_only=frozenset(o.id for o in options if not allows_monthly(o)),
        name_inputs=min(max(ON_BEHALF_FIELDS, typed, len(values.on_behalf)), MAX_QUANTITY),
        max_length=MAX_LENGTHS,
        max_quantity=MAX_QUANTITY,
    )


@bp.app_template_global("offers_bank_transfer")
def bank_transfer_offered(campaign: Campaign) -> bool:
    """Whether the form offers ``method`` bank_transfer (BANK_ACCOUNTS has the currency)."""
    return offers_bank_transfer(app_settings(), campaign)
