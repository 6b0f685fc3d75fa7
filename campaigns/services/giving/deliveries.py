"""Deliveries of a unit campaign's units (wells completed, parcels handed out, iftar
tables served), and telling the donors whose gifts they were.

Gifts are delivered in order of payment (``paid_at``, then id): a delivery of N units
takes the next N funded units. A gift is delivered once all of its units are, and its
donor is then e-mailed once, in their language (outbox key ``delivered:<token>``).
``CampaignTotals.units_delivered`` moves in the delivery's transaction, so the campaign
page shows what was delivered beside what was funded from its totals alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaigns.models import CampaignTotals, Delivery, Donation
from campaigns.models.base import utcnow
from campaigns.models.campaign import Campaign
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change
from campaigns.services.content.uploads import UploadRefused, clean_image, save_image
from campaigns.services.giving.fulfilment import PAID, lock_campaign
from campaigns.services.mail.notifications import queue_delivered
from campaigns.settings import Settings
from campaigns.text import column_length, read_count, read_date, read_text


@dataclass
class DeliveryForm:
    """A delivery as typed: how many units, the day, a note (a well's plate name)."""

    units: str = ""
    delivered_on: str = ""
    note: str = ""


def deliveries_of(session: Session, campaign: Campaign) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.campaign_id == campaign.id)
            .order_by(Delivery.delivered_on.desc(), Delivery.id.desc())
        )
    )


def record_delivery(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    form: DeliveryForm,
    photo: IO[bytes] | None,
    folder: str,
    *,
    actor: Actor | None,
) -> Delivery:
    """Record units delivered, move the campaign's delivered total and queue the e-mail of
    each gift now wholly delivered. Raises FormInvalid with nothing changed (no photo
    kept) when anything is wrong, including more units than are funded and not yet
    delivered."""
    lock_campaign(session, campaign)
    session.refresh(campaign.totals)
    totals = campaign.totals
    waiting = totals.units_funded - totals.units_delivered
    errors: dict[str, str] = {}
    units = read_count(form.units, "units", errors, maximum=max(waiting, 1))
    if waiting <= 0:
        errors["units"] = _("Every funded unit is already delivered.")
    elif "units" in errors or units is None:
        errors["units"] = _("Please enter a number of units from 1 to %(n)d.", n=waiting)
    day = read_date(form.delivered_on, "delivered_on", errors, required=True)
    note = read_text(form.note, "note", column_length(Delivery.note), errors)
    image = None
    if photo is not None:
        try:
            image = clean_image(photo)
        except UploadRefused as refused:
            errors["photo"] = str(refused)
    if errors:
        raise FormInvalid(errors)
    before = totals.units_delivered
    delivery = Delivery(
        campaign_id=campaign.id,
        units=units,
        delivered_on=day,
        note=note,
        photos=[save_image(image, folder)] if image else [],
    )
    session.add(delivery)
    session.execute(
        update(CampaignTotals)
        .where(CampaignTotals.campaign_id == campaign.id)
        .values(units_delivered=CampaignTotals.units_delivered + units, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.refresh(totals)
    record_change(
        session,
        actor=actor,
        action="delivery.create",
        entity_type="delivery",
        entity_id=delivery.id,
        after={"units": units, "delivered_on": day.isoformat(), "note": note},
    )
    for gift in delivered_gifts(session, campaign, before, before + units):
        queue_delivered(session, settings, gift, delivery)
    return delivery


def delivered_gifts(
    session: Session, campaign: Campaign, before: int, after: int
) -> list[Donation]:
    """The paid gifts whose last unit falls among delivered units ``before`` + 1 ..
    ``after``, first paid first delivered."""
    gifts = session.scalars(
        select(Donation)
        .where(Donation.campaign_id == campaign.id, Donation.status.in_(PAID), Donation.units > 0)
        .order_by(Donation.paid_at, Donation.id)
    )
    done, funded = [], 0
    for gift in gifts:
        funded += gift.units
        if funded > after:
            break
        if funded > before:
            done.append(gift)
    return done
