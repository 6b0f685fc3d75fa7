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
from sqlalchemy import String, cast, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from campaigns.labels import label
from campaigns.models import Campaign, Donation, DonationOption, LedgerEntry
from campaigns.models.campaign import CampaignStatus, Designation
from campaigns.money import CURRENCIES, AmountError, format_plain, parse_amount
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change, record_saved
from campaigns.services.content.campaign_lists import (
    MAX_IMPACT,
    MAX_SUGGESTIONS,
    faq_text,
    move_impact_translations,
    read_faq,
    read_translated_faqs,
)
from campaigns.services.content.translations import TextRule, Typed, read_translations
from campaigns.services.content.uploads import UploadRefused, clean_image, save_image
from campaigns.text import (
    LONG_TEXT,
    TextRefused,
    clean_text,
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
MAX_NEXT_STEPS = 2_000

# How each translatable field is read in the other languages (as in its own).
CAMPAIGN_TEXTS = {
    "title": TextRule(column_length(Campaign.title)),
    "summary": TextRule(column_length(Campaign.summary), multiline=True),
    "story": TextRule(LONG_TEXT, multiline=True),
    "unit_label": TextRule(column_length(Campaign.unit_label)),
    "cover_alt": TextRule(column_length(Campaign.cover_alt)),
    "next_steps": TextRule(MAX_NEXT_STEPS, multiline=True),
    # Typed as the source FAQ is (see read_faq), stored as its list of pairs.
    "faq": TextRule(LONG_TEXT, multiline=True),
    **{f"impact_{n}": TextRule(MAX_IMPACT) for n in range(1, MAX_SUGGESTIONS + 1)},
}
OPTION_TEXTS = {
    "label": TextRule(column_length(DonationOption.label)),
    "description": TextRule(column_length(DonationOption.description)),
    "on_behalf_label": TextRule(column_length(DonationOption.on_behalf_label)),
}


# Longer searches are cut: no title is longer.
MAX_SEARCH = 200
# The most shares one animal takes (a camel: seven; a little room for local custom).
MAX_SHARES_PER_ANIMAL = 10


# -- campaigns ----------------------------------------------------------------------------


def read_search(typed: str | None) -> str:
    """A search typed in the campaign list, cleaned; "" for none (or for unsafe text)."""
    try:
        return clean_text(typed).strip()[:MAX_SEARCH]
    except TextRefused:
        return ""


def find_campaigns(session: Session, search: str = "") -> list[Campaign]:
    """Every campaign (drafts too) by title, with totals and options (for how complete
    each language is); with ``search``, those whose slug or title in any language holds
    it (the translations' JSON text is searched: it keeps letters unescaped)."""
    query = (
        select(Campaign)
        .options(selectinload(Campaign.totals), selectinload(Campaign.options))
        .order_by(Campaign.title)
    )
    if search:
        query = query.where(
            or_(
                Campaign.title.icontains(search, autoescape=True),
                Campaign.slug.icontains(search, autoescape=True),
                cast(Campaign.translations, String).icontains(search, autoescape=True),
            )
        )
    return list(session.scalars(query))


def complete_in(campaign: Campaign, lang: str) -> bool:
    """Whether everything the campaign's page shows is written in ``lang``: the
    campaign's texts and those of its offered options."""
    return not campaign.missing(lang) and not any(
        option.missing(lang) for option in campaign.options if option.active
    )


@dataclass
class CampaignForm:
    """The campaign form as submitted: raw strings."""

    slug: str = ""
    title: str = ""
    summary: str = ""
    story: str = ""
    next_steps: str = ""
    faq: str = ""
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
    # The other languages' versions, {"tr": {"title": "..."}} (posted as tr-title, ...).
    translations: Typed = field(default_factory=dict)
    unit_price: str = ""
    hide_gift_amounts: bool = False
    # Suggested amounts and their impact lines, by position (1 to MAX_SUGGESTIONS).
    suggested_1: str = ""
    suggested_2: str = ""
    suggested_3: str = ""
    suggested_4: str = ""
    impact_1: str = ""
    impact_2: str = ""
    impact_3: str = ""
    impact_4: str = ""


def _suggestion_fields(campaign: Campaign, locale: str) -> dict[str, str]:
    fields = {}
    for n, suggestion in enumerate(campaign.suggestions, start=1):
        fields[f"suggested_{n}"] = format_plain(suggestion.amount, campaign.currency, locale)
        fields[f"impact_{n}"] = suggestion.impact
    return fields


def campaign_form(campaign: Campaign, locale: str) -> CampaignForm:
    """The form filled with ``campaign`` as it is, money written as ``locale`` types it."""
    return CampaignForm(
        slug=campaign.slug,
        title=campaign.title,
        summary=campaign.summary,
        story=campaign.story,
        next_steps=campaign.next_steps,
        faq=faq_text(campaign.faq),
        cover_alt=campaign.cover_alt,
        currency=campaign.currency,
        goal=format_plain(campaign.goal_amount, campaign.currency, locale),
        units_goal=str(campaign.units_goal or ""),
        unit_label=campaign.unit_label or "",
        starts_on=campaign.starts_on.isoformat() if campaign.starts_on else "",
        ends_on=campaign.ends_on.isoformat() if campaign.ends_on else "",
        status=campaign.status.value,
        designations=campaign.designations.split(","),
        translations={
            lang: texts | ({"faq": faq_text(texts["faq"])} if "faq" in texts else {})
            for lang, texts in (campaign.translations or {}).items()
        },
        unit_price=(
            format_plain(campaign.unit_price, campaign.currency, locale)
            if campaign.unit_price
            else ""
        ),
        hide_gift_amounts=campaign.hide_gift_amounts,
        **_suggestion_fields(campaign, locale),
    )


def campaign_snapshot(campaign: Campaign) -> dict:
    """What the audit log keeps of a campaign, before and after a change."""
    return {
        "slug": campaign.slug,
        "title": campaign.title,
        "summary": campaign.summary,
        "story": campaign.story,
        "next_steps": campaign.next_steps,
        "faq": campaign.faq,
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
        "translations": campaign.translations or {},
        "unit_price": campaign.unit_price,
        "suggested_amounts": campaign.suggested_amounts,
        "hide_gift_amounts": campaign.hide_gift_amounts,
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
    session: Session,
    form: CampaignForm,
    locale: str,
    campaign: Campaign | None,
    languages: tuple[str, ...],
) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    values = {
        "translations": read_translations(form.translations, CAMPAIGN_TEXTS, languages, errors),
        "slug": read_slug(form.slug, "slug", column_length(Campaign.slug), errors),
        "title": read_text(
            form.title, "title", column_length(Campaign.title), errors, required=True
        ),
        "summary": read_text(
            form.summary, "summary", column_length(Campaign.summary), errors, multiline=True
        ),
        "story": read_text(form.story, "story", LONG_TEXT, errors, multiline=True),
        "next_steps": read_text(
            form.next_steps, "next_steps", MAX_NEXT_STEPS, errors, multiline=True
        ),
        "faq": read_faq(form.faq, errors),
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
    read_translated_faqs(values["translations"], errors)
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
    elif all(Designation(d).needs_option for d in chosen):
        errors["designations"] = _(
            "Please also offer a designation for gifts of the donor's own amount."
        )
    # Stored in one fixed order, so the donation form lists them the same way every time.
    values["designations"] = ",".join(d.value for d in Designation if d.value in chosen)
    values["hide_gift_amounts"] = form.hide_gift_amounts
    if "currency" in values:
        _amount_settings(form, values["currency"], locale, values, errors)
    return values, errors


def _amount_settings(
    form: CampaignForm, code: str, locale: str, values: dict, errors: dict[str, str]
) -> None:
    """The unit price and the suggested amounts, in the campaign's currency."""
    values["unit_price"] = None
    if form.unit_price.strip():
        try:
            values["unit_price"] = read_money(form.unit_price, code, locale)
        except AmountError as error:
            errors["unit_price"] = str(error)
        if not values.get("unit_label"):
            errors.setdefault("unit_label", _("Please say what the units are, e.g. food parcels."))
    suggested = []
    for n in range(1, MAX_SUGGESTIONS + 1):
        typed = getattr(form, f"suggested_{n}")
        impact = read_text(getattr(form, f"impact_{n}"), f"impact_{n}", MAX_IMPACT, errors)
        if not typed.strip():
            if impact:
                errors[f"suggested_{n}"] = _("Please give the amount this line describes.")
            continue
        try:
            amount = parse_amount(typed, code, locale)
        except AmountError as error:
            errors[f"suggested_{n}"] = str(error)
            continue
        if amount in {s["amount"] for s in suggested}:
            errors[f"suggested_{n}"] = _("This amount is already suggested.")
        suggested.append({"amount": amount, "impact": impact, "position": n})
    suggested.sort(key=lambda s: s["amount"])
    move_impact_translations(values.get("translations", {}), suggested)
    values["suggested_amounts"] = [
        {"amount": s["amount"], "impact": s["impact"]} for s in suggested
    ]


def save_campaign(
    session: Session,
    form: CampaignForm,
    *,
    locale: str,
    actor: Actor,
    folder: str,
    cover: IO[bytes] | None = None,
    campaign: Campaign | None = None,
    languages: tuple[str, ...] = (),
) -> tuple[Campaign, list[str]]:
    """Create a campaign (``campaign`` None) or change one, with an optional new cover
    photo and its text in ``languages`` (the others than the source language); raise
    FormInvalid with a message per field, changing nothing.

    Returns the campaign and the stored files it no longer uses (a replaced cover), for
    the caller to discard once the change is committed.
    """
    values, errors = _campaign_values(session, form, locale, campaign, languages)
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
    on_behalf_label: str = ""
    needs_proxy: bool = False
    shares_per_animal: str = ""
    position: str = "0"
    active: bool = True
    translations: Typed = field(default_factory=dict)
    # The designations this option may be given for; none ticked: all of the campaign's.
    designations: list[str] = field(default_factory=list)


def option_form(option: DonationOption, locale: str) -> OptionForm:
    """The form filled with ``option`` as it is."""
    return OptionForm(
        label=option.label,
        description=option.description,
        price=format_plain(option.unit_price, option.campaign.currency, locale),
        units=str(option.units),
        stock="" if option.stock is None else str(option.stock),
        needs_on_behalf=option.needs_on_behalf,
        on_behalf_label=option.on_behalf_label,
        needs_proxy=option.needs_proxy,
        shares_per_animal=str(option.shares_per_animal or ""),
        position=str(option.position),
        active=option.active,
        translations=option.translations or {},
        designations=[d for d in option.designations.split(",") if d],
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
        "on_behalf_label": option.on_behalf_label,
        "needs_proxy": option.needs_proxy,
        "shares_per_animal": option.shares_per_animal,
        "position": option.position,
        "active": option.active,
        "translations": option.translations or {},
        "designations": option.designations,
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
    languages: tuple[str, ...] = (),
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
        "on_behalf_label": read_text(
            form.on_behalf_label,
            "on_behalf_label",
            column_length(DonationOption.on_behalf_label),
            errors,
        ),
        "needs_proxy": form.needs_proxy,
        "shares_per_animal": read_count(
            form.shares_per_animal, "shares_per_animal", errors, maximum=MAX_SHARES_PER_ANIMAL
        ),
        "active": form.active,
        "translations": read_translations(form.translations, OPTION_TEXTS, languages, errors),
    }
    try:
        values["unit_price"] = parse_amount(form.price, campaign.currency, locale)
    except AmountError as error:
        errors["price"] = str(error)
    chosen = set(form.designations)
    if not chosen <= set(campaign.designations.split(",")):
        errors["designations"] = _(
            "Please choose among the designations the campaign offers: %(offered)s.",
            offered=", ".join(str(label(d)) for d in campaign.designation_list),
        )
    values["designations"] = ",".join(d.value for d in Designation if d.value in chosen)
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
