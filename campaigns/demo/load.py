"""Demo data for ``flask demo load``: the charity's four campaigns, its field reports and
a few hundred paid gifts, so a fresh site looks like the real one.

Everything is keyed so that loading again adds nothing: campaigns and reports by slug,
gifts by a provider session id derived from their position in a seeded plan. The plan
is the same on every run, so ``--donations 500`` after 300 adds the 200 missing gifts.
Money goes through the ledger like any real payment, so ``flask totals verify`` agrees.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
from campaigns.services.ledger import post_entry

PROVIDER = "demo"
GIFT_KEY_PREFIX = "demo-load-"
SEED = 1453
WINDOW_DAYS = 60
QUANTITIES = (1, 1, 1, 1, 2, 2, 3, 4, 5)


@dataclass(frozen=True)
class OptionSpec:
    """A demo DonationOption, plus how demo donors choose it."""

    label: str
    description: str
    unit_price: int  # minor units
    units: int = 1
    stock: int | None = None
    needs_on_behalf: bool = False
    max_quantity: int = 10
    dedicated: bool = False  # the gift carries a dedication (a well's name plate)
    weight: int = 1  # how often demo donors pick it


@dataclass(frozen=True)
class CampaignSpec:
    """A demo Campaign with its options, plus how demo donors give to it."""

    slug: str
    title: str
    summary: str
    story: str
    cover_theme: str
    cover_alt: str
    currency: str
    goal_amount: int  # minor units
    units_goal: int
    unit_label: str
    started_days_ago: int
    ends_in_days: int
    designations: str
    options: tuple[OptionSpec, ...]
    custom_amounts: tuple[int, ...]  # whole units of the currency, for custom gifts
    custom_share: float  # share of demo gifts given as a custom amount
    weight: int  # share of all demo gifts


@dataclass(frozen=True)
class ReportSpec:
    """A published demo ActivityReport; its photos are drawn when it is created."""

    slug: str
    title: str
    summary: str
    body: str
    place: str
    days_ago: int
    figures: tuple[tuple[str, int], ...]
    photos: tuple[tuple[str, str], ...]  # (theme, alt text)
    campaign_slugs: tuple[str, ...]


CAMPAIGNS: tuple[CampaignSpec, ...] = (
    CampaignSpec(
        slug="earthquake-food-aid",
        title="Earthquake food aid",
        summary=(
            "Many families in the earthquake area still cook in containers and tents. "
            "One parcel keeps a family's kitchen going for weeks: give one, or several."
        ),
        story="""\
The earthquake flattened homes, shops and workplaces in a single night. Long after the
cameras left, many families in the area still live in containers and tents, and what
they ask us for first is simple: food they can cook.

Our **giveaway food donation** puts a parcel of staples into the hands of a family our
volunteers know by name.

## What a parcel holds

- flour, rice, bulgur and lentils
- cooking oil, sugar, tea and salt
- tinned food and tomato paste

## How your gift is used

Each parcel you fund is counted on this page and handed over in the earthquake area.
Our field reports show where the parcels went. You may give your gift as general aid,
as sadaqah or as zakat; we keep zakat apart and spend it only on those entitled to it.
""",
        cover_theme="food",
        cover_alt="Drawing of a cardboard food parcel between stalks of wheat under a warm sky",
        currency="TRY",
        goal_amount=500_000_00,
        units_goal=300,
        unit_label="food parcels",
        started_days_ago=75,
        ends_in_days=45,
        designations="general,sadaqah,zakat",
        options=(
            OptionSpec(
                "Food parcel for a family",
                "Staples for a family of five for about a month.",
                1_500_00,
            ),
        ),
        custom_amounts=(250, 500, 750, 1_000, 2_000, 5_000),
        custom_share=0.25,
        weight=35,
    ),
    CampaignSpec(
        slug="qurban",
        title="Qurban: Eid al-Adha sacrifices",
        summary=(
            "Offer your sacrifice through us: a sheep or goat, or one seventh of a cow. "
            "The meat reaches families in need and people waiting in hope under the "
            "shadow of war."
        ),
        story="""\
Every Eid al-Adha we carry out sacrifices on behalf of our donors and share the meat
with people who rarely see any: poor families, widows and orphans, and people waiting
in hope under the shadow of war. Last year sacrificial meat reached tens of thousands
of people.

## Choose your share

- **One sheep or goat** is one share.
- **One seventh of a cow** is also one share: seven donors share one cow.

