"""Bank transfers (havale/EFT), the donor's side: a pledge with a reference code.

A donor who chooses to pay by bank transfer gets a pending donation (provider
``bank_transfer``) holding its stock for ``BANK_TRANSFER_HOLD_DAYS``, with a reference
code (``statements.codes``) to write on the transfer, and an e-mail with the charity's
accounts, the exact amount and the code. ``bank_import`` pays it when the statement line
comes in; a pledge not paid in time expires like an abandoned checkout
(``settlement.expire_donation``: its stock is released) and its donor is told once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaigns.models import BankLine, Campaign, Donation, DonationStatus, LineStatus
from campaigns.models.base import utcnow
from campaigns.models.donation import Frequency
from campaigns.services.giving.donations import (
    Gift,
    GiftInvalid,
    _check_held,
    pending_donation,
    reserve_stock,
)
from campaigns.services.giving.offline import PaymentMethod
from campaigns.services.giving.settlement import Outcome, expire_donation
from campaigns.services.mail.notifications import queue_pledge, queue_pledge_expired
from campaigns.settings import Settings
from campaigns.statements import codes

BANK = PaymentMethod.BANK_TRANSFER.value  # a pledge's Donation.provider
CODE_TRIES = 5


def offers_bank_transfer(settings: Settings, campaign: Campaign) -> bool:
    """Whether the donation form offers bank transfer: an account in the campaign's currency."""
    return bool(settings.accounts_for(campaign.currency))


def _with_new_code(session: Session, donation: Donation) -> None:
    """Store ``donation`` with a fresh code; the unique constraint decides, and a taken
    code (about one in 27 billion per pledge) is drawn again."""
    for _try in range(CODE_TRIES):
        donation.transfer_code = codes.new_code()
        try:
            with session.begin_nested():
                session.add(donation)
                session.flush()
            return
        except IntegrityError:
            if donation in session:
                session.expunge(donation)
    raise RuntimeError("no free transfer code after several tries")


def start_pledge(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    gift: Gift,
    *,
    client: str | None = None,
) -> Donation:
    """Store a pending bank-transfer pledge with its code, hold its stock, and queue the
    e-mail with the accounts and the code. Raises GiftInvalid (the caller rolls back)."""
    if not offers_bank_transfer(settings, campaign):
        raise GiftInvalid({"method": _("Bank transfer is not offered for this campaign.")})
    if gift.frequency == Frequency.MONTHLY:
        raise GiftInvalid(
            {"method": _("A bank transfer is given once. For a monthly gift, please pay by card.")}
        )
    now = utcnow()
    donation = pending_donation(
        settings,
        campaign,
        gift,  # the transfer expected: the gift and any fee cover
        provider=BANK,
        expires_at=now + timedelta(days=settings.bank_transfer_hold_days),
        client=client,
    )
    _with_new_code(session, donation)
    if gift.option is not None and gift.option.stock is not None:
        reserve_stock(session, gift.option, gift.quantity)
        _check_held(session, donation, settings.max_held_units, now)
    queue_pledge(session, settings, donation, settings.accounts_for(campaign.currency))
    return donation


def expire_pledges(
    session: Session, *, content_language: str, now: datetime | None = None
) -> Iterator[str]:
    """Expire every pending pledge past its hold: its stock is released and its donor is
    told, once (the compare-and-set in ``expire_donation`` lets one caller do it). Yields
    each expired pledge's code; the caller commits after each."""
    overdue = session.scalars(
        select(Donation.id)
        .where(
            Donation.status == DonationStatus.PENDING,
            Donation.transfer_code.is_not(None),
            Donation.expires_at <= (now or utcnow()),
        )
        .order_by(Donation.expires_at, Donation.id)
    ).all()
    for donation_id in overdue:
        donation = session.get(Donation, donation_id)
        if donation is not None and expire_donation(session, donation) == Outcome.EXPIRED:
            queue_pledge_expired(session, donation, content_language=content_language)
            yield donation.transfer_code


@dataclass(frozen=True)
class BankFigures:
    """For the staff dashboard: pledges waiting, what they should bring per currency, and
    statement lines waiting for staff."""

    pledges_waiting: int
    expected: dict[str, int]
    lines_waiting: int


def bank_figures(session: Session) -> BankFigures:
    rows = session.execute(
        select(Donation.currency, func.count(), func.sum(Donation.amount))
        .where(Donation.status == DonationStatus.PENDING, Donation.transfer_code.is_not(None))
        .group_by(Donation.currency)
        .order_by(Donation.currency)
    ).all()
    lines = session.scalar(
        select(func.count()).select_from(BankLine).where(BankLine.status == LineStatus.WAITING)
    )
    return BankFigures(
        pledges_waiting=sum(r[1] for r in rows),
        expected={r[0]: int(r[2]) for r in rows},
        lines_waiting=lines or 0,
    )
