"""The donation form: reading what was posted, and what its template needs to show it.

Validation itself lives in ``services.donations``; this module only turns the posted
fields (named as in the public contract) into a GiftForm and back into a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import get_decimal_symbol
from flask import current_app
from flask_babel import get_locale
from werkzeug.datastructures import MultiDict

from campaigns import app_settings
from campaigns.donations import bp
from campaigns.filters import local_today
from campaigns.models import Campaign, Donation, DonationOption
from campaigns.models.campaign import Designation, Suggestion
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
    "preset",
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
        proxy="proxy" in data,
        cover_fees="cover_fees" in data,
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
    inputs to offer, the largest quantity (give.js offers no more names), each text
    input's maxlength, and the payment provider."""

    values: GiftForm
    errors: dict[str, str]
    currency: Currency
    open: bool
    once_only: frozenset[int]
    name_inputs: int
    max_length: dict[str, int]
    max_quantity: int
    suggestions: list[Suggestion]
    # Every designation offered for some gift, and for which: option ids, "" for an amount.
    designations: dict[Designation, list[str]]
    provider: str  # who takes the payment ("stripe", "demo"): the line beside the button
    cover_basis_points: int  # FEE_COVER_PERCENT in hundredths (0: no "cover the fees" box)
    cover_percent: Decimal
    decimal_mark: str  # the reader's decimal mark, for give.js to read a typed amount


def opening_values(
    campaign: Campaign, options: list[DonationOption], chosen: str | None = None
) -> GiftForm:
    """The form before the donor touches it: never an empty amount box. The option
    ``chosen`` (from a "Ways to give" link), else the first that is not sold out, one of
    it; a gift of one's own amount starts on the middle suggested amount."""
    open_options = [o for o in options if not o.sold_out]
    option = next((o for o in open_options if str(o.id) == chosen), None)
    if option is None and chosen != "":
        option = open_options[0] if open_options else None
    suggestions = campaign.suggestions
    middle = suggestions[len(suggestions) // 2].amount if suggestions else None
    offered = campaign.designations_for(option)
    return GiftForm(
        option=str(option.id) if option else "",
        preset=str(middle) if middle else "",
        designation=offered[0].value if offered else "",
    )


def designation_choices(
    campaign: Campaign, options: list[DonationOption]
) -> dict[Designation, list[str]]:
    """Each designation the form offers, with the gifts it applies to."""
    gifts: list[DonationOption | None] = [*options, None]
    return {
        designation: [
            str(o.id) if o else "" for o in gifts if designation in campaign.designations_for(o)
        ]
        for designation in campaign.designation_list
        if any(designation in campaign.designations_for(o) for o in gifts)
    }


@bp.app_template_global()
def donation_form(
    campaign: Campaign,
    options: list[DonationOption],
    gift: GiftForm | None = None,
    errors: dict[str, str] | None = None,
    chosen: str | None = None,
) -> DonationFormView:
    """The donation form of ``campaign`` offering ``options``, as it opens (on the option
    ``chosen``, when given) or as the donor sent it with its errors."""
    values = gift or opening_values(campaign, options, chosen)
    settings = app_settings()
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
        suggestions=campaign.suggestions,
        designations=designation_choices(campaign, options),
        provider=current_app.extensions["payment_provider"].name,
        cover_basis_points=settings.fee_cover_basis_points,
        cover_percent=settings.fee_cover_percent,
        decimal_mark=get_decimal_symbol(str(get_locale() or "en")),
    )


@bp.app_template_global("offers_bank_transfer")
def bank_transfer_offered(campaign: Campaign) -> bool:
    """Whether the form offers ``method`` bank_transfer (BANK_ACCOUNTS has the currency)."""
    return offers_bank_transfer(app_settings(), campaign)