Each share is offered for one person. Tell us the name it is offered for (your own,
a parent's, a child's) and we say that name when the animal is sacrificed.

## Before the Eid

Shares are limited, and orders close a few days before the Eid so that every animal
can be bought, checked and sacrificed in time. After the Eid we publish where the meat
went.
""",
        cover_theme="sheep",
        cover_alt="Drawing of two white sheep and a brown goat grazing on green hills",
        currency="TRY",
        goal_amount=1_400_000_00,
        units_goal=220,
        unit_label="sacrifice shares",
        started_days_ago=40,
        ends_in_days=21,
        designations="general,sadaqah",
        options=(
            OptionSpec(
                "One sheep or goat",
                "A whole small animal: one share, offered for one person.",
                8_500_00,
                stock=150,
                needs_on_behalf=True,
                weight=3,
            ),
            OptionSpec(
                "One seventh of a cow",
                "One of the seven shares of a cow, offered for one person.",
                7_000_00,
                stock=70,
                needs_on_behalf=True,
            ),
        ),
        custom_amounts=(500, 1_000, 2_500),
        custom_share=0.08,
        weight=20,
    ),
    CampaignSpec(
        slug="water-wells-africa",
        title="Water wells in Africa",
        summary=(
            "We drill wells in Africa in memory of the people who lost their lives on "
            "15 July 2016. Give towards a well, or fund a whole well and choose the name "
            "on its plate."
        ),
        story="""\
In many villages the nearest clean water is hours away on foot, and the walk falls to
women and children. A well changes the day of everyone around it: children go to
school instead of to the river, and fewer people fall ill from dirty water.

We dedicate these wells to the memory of those who died on **15 July 2016**.

## Two ways to give

- **A contribution** of any amount goes to the next well we drill.
- **A complete well** is a fixed price. Its plate carries the name you choose: the
  person you dedicate it to, or a 15 July martyr.

When a well is finished we share its photos in our activity reports.
""",
        cover_theme="well",
        cover_alt="Drawing of a stone well with a red roof beside an acacia tree at sunset",
        currency="USD",
        goal_amount=90_000_00,
        units_goal=25,
        unit_label="wells",
        started_days_ago=200,
        ends_in_days=150,
        designations="general,sadaqah",
        options=(
            OptionSpec(
                "A complete water well",
                "One well, with the name you choose on its plate.",
                3_500_00,
                max_quantity=1,
                dedicated=True,
            ),
        ),
        custom_amounts=(25, 50, 100, 150, 250, 500, 1_000),
        custom_share=0.85,
        weight=20,
    ),
    CampaignSpec(
        slug="ramadan-iftar",
        title="Ramadan iftar tables",
        summary=(
            "Every evening of Ramadan we set iftar tables in Africa and support families "
            "in Syria. Share an iftar with one person, a family, or a whole table of ten."
        ),
        story="""\
When the sun sets in Ramadan, our volunteers set out long tables so that people who
fasted all day can break their fast together with a warm meal. The tables are laid
**every day of Ramadan** in Africa, and our Ramadan support reaches families in Syria.

## What your gift sets on the table

- **Iftar for one person**: a warm meal, dates and water.
- **Iftar for a family**: meals for five.
- **A table of ten**: a whole table for an evening.

Zakat and sadaqah are both welcome; tell us which your gift is.
""",
        cover_theme="iftar",
        cover_alt="Drawing of a long iftar table with plates and dates under a crescent moon",
        currency="EUR",
        goal_amount=8_000_00,
        units_goal=1_500,
        unit_label="iftar meals",
        started_days_ago=55,
        ends_in_days=35,
        designations="general,sadaqah,zakat",
        options=(
            OptionSpec("Iftar for one person", "One warm iftar meal.", 5_00, weight=3),
            OptionSpec("Iftar for a family", "Iftar for a family of five.", 25_00, 5, weight=3),
            OptionSpec("Iftar for a table of ten", "A whole table of ten.", 45_00, 10, weight=2),
        ),
        custom_amounts=(10, 20, 30, 50, 100, 200),
        custom_share=0.15,
        weight=25,
    ),
)

# Figures marked "demo value" are placeholders for the charity to replace with its own.
REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(
        slug="al-bab-hot-meals-winter-clothes",
        title="Hot meals and winter clothes in the camps of al-Bab",
        summary=(
            "In the refugee camps around al-Bab we served hot meals to 1,200 families "
            "and dressed 650 children for the winter."
        ),
        body="""\
