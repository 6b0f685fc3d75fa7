"""Qurban fulfilment: paid shares grouped into animals, moved by staff, performed, told.

A share is one unit of ``quantity`` of a gift whose option has ``shares_per_animal`` (1 a
sheep, 7 a cow); share ``i`` carries the gift's ``on_behalf[i]`` name. ``fill_animals``
puts every waiting share of a paid gift into the first animal of its option with room,
in order of payment (``paid_at``, then id, then share), opening new animals as needed.
Staff may move a share to another animal of the same option (``move_share``) and mark
animals performed, with date, place and photos (``mark_performed``).

Concurrency: every change here first locks the campaign's row (``lock_campaign``), so
two staff members filling or moving at once act in turn and each sees what the other did;
the move form carries the animal the share was in when the page was shown, and a share
moved meanwhile is refused as changed.

E-mail: each gift is told once, when all of its shares are in animals marked performed
(the last one of them decides); the message lists each name with its date and place. The
outbox key ``performed:<token>`` keeps it to one however often or in however many
batches its animals are marked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import IO

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from campaigns.models import Animal, Campaign, Donation, DonationOption, ShareAssignment
from campaigns.models.base import utcnow
from campaigns.models.donation import DonationStatus
from campaigns.pdf import render_pdf
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change
from campaigns.services.content.uploads import UploadRefused, clean_image, save_image
from campaigns.services.mail.notifications import queue_sacrifice_performed
from campaigns.settings import Settings
from campaigns.text import column_length, parse_int, read_date, read_text

# Gifts whose shares are sacrificed: paid ones (a partial refund keeps the gift's shares).
PAID = (DonationStatus.PAID, DonationStatus.PARTIALLY_REFUNDED)
MAX_PHOTOS = 6


@dataclass(frozen=True)
class ShareState:
    """Where one share of a gift stands, for the donor page."""

    name: str
    animal: Animal | None  # None: waiting for an animal

    @property
    def performed(self) -> bool:
        return self.animal is not None and self.animal.performed_on is not None


def lock_campaign(session: Session, campaign: Campaign) -> None:
    """Take the campaign's row for this transaction: an UPDATE that changes nothing holds
    the row's lock on PostgreSQL and the write lock on SQLite, which ignores FOR UPDATE
    (and would let two movers count the same free place)."""
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(id=Campaign.id)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class AnimalView:
    """An animal as staff and the names PDF see it: its shares of paid gifts only (a
    refunded gift's shares leave the list and free their places), in reading order. Reads
    the animal's other attributes through."""

    animal: Animal
    shares: list[ShareAssignment]

    def __getattr__(self, name: str):
        return getattr(self.animal, name)


def animals_of(session: Session, campaign: Campaign) -> list[AnimalView]:
    """The campaign's animals by number, with their paid shares in reading order."""
    animals = session.scalars(
        select(Animal)
        .where(Animal.campaign_id == campaign.id)
        .options(selectinload(Animal.option))
        .order_by(Animal.number)
    ).all()
    rows = session.scalars(
        select(ShareAssignment)
        .join(Animal)
        .join(Donation, Donation.id == ShareAssignment.donation_id)
        .where(Animal.campaign_id == campaign.id, Donation.status.in_(PAID))
        .options(selectinload(ShareAssignment.donation))
        .order_by(Donation.paid_at, Donation.id, ShareAssignment.share)
    )
    shares: dict[int, list[ShareAssignment]] = {a.id: [] for a in animals}
    for row in rows:
        shares[row.animal_id].append(row)
    return [AnimalView(a, shares[a.id]) for a in animals]


def _paid_gifts(session: Session, option: DonationOption) -> list[Donation]:
    return list(
        session.scalars(
            select(Donation)
            .where(Donation.option_id == option.id, Donation.status.in_(PAID))
            .order_by(Donation.paid_at, Donation.id)
        )
    )


def drop_shares(session: Session, donation: Donation, refunded: set[int]) -> None:
    """Shares ``refunded`` (indexes into the gift's names) leave their animals, and the
    gift's other shares take the indexes their names have once those are taken out of
    ``on_behalf``. Renumbered in ascending order, so no two rows ever share an index."""
    session.execute(
        ShareAssignment.__table__.delete().where(
            ShareAssignment.donation_id == donation.id, ShareAssignment.share.in_(refunded)
        )
    )
    rows = session.scalars(
        select(ShareAssignment)
        .where(ShareAssignment.donation_id == donation.id)
        .order_by(ShareAssignment.share)
    ).all()
    for row in rows:
        share = row.share - sum(1 for n in refunded if n < row.share)
        if share != row.share:
            session.execute(
                update(ShareAssignment)
                .where(ShareAssignment.id == row.id)
                .values(share=share)
                .execution_options(synchronize_session=False)
            )
    for loaded in [o for o in session.identity_map.values() if isinstance(o, ShareAssignment)]:
        session.expire(loaded)


def _assigned(session: Session, option: DonationOption) -> set[tuple[int, int]]:
    rows = session.execute(
        select(ShareAssignment.donation_id, ShareAssignment.share)
        .join(Animal)
        .where(Animal.option_id == option.id)
    )
    return {(row.donation_id, row.share) for row in rows}


def waiting_shares(session: Session, campaign: Campaign) -> int:
    """Paid shares of the campaign not in any animal yet."""
    waiting = 0
    for option in campaign.options:
        if option.shares_per_animal:
            assigned = _assigned(session, option)
            waiting += sum(
                1
                for gift in _paid_gifts(session, option)
                for share in range(gift.quantity)
                if (gift.id, share) not in assigned
            )
    return waiting


def _counts(session: Session, campaign: Campaign) -> Counter:
    """The places taken in each animal: shares of paid gifts."""
    rows = session.execute(
        select(ShareAssignment.animal_id, func.count())
        .join(Animal)
        .join(Donation, Donation.id == ShareAssignment.donation_id)
        .where(Animal.campaign_id == campaign.id, Donation.status.in_(PAID))
        .group_by(ShareAssignment.animal_id)
    )
    return Counter({animal_id: n for animal_id, n in rows})


def _next_number(session: Session, campaign: Campaign) -> int:
    top = session.scalar(select(func.max(Animal.number)).where(Animal.campaign_id == campaign.id))
    return (top or 0) + 1


def _new_animal(session: Session, campaign: Campaign, option: DonationOption) -> Animal:
    animal = Animal(
        campaign_id=campaign.id,
        option_id=option.id,
        number=_next_number(session, campaign),
        capacity=option.shares_per_animal,
        place="",
        photos=[],
    )
    session.add(animal)
    session.flush()
    return animal


def fill_animals(session: Session, campaign: Campaign, *, actor: Actor | None) -> int:
    """Put every waiting paid share into an animal, in order of payment; returns how many
    were placed."""
    lock_campaign(session, campaign)
    counts = _counts(session, campaign)
    placed = 0
    for option in campaign.options:
        if not option.shares_per_animal:
            continue
        assigned = _assigned(session, option)
        open_animals = [
            a
            for a in session.scalars(
                select(Animal)
                .where(Animal.option_id == option.id, Animal.performed_on.is_(None))
                .order_by(Animal.number)
            )
            if counts[a.id] < a.capacity
        ]
        for gift in _paid_gifts(session, option):
            for share in range(gift.quantity - len(gift.refunded_on_behalf)):
                if (gift.id, share) in assigned:
                    continue
                if not open_animals:
                    open_animals.append(_new_animal(session, campaign, option))
                animal = open_animals[0]
                session.add(ShareAssignment(donation_id=gift.id, share=share, animal_id=animal.id))
                counts[animal.id] += 1
                placed += 1
                if counts[animal.id] >= animal.capacity:
                    open_animals.pop(0)
    session.flush()
    if placed:
        record_change(
            session,
            actor=actor,
            action="animals.fill",
            entity_type="campaign",
            entity_id=campaign.id,
            after={"shares_placed": placed},
        )
    return placed


@dataclass
class MoveForm:
    """Move one share: the share (its assignment id), the animal it was in when the page
    was shown, and the number of the animal to move it to ("new": a new animal)."""

    share: str = ""
    current: str = ""
    to: str = ""


def move_share(
    session: Session, campaign: Campaign, form: MoveForm, *, actor: Actor | None
) -> tuple[ShareAssignment, Animal]:
    """Move a share to another animal of its option that has room and is not performed;
    raise FormInvalid (nothing changed) otherwise, or when the share moved meanwhile."""
    lock_campaign(session, campaign)
    assignment = session.get(ShareAssignment, parse_int(form.share, minimum=1) or 0)
    if assignment is None or assignment.animal.campaign_id != campaign.id:
        raise FormInvalid({"": _("This share is no longer in an animal. Please look again.")})
    session.refresh(assignment)
    source = assignment.animal
    if str(source.id) != form.current.strip():
        raise FormInvalid(
            {
                "": _(
                    "Someone moved this share meanwhile: it is now in animal %(n)d. "
                    "Nothing was changed.",
                    n=source.number,
                )
            }
        )
    if source.performed_on is not None:
        raise FormInvalid(
            {"to": _("Animal %(n)d was already performed; its shares stay.", n=source.number)}
        )
    if form.to.strip() == "new":
        target = _new_animal(session, campaign, source.option)
    else:
        number = parse_int(form.to, minimum=1)
        target = session.scalars(
            select(Animal).where(Animal.campaign_id == campaign.id, Animal.number == number)
        ).first()
        if target is None:
            raise FormInvalid({"to": _("Please choose one of the animals listed.")})
        _check_target(session, source, target)
    before = {"animal": source.number}
    assignment.animal_id = target.id
    session.flush()
    session.expire(assignment, ["animal"])
    record_change(
        session,
        actor=actor,
        action="animals.move_share",
        entity_type="donation",
        entity_id=assignment.donation_id,
        before=before | {"share": assignment.share},
        after={"animal": target.number, "share": assignment.share},
    )
    return assignment, target


def _check_target(session: Session, source: Animal, target: Animal) -> None:
    if target.id == source.id:
        raise FormInvalid({"to": _("The share is already in animal %(n)d.", n=target.number)})
    if target.option_id != source.option_id:
        raise FormInvalid(
            {
                "to": _(
                    "Animal %(n)d takes shares of “%(option)s” only.",
                    n=target.number,
                    option=target.option.label,
                )
            }
        )
    if target.performed_on is not None:
        raise FormInvalid(
            {
                "to": _(
                    "Animal %(n)d was already performed; it takes no more shares.", n=target.number
                )
            }
        )
    held = _counts(session, target.campaign)[target.id]
    if held >= target.capacity:
        raise FormInvalid(
            {
                "to": _(
                    "Animal %(n)d is full (%(held)d of %(capacity)d shares).",
                    n=target.number,
                    held=held,
                    capacity=target.capacity,
                )
            }
        )


@dataclass
class PerformedForm:
    """Mark animals performed: their ids, the day, the place; photos come as files."""

    animals: list[str] = field(default_factory=list)
    performed_on: str = ""
    place: str = ""


def mark_performed(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    form: PerformedForm,
    photos: list[IO[bytes]],
    folder: str,
    *,
    actor: Actor | None,
) -> list[Animal]:
    """Mark the chosen animals performed on a day at a place, with optional photos, and
    queue the e-mail of each gift whose shares are now all performed. Raises FormInvalid
    with nothing changed (and no photo kept) when anything is wrong."""
    lock_campaign(session, campaign)
    errors: dict[str, str] = {}
    day = read_date(form.performed_on, "performed_on", errors, required=True)
    place = read_text(form.place, "place", column_length(Animal.place), errors, required=True)
    ids = {parse_int(text, minimum=1) for text in form.animals} - {None}
    animals = list(
        session.scalars(
            select(Animal)
            .where(Animal.campaign_id == campaign.id, Animal.id.in_(ids))
            .order_by(Animal.number)
        )
    )
    counts = _counts(session, campaign)
    if not animals:
        errors["animals"] = _("Please choose the animals that were performed.")
    for animal in animals:
        session.refresh(animal)
        if animal.performed_on is not None:
            errors["animals"] = _(
                "Animal %(n)d was already marked performed. Nothing was changed.", n=animal.number
            )
        elif not counts[animal.id]:
            errors["animals"] = _("Animal %(n)d has no shares yet.", n=animal.number)
    cleaned = []
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = _("Please choose at most %(n)d photos.", n=MAX_PHOTOS)
    else:
        for photo in photos:
            try:
                cleaned.append(clean_image(photo))
            except UploadRefused as refused:
                errors["photos"] = str(refused)
    if errors:
        raise FormInvalid(errors)
    names = [save_image(image, folder) for image in cleaned]
    now = utcnow()
    for animal in animals:
        animal.performed_on = day
        animal.place = place
        animal.photos = names
        animal.performed_at = now
    session.flush()
    record_change(
        session,
        actor=actor,
        action="animals.performed",
        entity_type="campaign",
        entity_id=campaign.id,
        after={
            "animals": [a.number for a in animals],
            "performed_on": day.isoformat(),
            "place": place,
            "photos": len(names),
        },
    )
    _tell_donors(session, settings, animals)
    return animals


def _tell_donors(session: Session, settings: Settings, animals: list[Animal]) -> None:
    donation_ids = set(
        session.scalars(
            select(ShareAssignment.donation_id)
            .join(Donation, Donation.id == ShareAssignment.donation_id)
            .where(
                ShareAssignment.animal_id.in_([a.id for a in animals]),
                Donation.status.in_(PAID),
            )
        )
    )
    for donation_id in sorted(donation_ids):
        donation = session.get(Donation, donation_id)
        states = share_states(session, [donation])[donation.id]
        if all(state.performed for state in states):
            queue_sacrifice_performed(session, settings, donation, states)


def share_states(session: Session, donations: list[Donation]) -> dict[int, list[ShareState]]:
    """For each gift of an option grouped into animals, where each of its shares stands."""
    grouped = [d for d in donations if d.option is not None and d.option.shares_per_animal]
    if not grouped:
        return {}
    rows = session.scalars(
        select(ShareAssignment)
        .where(ShareAssignment.donation_id.in_([d.id for d in grouped]))
        .options(selectinload(ShareAssignment.animal))
    )
    where = {(row.donation_id, row.share): row.animal for row in rows}
    return {
        d.id: [ShareState(d.share_name(i), where.get((d.id, i))) for i in range(d.quantity)]
        for d in grouped
    }


def names_pdf(session: Session, settings: Settings, campaign: Campaign, locale: str) -> bytes:
    """The names to read at the sacrifice: per animal, in order of payment, each name in
    its own script and direction."""
    animals = [a for a in animals_of(session, campaign) if a.shares]
    receipts = settings.receipts
    with force_locale(locale):
        html = render_template(
            "staff/animals/names_pdf.html",
            settings=receipts,
            campaign=campaign,
            animals=animals,
        )
    return render_pdf(html, receipts.base_url)
