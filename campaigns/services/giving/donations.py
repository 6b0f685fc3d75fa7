"""Giving: validate what a donor chose, store a pending donation, open a checkout.

Nothing here moves money; ``services.giving.settlement`` records what the provider confirms.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.orm import Session

from campaigns.labels import label
from campaigns.models import Campaign, Donation, DonationOption, DonationStatus
from campaigns.models.base import utcnow
from campaigns.models.campaign import CampaignStatus, Designation
from campaigns.models.donation import Frequency
from campaigns.money import AmountError, check_range, parse_amount, percent_of
from campaigns.payments import CheckoutRequest, PaymentProvider, ProviderError
from campaigns.services import FormInvalid
from campaigns.services.giving.settlement import fail_donation
from campaigns.settings import Settings
from campaigns.text import check_text, column_length, parse_int, read_email

MAX_QUANTITY = 100
MAX_NAME = column_length(Donation.donor_name)
MAX_ON_BEHALF = 120  # each name of the on_behalf list (a JSON column)
MAX_DEDICATION = column_length(Donation.dedication)
METHODS = ("card", "bank_transfer")  # the form's ``method``: the provider, or a pledge


class GiftInvalid(FormInvalid):
    """What the donor sent cannot be taken; nothing is stored."""


@dataclass
class GiftForm:
    """The donation form as submitted: raw strings, as the contract names them."""

    option: str = ""
    quantity: str = "1"
    amount: str = ""
    # A suggested amount chosen (minor units); an amount typed in ``amount`` comes first.
    preset: str = ""
    frequency: str = Frequency.ONCE.value
    designation: str = Designation.GENERAL.value
    name: str = ""
    email: str = ""
    anonymous: bool = False
    dedication: str = ""
    on_behalf: list[str] = field(default_factory=list)
    updates: bool = False  # e-mail me the campaign's activity reports
    proxy: bool = False  # I authorise the charity to perform my sacrifice (vekalet)
    method: str = METHODS[0]  # "bank_transfer": a pledge (services.giving.bank)
    cover_fees: bool = False  # add FEE_COVER_PERCENT so all of the gift reaches the field


@dataclass(frozen=True)
class Gift:
    """A validated gift, ready to become a pending donation."""

    option: DonationOption | None
    quantity: int
    unit_amount: int
    units: int
    frequency: Frequency
    designation: Designation
    name: str
    email: str
    anonymous: bool
    dedication: str
    on_behalf: list[str]
    locale: str
    updates: bool  # the donor asked to hear of the campaign's activity reports
    proxy: bool  # the donor gave the proxy an option with ``needs_proxy`` asks for
    # What the donor adds per unit to cover the fees (0 unless they ticked cover_fees).
    unit_cover: int = 0

    @property
    def amount(self) -> int:
        """The gift: what the campaign receives."""
        return self.unit_amount * self.quantity

    @property
    def fee_cover(self) -> int:
        return self.unit_cover * self.quantity

    @property
    def total(self) -> int:
        """What the donor pays: the gift and the fee cover."""
        return self.amount + self.fee_cover


def fee_cover_of(unit_amount: int, basis_points: int) -> int:
    """The cover a donor adds to one unit of a gift (an amount, or one share of an option):
    ``basis_points`` of it (FEE_COVER_PERCENT), rounded half up to the minor unit
    (``money.percent_of``). It is counted per share, so a gift of several shares is paid,
    and refunded share by share, in equal parts."""
    return percent_of(unit_amount, basis_points)


def accepts_gifts(campaign: Campaign, today: date) -> bool:
    """Only active campaigns inside their dates take gifts."""
    return (
        campaign.status == CampaignStatus.ACTIVE
        and (campaign.starts_on is None or campaign.starts_on <= today)
        and (campaign.ends_on is None or today <= campaign.ends_on)
    )


def allows_monthly(option: DonationOption | None) -> bool:
    """A limited stock or a name per share belongs to one gift; repeating it every month
    would oversell the stock or offer the same names again."""
    return option is None or (option.stock is None and not option.needs_on_behalf)


def read_option(
    session: Session, campaign: Campaign, text: str, errors: dict
) -> DonationOption | None:
    """The option chosen in the ``option`` field: one of ``campaign``'s active options, or
    None when the field is blank (an amount of the donor's choice)."""
    if not text.strip():
        return None
    option_id = parse_int(text, minimum=1)
    option = session.get(DonationOption, option_id) if option_id is not None else None
    if option is None or option.campaign_id != campaign.id or not option.active:
        errors["option"] = _("Please choose one of the gifts listed.")
        return None
    return option


def _quantity(form: GiftForm, option: DonationOption | None, errors: dict) -> int:
    typed = parse_int(form.quantity or "1", minimum=1, maximum=MAX_QUANTITY)
    if typed is None:
        errors["quantity"] = _("Please enter a quantity from 1 to %(max)d.", max=MAX_QUANTITY)
        return 1
    quantity = typed if option else 1
    if option and option.stock_left is not None and quantity > option.stock_left:
        errors["quantity"] = (
            _("Sorry, this gift is sold out.")
            if option.stock_left == 0
            else _("Only %(n)d left.", n=option.stock_left)
        )
    return quantity


def _own_amount(campaign: Campaign, form: GiftForm, locale: str, errors: dict) -> int:
    """The amount of a gift of the donor's own: typed, or else a suggested one chosen."""
    if not form.amount.strip() and form.preset.strip():
        preset = parse_int(form.preset, minimum=1)
        if preset in {s.amount for s in campaign.suggestions}:
            return preset
        errors["amount"] = _("Please choose one of the suggested amounts, or type an amount.")
        return 0
    try:
        return parse_amount(form.amount, campaign.currency, locale)
    except AmountError as error:
        errors["amount"] = str(error)
        return 0


def _check_designation(
    campaign: Campaign, option: DonationOption | None, chosen: str, errors: dict
) -> None:
    """The designation must be one the campaign offers for this gift (a Qurban share is a
    sacrifice, never General or Sadaqah; an amount is never a sacrifice)."""
    allowed = campaign.designations_for(option)
    if chosen in {d.value for d in allowed}:
        return
    if chosen in campaign.designations.split(",") and allowed:
        gift = option.label if option else _("an amount of your choice")
        errors["designation"] = _(
            "%(designation)s does not apply to %(gift)s. Please choose: %(allowed)s.",
            designation=label(Designation(chosen)),
            gift=gift,
            allowed=", ".join(str(label(d)) for d in allowed),
        )
    else:
        errors["designation"] = _("Please choose how your gift should be used.")


def _line(text: str, name: str, errors: dict) -> str:
    """A single-line field (refused with a message in ``errors``), spaces collapsed."""
    return " ".join(check_text(text, name, errors).split())


def _donor(form: GiftForm, errors: dict) -> tuple[str, str]:
    name = _line(form.name, "name", errors)
    if not name:
        errors.setdefault("name", _("Please enter your name."))
    elif len(name) > MAX_NAME:
        errors.setdefault("name", _("Please shorten your name to %(n)d characters.", n=MAX_NAME))
    return name, read_email(form.email, "email", errors)


def _on_behalf(form: GiftForm, option, quantity: int, errors: dict) -> list[str]:
    if option is None or not option.needs_on_behalf:
        return []
    names = [_line(n, "on_behalf", errors) for n in form.on_behalf]
    if "on_behalf" in errors:
        return names
    names = names[:quantity] + [""] * (quantity - len(names))
    if any(not n for n in names) or len([n for n in form.on_behalf if n.strip()]) > quantity:
        errors["on_behalf"] = _("Please give one name for each share (%(n)d in all).", n=quantity)
    elif any(len(n) > MAX_ON_BEHALF for n in names):
        errors["on_behalf"] = _("Please shorten each name to %(n)d characters.", n=MAX_ON_BEHALF)
    return names


def validate_gift(
    session: Session,
    campaign: Campaign,
    form: GiftForm,
    *,
    locale: str,
    today: date,
    cover_basis_points: int = 0,
) -> Gift:
    """Check every value against the campaign's rules; raise GiftInvalid with a message
    per field, or return the Gift. ``cover_basis_points`` is FEE_COVER_PERCENT (0: off, and
    the ``cover_fees`` box is ignored): the cover is computed here, never read from the
    form."""
    if not accepts_gifts(campaign, today):
        raise GiftInvalid({"": _("This campaign is not taking gifts at the moment.")})
    errors: dict[str, str] = {}
    option = read_option(session, campaign, form.option, errors)
    quantity = _quantity(form, option, errors)
    unit_amount = 0
    if option is not None:
        unit_amount = option.unit_price
    elif "option" not in errors:
        unit_amount = _own_amount(campaign, form, locale, errors)
    unit_cover = fee_cover_of(unit_amount, cover_basis_points) if form.cover_fees else 0
    if unit_amount and "quantity" not in errors:
        try:
            check_range(unit_amount * quantity, campaign.currency, locale)
            check_range((unit_amount + unit_cover) * quantity, campaign.currency, locale)
        except AmountError as error:
            errors["amount" if option is None else "quantity"] = str(error)
    try:
        frequency = Frequency(form.frequency)
    except ValueError:
        errors["frequency"] = _("Please choose once or monthly.")
        frequency = Frequency.ONCE
    if frequency == Frequency.MONTHLY and not allows_monthly(option):
        errors["frequency"] = _("This gift can only be given once.")
    if "option" not in errors:
        _check_designation(campaign, option, form.designation, errors)
    name, email = _donor(form, errors)
    dedication = _line(form.dedication, "dedication", errors)
    if "dedication" not in errors and len(dedication) > MAX_DEDICATION:
        errors["dedication"] = _(
            "Please shorten the dedication to %(n)d characters.", n=MAX_DEDICATION
        )
    on_behalf = _on_behalf(form, option, quantity, errors)
    if option is not None and option.needs_proxy and not form.proxy:
        errors["proxy"] = _(
            "Please tick the box to authorise us to perform your sacrifice on your behalf."
        )
    if form.method not in METHODS:
        errors["method"] = _("Please choose how you will pay.")
    if errors:
        raise GiftInvalid(errors)
    return Gift(
        option=option,
        quantity=quantity,
        unit_amount=unit_amount,
        units=option.units * quantity if option else 0,
        frequency=frequency,
        designation=Designation(form.designation),
        name=name,
        email=email,
        anonymous=form.anonymous,
        dedication=dedication,
        on_behalf=on_behalf,
        locale=locale,
        updates=form.updates,
        proxy=bool(option and option.needs_proxy and form.proxy),
        unit_cover=unit_cover,
    )


def reserve_stock(session: Session, option: DonationOption, quantity: int) -> None:
    """Hold units of a limited option while the checkout is open; one UPDATE decides, so
    two donors can never take the last share together."""
    if option.stock is None:
        return
    held = session.execute(
        update(DonationOption)
        .where(
            DonationOption.id == option.id,
            DonationOption.reserved + quantity <= DonationOption.stock,
        )
        .values(reserved=DonationOption.reserved + quantity)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(option)
    if not held:
        raise GiftInvalid({"quantity": _("Only %(n)d left.", n=option.stock_left or 0)})


def _fee_cover_line(locale: str, percent: Decimal) -> str:
    """The checkout's line for the fee cover, in the donor's language."""
    with force_locale(locale):
        return _(
            "Fee cover (%(percent)s%%) so all of the gift reaches the field",
            percent=format_decimal(percent, locale=locale),
        )


def _not_answering() -> str:
    return _("The payment service is not answering. Please try again in a minute.")


def pending_donation(
    settings: Settings,
    campaign: Campaign,
    gift: Gift,
    *,
    provider: str,
    expires_at: datetime,
    client: str | None,
) -> Donation:
    """A pending gift as the donor gave it on the form (not yet added to the session):
    what it pays (the gift and any fee cover), for whom and for what, the proxy's time
    when the donor gave it, and until when its stock is held."""
    return Donation(
        campaign=campaign,
        option=gift.option,
        quantity=gift.quantity,
        units=gift.units,
        amount=gift.total,
        fee_cover=gift.fee_cover,
        currency=campaign.currency,
        frequency=gift.frequency,
        designation=gift.designation,
        donor_name=gift.name,
        donor_email=gift.email,
        anonymous=gift.anonymous,
        updates_opt_in=gift.updates,
        dedication=gift.dedication,
        on_behalf=gift.on_behalf,
        locale=gift.locale,
        proxy_at=utcnow() if gift.proxy else None,
        provider=provider,
        expires_at=expires_at,
        client_key=client_key(settings, client) if client else None,
    )


def client_key(settings: Settings, address: str) -> str:
    """Who holds a checkout, for ``MAX_HELD_UNITS``: the client address hashed with the
    app's secret, so the address itself is never stored."""
    secret = str(settings.secret_keys[0]).encode()
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]


def _check_held(session: Session, donation: Donation, limit: int, now: datetime) -> None:
    """Refuse a gift that would make its client address or e-mail hold more than ``limit``
    units of a limited option in pending, unexpired gifts (this one included); an option
    without a stock holds nothing, so it has no such limit. Run after
    ``reserve_stock``: the option's row lock it took makes concurrent gifts count in turn."""
    holder = func.lower(Donation.donor_email) == func.lower(literal(donation.donor_email))
    if donation.client_key:
        holder = or_(holder, Donation.client_key == donation.client_key)
    held = session.scalar(
        select(func.coalesce(func.sum(Donation.quantity), 0)).where(
            Donation.option_id == donation.option_id,
            Donation.status == DonationStatus.PENDING,
            Donation.expires_at > now,
            holder,
        )
    )
    if held > limit:
        raise GiftInvalid(
            {"quantity": _("At most %(n)d of this gift can wait for payment per donor.", n=limit)}
        )


def start_donation(
    session: Session,
    provider: PaymentProvider,
    settings: Settings,
    campaign: Campaign,
    gift: Gift,
    urls: Callable[[str], tuple[str, str]],
    *,
    commit: Callable[[], None],
    client: str | None = None,
) -> tuple[Donation, str]:
    """Store a pending donation, hold its stock, and open the provider's checkout.

    ``urls(token)`` gives the success URL (carrying {CHECKOUT_SESSION_ID}) and the cancel
    URL; ``client`` is the donor's address (for ``MAX_HELD_UNITS``). Returns the donation
    and the checkout URL to send the donor to. Raises GiftInvalid with nothing held.

    No transaction is open while the provider is called, so no lock spans a network call:
    this use case commits three times, through ``commit`` (the edge's commit, handed in):
    1. the pending donation, its expiry and its held stock (the option's row lock is
       held only for this short transaction); a gift over ``MAX_HELD_UNITS`` is refused
       here and the caller rolls back;
    2. the provider is asked for a checkout expiring with the donation; if it fails, the
       donation fails and its stock is released (committed), then GiftInvalid;
    3. the checkout's id is stored, if the donation is still pending.
    Invariant: a crash at any point leaves either nothing, or a pending donation with an
    ``expires_at`` whose stock ``flask stripe reconcile`` (``expire_overdue``) releases
    once it is past, after asking the provider about its checkout if it has one stored. A
    checkout made but never stored (a crash inside step 2 or before step 3) was never
    shown to the donor, and closes at the provider by itself at its expiry.
    """
    now = utcnow()
    donation = pending_donation(
        settings,
        campaign,
        gift,
        provider=provider.name,
        expires_at=now + timedelta(minutes=settings.checkout_expires_minutes),
        client=client,
    )
    session.add(donation)
    session.flush()
    if gift.option is not None and gift.option.stock is not None:
        reserve_stock(session, gift.option, gift.quantity)
        _check_held(session, donation, settings.max_held_units, now)
    success_url, cancel_url = urls(donation.token)
    # What the checkout page shows the donor, in their language.
    title = campaign.localized("title", gift.locale, settings.content_language)
    description = (
        f"{gift.option.localized('label', gift.locale, settings.content_language)}"
        f" × {gift.quantity} — {title}"
        if gift.option
        else title
    )
    request = CheckoutRequest(
        reference=donation.token,
        description=description,
        unit_amount=gift.unit_amount,
        quantity=gift.quantity,
        currency=campaign.currency,
        monthly=gift.frequency == Frequency.MONTHLY,
        email=gift.email,
        locale=gift.locale,
        success_url=success_url,
        cancel_url=cancel_url,
        idempotency_key=f"checkout-{donation.token}",
        expires_at=donation.expires_at,
        fee_cover=gift.fee_cover,
        fee_cover_description=_fee_cover_line(gift.locale, settings.fee_cover_percent),
    )
    commit()  # 1: the stock is held, the option's row is free again
    try:
        checkout = provider.create_checkout(request)  # 2: no transaction open
    except ProviderError as error:
        session.rollback()
        fail_donation(session, donation)
        commit()
        raise GiftInvalid({"": _not_answering()}) from error
    stored = session.execute(
        update(Donation)
        .where(
            Donation.id == donation.id,
            Donation.status == DonationStatus.PENDING,
            Donation.provider_session_id.is_(None),
        )
        .values(provider_session_id=checkout.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not stored:  # expired by reconcile while the provider took its time
        session.rollback()
        with contextlib.suppress(ProviderError):  # else it expires at its expires_at
            provider.expire_checkout(checkout.id)
        raise GiftInvalid({"": _not_answering()})
    commit()  # 3
    session.refresh(donation)
    return donation, checkout.url or ""


def donation_by_token(session: Session, token: str) -> Donation | None:
    """A donation by its public token (never by row id)."""
    return session.scalars(select(Donation).where(Donation.token == token)).first()