Winter in the camps around **al-Bab** is long, wet and cold. Tents leak, and many
children arrived with only the clothes they fled in.

Our team cooked and served hot meals for **1,200 families** in the camps, and handed
out coats, boots, hats and gloves to **650 children**, each fitted to the child.

Thank you to everyone whose Ramadan and winter gifts made this possible.
""",
        place="al-Bab, Syria",
        days_ago=70,
        figures=(("families reached", 1_200), ("children clothed", 650)),
        photos=(
            ("camp", "Drawing of tents in a snowy refugee camp"),
            ("meal", "Drawing of a large cooking pot steaming over a fire, with bowls of soup"),
        ),
        campaign_slugs=("ramadan-iftar",),
    ),
    ReportSpec(
        slug="africa-daily-iftar-tables",
        title="Iftar tables every evening of Ramadan in Africa",
        summary="Throughout Ramadan our volunteers laid iftar tables in Africa every day.",
        body="""\
From the first evening of Ramadan to the last, our volunteers in Africa laid iftar
tables at sunset, every single day.

Neighbours, travellers and families who had nothing to break their fast with sat down
together. Many of our donors chose a whole table of ten, and several tables carried the
names of the people they were given for.
""",
        place="Africa",
        days_ago=330,
        figures=(("days of iftar tables", 30),),
        photos=(("iftar", "Drawing of an iftar table laid with plates and dates at night"),),
        campaign_slugs=("ramadan-iftar",),
    ),
    ReportSpec(
        slug="qurban-meat-for-tens-of-thousands",
        title="Sacrificial meat for tens of thousands of people",
        summary="Last Eid al-Adha the meat of our donors' sacrifices reached tens of "
        "thousands of people.",
        body="""\
During the days of Eid al-Adha our teams sacrificed the animals our donors had
entrusted to us, each with the name it was offered for.

The meat was packed the same day and delivered to **tens of thousands of people**:
families in need, widows, orphans and the elderly, many of whom eat meat only at Eid.
""",
        place="Syria, Africa and Turkey",
        days_ago=320,
        figures=(("people reached", 20_000),),  # the least "tens of thousands" can mean
        photos=(("sheep", "Drawing of sheep and a goat on a green hillside"),),
        campaign_slugs=("qurban",),
    ),
    ReportSpec(
        slug="qurban-in-the-war-zone",
        title="Sacrifices for people waiting in hope under the shadow of war",
        summary="We carried our donors' sacrifices to families living in a war zone.",
        body="""\
For families living under the shadow of war, Eid is often the hardest day of the year.
This year our team took part of the Qurban to them.

The sacrifices were carried out on site and the meat was shared out in the camps and
villages, family by family, with the names of the donors' loved ones remembered.
""",
        place="Syria",
        days_ago=318,
        figures=(("sacrifice shares delivered", 450),),  # demo value
        photos=(
            ("sheep", "Drawing of a small flock of sheep on a hill"),
            ("camp", "Drawing of tents in a camp where the meat was shared out"),
        ),
        campaign_slugs=("qurban",),
    ),
    ReportSpec(
        slug="wells-in-memory-of-15-july",
        title="Water wells in memory of the 15 July victims",
        summary="New wells in Africa now carry the names of people who died on 15 July 2016.",
        body="""\
We dedicated a new group of water wells in Africa to the memory of those we lost on
**15 July 2016**. Each well carries a plate with a name.

Villages that used to walk for hours to reach water now draw it close to home. Our
donors who funded a whole well received the photo of its plate.
""",
        place="Africa",
        days_ago=120,
        figures=(("wells drilled", 12),),  # demo value
        photos=(
            ("well", "Drawing of a finished stone well under an acacia tree"),
            ("water", "Drawing of a large drop of clean water rippling below"),
        ),
        campaign_slugs=("water-wells-africa",),
    ),
    ReportSpec(
        slug="earthquake-giveaway-food-donation",
        title="Giveaway food donation starts in the earthquake area",
        summary="We started a giveaway food donation campaign for families in the earthquake area.",
        body="""\
Families in the earthquake area still face empty cupboards. We have started a
**giveaway food donation** campaign: parcels of staples handed to families directly.

