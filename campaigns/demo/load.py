"""Demo data for ``flask demo load``: the charity's four campaigns, its field reports and
a few hundred paid gifts, so a fresh site looks like the real one.

What the campaigns and reports say comes from ``data.json`` (see ``data.py``); this module
decides the gifts and stores it all.

The texts go in the charity's own language (CONTENT_LANGUAGE) into the columns, and in
the others into each row's ``translations``, as staff would have typed them.

Everything is keyed so that loading again adds nothing: campaigns and reports by slug,
gifts by a provider session id derived from their position in a seeded plan. The plan
is the same on every run, so ``--donations 500`` after 300 adds the 200 missing gifts.
Money goes through the ledger like any real payment, so ``flask totals verify`` agrees.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.demo.data import CampaignSpec, CampaignTexts, Community, OptionSpec, demo_data
from campaigns.demo.images import draw_picture
from campaigns.models import (
    ActivityReport,
    Campaign,
    Donation,
    DonationOption,
    DonationStatus,
    LedgerKind,
    ReportFigure,
    ReportImage,
)
from campaigns.models.campaign import CampaignStatus, Designation
from campaigns.money import CURRENCIES
from campaigns.services.books.ledger import post_entry

PROVIDER = "demo"
GIFT_KEY_PREFIX = "demo-load-"
SEED = 1453
WINDOW_DAYS = 60
QUANTITIES = (1, 1, 1, 1, 2, 2, 3, 4, 5)
DONOR_POOL = 220
REGULARS = 25  # the first donors of the pool, who give again and again
ANONYMOUS_SHARE = 0.12
# Letters that Unicode does not decompose into an ASCII letter plus an accent.
ASCII_LETTERS = str.maketrans({"ı": "i", "İ": "I"})


@dataclass(frozen=True)
class Donor:
    """A demo donor; the e-mail (at example.org) follows the name, so a name gives again."""

    name: str
    email: str
    first_names: tuple[str, ...]  # of the donor's community, for on-behalf names
    last_name: str


@dataclass(frozen=True)
class PlannedGift:
    """One demo gift, fully decided before anything touches the database."""

    key: str
    campaign: CampaignSpec
    option: OptionSpec | None
    quantity: int
    amount: int
    donor: Donor
    anonymous: bool
    designation: Designation
    on_behalf: tuple[str, ...]
    paid_at: datetime

    @property
    def units(self) -> int:
        return self.option.units * self.quantity if self.option else 0


def load_demo(session: Session, donations: int = 300, if_empty: bool = False) -> str:
    """Add the demo campaigns, reports and ``donations`` paid gifts that are not there yet.

    With ``if_empty`` nothing happens when any campaign exists (``make run`` on a site
    already in use). Flushes, never commits; returns a one-line summary for the console.
    """
    if if_empty and session.scalar(select(func.count(Campaign.id))):
        return "Campaigns exist already: demo data not loaded."
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    today = date.today()
    source = current_app.config["CONTENT_LANGUAGE"]
    campaigns, campaigns_added = _add_campaigns(session, folder, today, source)
    reports_added = _add_reports(session, folder, today, campaigns, source)
    gifts_added = _add_gifts(session, campaigns, plan_gifts(donations, datetime.now(UTC)))
    if not (campaigns_added or reports_added or gifts_added):
        return "Demo data already loaded: nothing added."
    return f"Loaded {campaigns_added} campaigns, {reports_added} reports, {gifts_added} donations"


def _texts(english: dict[str, str], translations: Mapping[str, object], source: str) -> dict:
    """Model fields for ``english`` texts and their ``translations`` (texts dataclasses
    or dicts, or the one text of a one-field entry): the ``source`` language's in the
    columns, the others (what is written of them) under ``translations``."""
    by_language = {"en": english}
    for lang, texts in translations.items():
        if is_dataclass(texts):
            texts = asdict(texts)
        written = texts if isinstance(texts, Mapping) else dict.fromkeys(english, texts)
        by_language[lang] = written
    own = by_language.get(source, english)
    return own | {
        "translations": {
            lang: {name: text for name, text in texts.items() if text}
            for lang, texts in by_language.items()
            if texts is not own
        }
    }


def _campaign_texts(spec: CampaignSpec) -> tuple[dict, dict[str, dict]]:
    """A campaign's translatable fields in English and in each other language, as the
    model stores them: the FAQ as its pairs, the impact lines as ``impact_<n>`` in the
    order of the amounts (smallest first)."""
    amounts = [s.amount for s in spec.suggested_amounts]
    order = sorted(range(len(amounts)), key=amounts.__getitem__)

    def fields(texts: CampaignSpec | CampaignTexts, impacts: Sequence[str]) -> dict:
        return {
            "title": texts.title,
            "summary": texts.summary,
            "story": texts.story,
            "cover_alt": texts.cover_alt,
            "unit_label": texts.unit_label,
            "next_steps": texts.next_steps,
            "faq": [{"question": q.question, "answer": q.answer} for q in texts.faq],
        } | {f"impact_{n}": impacts[i] for n, i in enumerate(order, start=1) if i < len(impacts)}

    english = fields(spec, [s.impact for s in spec.suggested_amounts])
    return english, {lang: fields(t, t.impacts) for lang, t in spec.translations.items()}


def _add_campaigns(
    session: Session, folder: Path, today: date, source: str
) -> tuple[dict[str, Campaign], int]:
    """The demo campaigns by slug, creating those missing; and how many were created."""
    specs = demo_data().campaigns
    existing = {
        c.slug: c
        for c in session.scalars(select(Campaign).where(Campaign.slug.in_([s.slug for s in specs])))
    }
    added = 0
    for seed, spec in enumerate(specs):
        if spec.slug in existing:
            continue
        texts = _texts(*_campaign_texts(spec), source)
        campaign = Campaign(
            slug=spec.slug,
            cover_image=draw_picture(folder, spec.cover_theme, seed),
            currency=spec.currency,
            goal_amount=spec.goal_amount,
            units_goal=spec.units_goal,
            starts_on=today - timedelta(days=spec.started_days_ago),
            ends_on=date.fromisoformat(spec.ends_on)
            if spec.ends_on
            else today + timedelta(days=spec.ends_in_days),
            status=CampaignStatus.ACTIVE,
            designations=spec.designations,
            unit_price=spec.unit_price,
            suggested_amounts=[
                {"amount": amount, "impact": texts.pop(f"impact_{n}", "")}
                for n, amount in enumerate(sorted(s.amount for s in spec.suggested_amounts), 1)
            ],
            options=[
                DonationOption(
                    **_texts(
                        {
                            "label": o.label,
                            "description": o.description,
                            "on_behalf_label": o.on_behalf_label,
                        },
                        o.translations,
                        source,
                    ),
                    unit_price=o.unit_price,
                    units=o.units,
                    stock=o.stock,
                    needs_on_behalf=o.needs_on_behalf,
                    designations=o.designations,
                    needs_proxy=o.needs_proxy,
                    shares_per_animal=o.shares_per_animal,
                    position=position,
                )
                for position, o in enumerate(spec.options)
            ],
            **texts,
        )
        session.add(campaign)
        existing[spec.slug] = campaign
        added += 1
    session.flush()
    return existing, added


def _add_reports(
    session: Session, folder: Path, today: date, campaigns: dict[str, Campaign], source: str
) -> int:
    """Create the published demo reports that are missing; return how many."""
    specs = demo_data().reports
    existing = set(
        session.scalars(
            select(ActivityReport.slug).where(ActivityReport.slug.in_([r.slug for r in specs]))
        )
    )
    added = 0
    for number, spec in enumerate(specs):
        if spec.slug in existing:
            continue
        session.add(
            ActivityReport(
                **_texts(
                    {
                        "title": spec.title,
                        "summary": spec.summary,
                        "body": spec.body,
                        "place": spec.place,
                    },
                    spec.translations,
                    source,
                ),
                slug=spec.slug,
                happened_on=today - timedelta(days=spec.days_ago),
                published=True,
                figures=[
                    ReportFigure(
                        **_texts({"label": figure.label}, figure.translations, source),
                        value=figure.value,
                        position=position,
                    )
                    for position, figure in enumerate(spec.figures)
                ],
                images=[
                    ReportImage(
                        # Seeds past the covers' so no photo repeats a cover exactly.
                        filename=draw_picture(folder, photo.theme, 100 + 10 * number + position),
                        **_texts({"alt": photo.alt}, photo.translations, source),
                        position=position,
                    )
                    for position, photo in enumerate(spec.photos)
                ],
                campaigns=[campaigns[slug] for slug in spec.campaign_slugs],
            )
        )
        added += 1
    session.flush()
    return added


def plan_gifts(count: int, now: datetime) -> list[PlannedGift]:
    """The first ``count`` gifts of the demo plan, oldest first.

    A seeded generator decides everything, and each gift depends only on the gifts before
    it, so the first 300 gifts are the same in a plan of 500.
    """
    data = demo_data()
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not secrets
    donors = _donor_pool(rng, data.communities)
    campaigns = data.campaigns
    stock_left = {o.label: o.stock for c in campaigns for o in c.options if o.stock is not None}
    gifts = [_plan_gift(rng, index, campaigns, donors, stock_left, now) for index in range(count)]
    return sorted(gifts, key=lambda g: g.paid_at)


def _donor_pool(rng: random.Random, communities: tuple[Community, ...]) -> list[Donor]:
    weights = [c.weight for c in communities]
    donors = []
    for _ in range(DONOR_POOL):
        community = rng.choices(communities, weights)[0]
        first, last = rng.choice(community.first_names), rng.choice(community.last_names)
        email = f"{_ascii(first)}.{_ascii(last)}@example.org"
        donors.append(Donor(f"{first} {last}", email, community.first_names, last))
    return donors


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.translate(ASCII_LETTERS))
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalpha())


def _plan_gift(
    rng: random.Random,
    index: int,
    campaigns: tuple[CampaignSpec, ...],
    donors: list[Donor],
    stock_left: dict[str, int],
    now: datetime,
) -> PlannedGift:
    spec = rng.choices(campaigns, [c.weight for c in campaigns])[0]
    donor = rng.choice(donors[:REGULARS] if rng.random() < 0.3 else donors)
    window = min(WINDOW_DAYS, spec.started_days_ago)
    paid_at = now - timedelta(seconds=rng.uniform(0, window * 86_400))
    custom = rng.random() < spec.custom_share
    option = rng.choices(spec.options, [o.weight for o in spec.options])[0]
    quantity = min(rng.choice(QUANTITIES), option.max_quantity)
    if option.label in stock_left:
        quantity = min(quantity, stock_left[option.label] // option.units)
    custom_major = rng.choice(spec.custom_amounts)
    if custom or quantity == 0:  # a sold-out option: the donor gives an amount instead
        option, quantity, amount = None, 1, custom_major * 10 ** CURRENCIES[spec.currency].exponent
    else:
        amount = option.unit_price * quantity
        if option.label in stock_left:
            stock_left[option.label] -= option.units * quantity
    on_behalf: tuple[str, ...] = ()
    if option is not None and option.plate_names:
        on_behalf = tuple(rng.choice(option.plate_names) for _ in range(option.units * quantity))
    elif option is not None and option.needs_on_behalf:
        # One name per share: the donor's own, then relatives'.
        relatives = [
            f"{rng.choice(donor.first_names)} {donor.last_name}"
            for _ in range(option.units * quantity - 1)
        ]
        on_behalf = (donor.name, *relatives)
    return PlannedGift(
        key=f"{GIFT_KEY_PREFIX}{index:05d}",
        campaign=spec,
        option=option,
        quantity=quantity,
        amount=amount,
        donor=donor,
        anonymous=rng.random() < ANONYMOUS_SHARE,
        designation=rng.choice(_designations(spec, option)),
        on_behalf=on_behalf,
        paid_at=paid_at,
    )


def _designations(spec: CampaignSpec, option: OptionSpec | None) -> list[Designation]:
    """What a demo gift may be given for, as the donation form allows it."""
    if option is not None and option.designations:
        return [Designation(d) for d in option.designations.split(",")]
    offered = [Designation(d) for d in spec.designations.split(",")]
    return [d for d in offered if not d.needs_option] if option is None else offered


def _add_gifts(session: Session, campaigns: dict[str, Campaign], plan: list[PlannedGift]) -> int:
    """Store each planned gift not stored yet as a paid donation and post it to the ledger."""
    stored = set(
        session.scalars(
            select(Donation.provider_session_id).where(
                Donation.provider_session_id.startswith(GIFT_KEY_PREFIX)
            )
        )
    )
    # By place in the campaign: labels are in CONTENT_LANGUAGE, the plan's in English.
    options = {(o.campaign_id, o.position): o for o in session.scalars(select(DonationOption))}
    added = []
    for gift in plan:
        campaign = campaigns[gift.campaign.slug]
        position = gift.campaign.options.index(gift.option) if gift.option else None
        option = options.get((campaign.id, position)) if gift.option else None
        if gift.key in stored or not _still_fits(gift, campaign, option):
            continue
        donation = Donation(
            campaign=campaign,
            option=option,
            quantity=gift.quantity,
            units=gift.units,
            amount=gift.amount,
            currency=campaign.currency,
            designation=gift.designation,
            donor_name=gift.donor.name,
            donor_email=gift.donor.email,
            anonymous=gift.anonymous,
            on_behalf=list(gift.on_behalf),
            # Given with the form's proxy box, as the gift was made.
            proxy_at=gift.paid_at - timedelta(minutes=3) if option and option.needs_proxy else None,
            provider=PROVIDER,
            # The key stands in for the provider's checkout and payment ids and is the
            # ledger reference, as a real payment's id is.
            provider_session_id=gift.key,
            provider_payment_id=gift.key,
            # Born paid: the demo's gifts were never pending, so no checkout to settle.
            status=DonationStatus.PAID,
            created_at=gift.paid_at - timedelta(minutes=3),
            updated_at=gift.paid_at,
            paid_at=gift.paid_at,
        )
        if option is not None and option.stock is not None:
            option.reserved += gift.units
        session.add(donation)
        added.append(donation)
    session.flush()
    for donation in added:
        entry = post_entry(
            session,
            campaign=donation.campaign,
            kind=LedgerKind.PAYMENT,
            amount=donation.amount,
            currency=donation.currency,
            reference=donation.provider_payment_id,
            units=donation.units,
            donation=donation,
        )
        if entry is None:
            raise RuntimeError(f"ledger already holds {donation.provider_payment_id}")
        # Backdated to the gift's day so charts over time show the demo's two months.
        entry.created_at = donation.paid_at
    session.flush()
    return len(added)


def _still_fits(gift: PlannedGift, campaign: Campaign, option: DonationOption | None) -> bool:
    """False when the site changed under the plan: staff renamed the option or changed the
    currency, or real donors took the stock this gift was planned to use."""
    if campaign.currency != gift.campaign.currency:
        return False
    if gift.option is None:
        return True
    return option is not None and (option.stock_left is None or option.stock_left >= gift.units)
