"""Staff editing of campaigns and their donation options: the rules, and the audit entry
written with every change.

Each save reads the form as typed, collects a message per field and changes nothing when
any value is wrong. Money is typed as a person would ("1.250.000" in Turkish) and parsed
in the staff member's locale. Two rules protect what donors were already shown: a
campaign's currency is fixed once money has come in, and an option that was given is
retired, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from campaigns.models import Campaign, Donation, DonationOption, LedgerEntry
from campaigns.models.campaign import CampaignStatus, Designation
from campaigns.money import CURRENCIES, AmountError, format_plain, parse_amount
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change, record_saved
from campaigns.services.content.uploads import UploadRefused, clean_image, save_image
from campaigns.text import (
    LONG_TEXT,
    column_length,
    read_count,
    read_date,
    read_money,
    read_slug,
    read_text,
)

# One gift of an option counts this many units at most (times at most MAX_QUANTITY), so
# a campaign's 64-bit unit total cannot overflow however many gifts it takes.
MAX_OPTION_UNITS = 1_000_000
# The most shares one animal takes (a camel: seven; a little room for local custom).
MAX_SHARES_PER_ANIMAL = 10


# -- campaigns ----------------------------------------------------------------------------


@dataclass
class CampaignForm:
    """The campaign form as submitted: raw strings."""

    slug: str = ""
    title: str = ""
    summary: str = ""
    story: str = ""
    cover_alt: str = ""
    remove_cover: bool = False
    currency: str = "TRY"
    goal: str = ""
    units_goal: str = ""
    unit_label: str = ""
    starts_on: str = ""
    ends_on: str = ""
    status: str = CampaignStatus.DRAFT.value
    designations: list[str] = field(default_factory=lambda: [Designation.GENERAL.value])


def campaign_form(campaign: Campaign, locale: str) -> CampaignForm:
    """The form filled with ``campaign`` as it is, money written as ``locale`` types it."""
    return CampaignForm(
        slug=campaign.slug,
        title=campaign.title,
        summary=campaign.summary,
        story=campaign.story,
        cover_alt=campaign.cover_alt,
        currency=campaign.currency,
        goal=format_plain(campaign.goal_amount, campaign.currency, locale),
        units_goal=str(campaign.units_goal or ""),
        unit_label=campaign.unit_label or "",
        starts_on=campaign.starts_on.isoformat() if campaign.starts_on else "",
        ends_on=campaign.ends_on.isoformat() if campaign.ends_on else "",
        status=campaign.status.value,
        designations=campaign.designations.split(","),
    )


def campaign_snapshot(campaign: Campaign) -> dict:
    """What the audit log keeps of a campaign, before and after a change."""
    return {
        "slug": campaign.slug,
        "title": campaign.title,
        "summary": campaign.summary,
        "story": campaign.story,
        "cover_image": campaign.cover_image,
        "cover_alt": campaign.cover_alt,
        "currency": campaign.currency,
        "goal_amount": campaign.goal_amount,
        "units_goal": campaign.units_goal,
        "unit_label": campaign.unit_label,
        "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
        "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None,
        "status": campaign.status.value,
        "designations": campaign.designations,
    }


def has_money(session: Session, campaign: Campaign) -> bool:
    """Whether any donation (even one still at checkout) or ledger entry names the campaign."""
    if campaign.id is None:
        return False
    return bool(
        session.scalar(select(exists().where(Donation.campaign_id == campaign.id)))
        or session.scalar(select(exists().where(LedgerEntry.campaign_id == campaign.id)))
    )


def _slug_taken(session: Session, slug: str, campaign: Campaign | None) -> bool:
    query = select(Campaign.id).where(Campaign.slug == slug)
    if campaign is not None and campaign.id is not None:
        query = query.where(Campaign.id != campaign.id)
    return session.scalar(query) is not None


def _campaign_values(
    session: Session, form: CampaignForm, locale: str, campaign: Campaign | None
) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    values = {
        "slug": read_slug(form.slug, "slug", column_length(Campaign.slug), errors),
        "title": read_text(
            form.title, "title", column_length(Campaign.title), errors, required=True
        ),
        "summary": read_text(
            form.summary, "summary", column_length(Campaign.summary), errors, multiline=True
        ),
        "story": read_text(form.story, "story", LONG_TEXT, errors, multiline=True),
        "cover_alt": read_text(
            form.cover_alt, "cover_alt", column_length(Campaign.cover_alt), errors
        ),
        "unit_label": read_text(
            form.unit_label, "unit_label", column_length(Campaign.unit_label), errors
        )
        or None,
        "units_goal": read_count(form.units_goal, "units_goal", errors),
        "starts_on": read_date(form.starts_on, "starts_on", errors),
        "ends_on": read_date(form.ends_on, "ends_on", errors),
    }
    if "slug" not in errors and _slug_taken(session, values["slug"], campaign):
        errors["slug"] = _("Another campaign already uses this address.")
    if values["units_goal"] and not values["unit_label"]:
        errors["unit_label"] = _("Please say what the units are, e.g. food parcels.")
    if values["starts_on"] and values["ends_on"] and values["ends_on"] < values["starts_on"]:
        errors["ends_on"] = _("The end date cannot come before the start date.")
    code = form.currency.strip().upper()
    if code not in CURRENCIES:
        errors["currency"] = _("Please choose one of the currencies listed.")
    elif campaign is not None and code != campaign.currency and has_money(session, campaign):
        errors["currency"] = _(
            "The currency cannot change: this campaign has donations in %(code)s.",
            code=campaign.currency,
        )
    else:
        values["currency"] = code
        try:
            values["goal_amount"] = read_money(form.goal, code, locale)
        except AmountError as error:
            errors["goal"] = str(error)
    try:
        values["status"] = CampaignStatus(form.status)
    except ValueError:
        errors["status"] = _("Please choose a status.")
    chosen = set(form.designations)
    if not chosen or not chosen <= {d.value for d in Designation}:
        errors["designations"] = _("Please offer at least one of the designations listed.")
    # Stored in one fixed order, so the donation form lists them the same way every time.
    values["designations"] = ",".join(d.value for d in Designation if d.value in chosen)
    return values, errors


def save_campaign(
    session: Session,
    form: CampaignForm,
    *,
    locale: str,
    actor: Actor,
    folder: str,
    cover: IO[bytes] | None = None,
    campaign: Campaign | None = None,
) -> tuple[Campaign, list[str]]:
    """Create a campaign (``campaign`` None) or change one, with an optional new cover
    photo; raise FormInvalid with a message per field, changing nothing.

    Returns the campaign and the stored files it no longer uses (a replaced cover), for
    the caller to discard once the change is committed.
    """
    values, errors = _campaign_values(session, form, locale, campaign)
    clean = None
    if cover is not None:
        try:
            clean = clean_image(cover)
        except UploadRefused as error:
            errors["cover"] = str(error)
    had_cover = campaign is not None and campaign.cover_image is not None
    keeps_cover = clean is not None or (had_cover and not form.remove_cover)
    if keeps_cover and not values["cover_alt"]:
        errors["cover_alt"] = _("Please describe the cover photo for people who cannot see it.")
    if errors:
        raise FormInvalid(errors)
    before = campaign_snapshot(campaign) if campaign is not None else None
    unused = []
    if campaign is not None and campaign.cover_image and (clean or form.remove_cover):
        unused.append(campaign.cover_image)
        values["cover_image"] = None
    if clean is not None:
        values["cover_image"] = save_image(clean, folder)
    if campaign is None:
        campaign = Campaign(**values)
        session.add(campaign)
    else:
        for name, value in values.items():
            setattr(campaign, name, value)
        campaign.touch()
    session.flush()
    after = campaign_snapshot(campaign)
    record_saved(session, campaign, "campaign", before, after, actor=actor)
    return campaign, unused


# -- donation options ---------------------------------------------------------------------


@dataclass
class OptionForm:
    """The donation option form as submitted: raw strings and checkboxes."""

    label: str = ""
    description: str = ""
    price: str = ""
    units: str = "1"
    stock: str = ""
    needs_on_behalf: bool = False
    needs_proxy: bool = False
    shares_per_animal: str = ""
    position: str = "0"
    active: bool = True


def option_form(option: DonationOption, locale: str) -> OptionForm:
    """The form filled with ``option`` as it is."""
    return OptionForm(
        label=option.label,
        description=option.description,
        price=format_plain(option.unit_price, option.campaign.currency, locale),
        units=str(option.units),
        stock="" if option.stock is None else str(option.stock),
        needs_on_behalf=option.needs_on_behalf,
        needs_proxy=option.needs_proxy,
        shares_per_animal=str(option.shares_per_animal or ""),
        position=str(option.position),
        active=option.active,
    )


def option_snapshot(option: DonationOption) -> dict:
    """What the audit log keeps of a donation option."""
    return {
        "campaign_id": option.campaign_id,
        "label": option.label,
        "description": option.description,
        "unit_price": option.unit_price,
        "units": option.units,
        "stock": option.stock,
        "needs_on_behalf": option.needs_on_behalf,
        "needs_proxy": option.needs_proxy,
        "shares_per_animal": option.shares_per_animal,
        "position": option.position,
        "active": option.active,
    }


def has_donations(session: Session, option: DonationOption) -> bool:
    """Whether any donation (of any status) chose this option."""
    return bool(session.scalar(select(exists().where(Donation.option_id == option.id))))


def save_option(
    session: Session,
    campaign: Campaign,
    form: OptionForm,
    *,
    locale: str,
    actor: Actor,
    option: DonationOption | None = None,
) -> DonationOption:
    """Add a donation option to ``campaign`` or change ``option``; raise FormInvalid with
    a message per field, changing nothing. Stock never drops below the units already
    held or sold."""
    errors: dict[str, str] = {}
    values = {
        "label": read_text(
            form.label, "label", column_length(DonationOption.label), errors, required=True
        ),
        "description": read_text(
            form.description, "description", column_length(DonationOption.description), errors
        ),
        "units": read_count(form.units, "units", errors, maximum=MAX_OPTION_UNITS) or 1,
        "stock": read_count(form.stock, "stock", errors, minimum=0),
        "position": read_count(form.position, "position", errors, minimum=0) or 0,
        "needs_on_behalf": form.needs_on_behalf,
        "needs_proxy": form.needs_proxy,
        "shares_per_animal": read_count(
            form.shares_per_animal, "shares_per_animal", errors, maximum=MAX_SHARES_PER_ANIMAL
        ),
        "active": form.active,
    }
    try:
        values["unit_price"] = parse_amount(form.price, campaign.currency, locale)
    except AmountError as error:
        errors["price"] = str(error)
    reserved = option.reserved if option is not None else 0
    if values["stock"] is not None and values["stock"] < reserved:
        errors["stock"] = _(
            "%(n)d units are already given or held at checkout; stock cannot be lower.",
            n=reserved,
        )
    if errors:
        raise FormInvalid(errors)
    before = option_snapshot(option) if option is not None else None
    if option is None:
        option = DonationOption(campaign=campaign, **values)
        session.add(option)
    else:
        for name, value in values.items():
            setattr(option, name, value)
    campaign.touch()
    session.flush()
    after = option_snapshot(option)
    record_saved(session, option, "option", before, after, actor=actor)
    return option


def remove_option(session: Session, option: DonationOption, *, actor: Actor) -> bool:
    """Delete an option nobody chose; retire (hide) one that was given, keeping it for the
    donations that name it. Returns True when deleted, False when retired."""
    before, option_id = option_snapshot(option), option.id
    option.campaign.touch()
    if has_donations(session, option):
        option.active = False
        after = option_snapshot(option)
        action = "option.retire"
    else:
        session.delete(option)
        after = None
        action = "option.delete"
    session.flush()
    record_change(
        session,
        actor=actor,
        action=action,
        entity_type="donation_option",
        entity_id=option_id,
        before=before,
        after=after,
    )
    return after is None