The first parcels went to families living in containers and tents. Every new parcel a
donor funds goes out in the next round.
""",
        place="Earthquake area, Turkey",
        days_ago=74,
        figures=(("food parcels in the first round", 150),),  # demo value
        photos=(("food", "Drawing of a food parcel ready to be handed over, beside wheat"),),
        campaign_slugs=("earthquake-food-aid",),
    ),
    ReportSpec(
        slug="kemal-karaca-complex-uganda",
        title="The Kemal Karaca Complex opens in Uganda",
        summary="The complex our association built in Uganda has opened its doors.",
        body="""\
The **Kemal Karaca Complex**, built by our association in Uganda, has opened.

It was made possible by years of gifts from our members and donors, and it gives our
work in Africa a permanent home. We thank everyone who helped to build it.
""",
        place="Uganda",
        days_ago=200,
        figures=(),
        photos=(("complex", "Drawing of a new building with a dome and a minaret among trees"),),
        campaign_slugs=(),
    ),
)


@dataclass(frozen=True)
class Community:
    """Names from one of the communities that give to the charity."""

    weight: int  # share of the donors
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


def _community(weight: int, first_names: str, last_names: str) -> Community:
    return Community(weight, tuple(first_names.split()), tuple(last_names.split()))


COMMUNITIES: tuple[Community, ...] = (
    _community(  # Turkey
        40,
        "Ayşe Mehmet Fatma Mustafa Emine Ahmet Zeynep Hüseyin Elif İbrahim Hatice Yusuf Merve "
        "Ömer Şeyma Burak Kübra Emre",
        "Yılmaz Kaya Demir Şahin Çelik Yıldız Öztürk Aydın Özdemir Arslan Doğan Kılıç Çetin "
        "Koç Kurt Özkan Şimşek Karaca",
    ),
    _community(  # the Caucasus
        25,
        "Aslan Murat Zaur Timur Rustam Madina Zarema Fatima Amina Ruslan Khadija Liana Saida "
        "Shamil Kazbek Milana Anzor",
        "Berzeg Hatko Natho Tsey Kodzoko Abaza Ardzinba Lakoba Chachba Beridze Tsiklauri Kapanadze",
    ),
    _community(  # the Arab world
        20,
        "Ahmad Mohammed Omar Khalid Ali Hassan Aisha Maryam Layla Noor Huda Rania Samir Tariq "
        "Zainab Hamza",
        "Al-Hassan Haddad Khalil Nasser Saleh Mansour Al-Rashid Hamdan Darwish Aziz Qasim "
        "Barakat Al-Masri",
    ),
    _community(  # elsewhere
        15,
        "Emma Lukas Sophie Daniel Aïcha Ousmane Hannah Yasmin Imran Nadia James Maria Jonas Amir",
        "Schmidt Müller Martin Okafor Diallo Ndiaye Becker Khan Malik Rahman Wilson Rossi Berg "
        "Hoffmann",
    ),
)
DONOR_POOL = 220
REGULARS = 25  # the first donors of the pool, who give again and again
ANONYMOUS_SHARE = 0.12
WELL_DEDICATIONS = ("In memory of the 15 July martyrs", "In memory of my father")
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
    dedication: str
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
    campaigns, campaigns_added = _add_campaigns(session, folder, today)
    reports_added = _add_reports(session, folder, today, campaigns)
    gifts_added = _add_gifts(session, campaigns, plan_gifts(donations, datetime.now(UTC)))
    if not (campaigns_added or reports_added or gifts_added):
        return "Demo data already loaded: nothing added."
    return f"Loaded {campaigns_added} campaigns, {reports_added} reports, {gifts_added} donations"


def _add_campaigns(session: Session, folder: Path, today: date) -> tuple[dict[str, Campaign], int]:
    """The demo campaigns by slug, creating those missing; and how many were created."""
    existing = {
        c.slug: c
        for c in session.scalars(
            select(Campaign).where(Campaign.slug.in_([s.slug for s in CAMPAIGNS]))
        )
    }
    added = 0
    for seed, spec in enumerate(CAMPAIGNS):
        if spec.slug in existing:
            continue
        campaign = Campaign(
            slug=spec.slug,
            title=spec.title,
            summary=spec.summary,
            story=spec.story,
            cover_image=draw_picture(folder, spec.cover_theme, seed),
            cover_alt=spec.cover_alt,
            currency=spec.currency,
            goal_amount=spec.goal_amount,
            units_goal=spec.units_goal,
            unit_label=spec.unit_label,
            starts_on=today - timedelta(days=spec.started_days_ago),
            ends_on=today + timedelta(days=spec.ends_in_days),
            status=CampaignStatus.ACTIVE,
            designations=spec.designations,
            options=[
                DonationOption(
                    label=o.label,
                    description=o.description,
                    unit_price=o.unit_price,
                    units=o.units,
                    stock=o.stock,
                    needs_on_behalf=o.needs_on_behalf,
                    position=position,
                )
                for position, o in enumerate(spec.options)
            ],
        )
        session.add(campaign)
        existing[spec.slug] = campaign
        added += 1
    session.flush()
    return existing, added


def _add_reports(
    session: Session, folder: Path, today: date, campaigns: dict[str, Campaign]
) -> int:
    """Create the published demo reports that are missing; return how many."""
    existing = set(
        session.scalars(
            select(ActivityReport.slug).where(ActivityReport.slug.in_([r.slug for r in REPORTS]))
        )
    )
    added = 0
    for number, spec in enumerate(REPORTS):
        if spec.slug in existing:
            continue
        session.add(
            ActivityReport(
                slug=spec.slug,
                title=spec.title,
                summary=spec.summary,
                body=spec.body,
                place=spec.place,
                happened_on=today - timedelta(days=spec.days_ago),
                published=True,
                figures=[
                    ReportFigure(label=label, value=value, position=position)
                    for position, (label, value) in enumerate(spec.figures)
                ],
                images=[
                    ReportImage(
                        # Seeds past the covers' so no photo repeats a cover exactly.
                        filename=draw_picture(folder, theme, 100 + 10 * number + position),
                        alt=alt,
                        position=position,
                    )
                    for position, (theme, alt) in enumerate(spec.photos)
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
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not secrets
    donors = _donor_pool(rng)
    stock_left = {o.label: o.stock for c in CAMPAIGNS for o in c.options if o.stock is not None}
    gifts = [_plan_gift(rng, index, donors, stock_left, now) for index in range(count)]
    return sorted(gifts, key=lambda g: g.paid_at)


def _donor_pool(rng: random.Random) -> list[Donor]:
    weights = [c.weight for c in COMMUNITIES]
    donors = []
    for _ in range(DONOR_POOL):
        community = rng.choices(COMMUNITIES, weights)[0]
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
    donors: list[Donor],
    stock_left: dict[str, int],
    now: datetime,
) -> PlannedGift:
    spec = rng.choices(CAMPAIGNS, [c.weight for c in CAMPAIGNS])[0]
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
    if option is not None and option.needs_on_behalf:
        # One name per share: the donor's own, then relatives'.
        relatives = [
            f"{rng.choice(donor.first_names)} {donor.last_name}"
            for _ in range(option.units * quantity - 1)
        ]
        on_behalf = (donor.name, *relatives)
    dedicated = option is not None and option.dedicated
    return PlannedGift(
        key=f"{GIFT_KEY_PREFIX}{index:05d}",
        campaign=spec,
        option=option,
        quantity=quantity,
        amount=amount,
        donor=donor,
        anonymous=rng.random() < ANONYMOUS_SHARE,
        designation=Designation(rng.choice(spec.designations.split(","))),
        on_behalf=on_behalf,
        dedication=rng.choice(WELL_DEDICATIONS) if dedicated else "",
        paid_at=paid_at,
    )


def _add_gifts(session: Session, campaigns: dict[str, Campaign], plan: list[PlannedGift]) -> int:
    """Store each planned gift not stored yet as a paid donation and post it to the ledger."""
    stored = set(
        session.scalars(
            select(Donation.provider_session_id).where(
                Donation.provider_session_id.startswith(GIFT_KEY_PREFIX)
            )
        )
    )
    options = {(o.campaign_id, o.label): o for o in session.scalars(select(DonationOption))}
    added = []
    for gift in plan:
        campaign = campaigns[gift.campaign.slug]
        option = options.get((campaign.id, gift.option.label)) if gift.option else None
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
            dedication=gift.dedication,
            on_behalf=list(gift.on_behalf),
            provider=PROVIDER,
            # The key stands in for the provider's checkout and payment ids and is the
            # ledger reference, as a real payment's id is.
            provider_session_id=gift.key,
            provider_payment_id=gift.key,
            status=DonationStatus.PENDING,
            created_at=gift.paid_at - timedelta(minutes=3),
            updated_at=gift.paid_at,
            paid_at=gift.paid_at,
        )
        donation.move_to(DonationStatus.PAID)
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
            donation_id=donation.id,
            donor_email=donation.donor_email,
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
