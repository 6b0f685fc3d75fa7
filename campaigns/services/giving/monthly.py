"""Monthly gifts for staff: the list (running or ended, the last instalment collected, the
expected next charge, the last failed collection) and stopping one, asked for by staff
(the donor stops theirs from the donor page, ``donors.cancel_monthly_gift``)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, aliased, contains_eager

from campaigns.models import Donation, DonationStatus, ProviderEvent
from campaigns.models.donation import Frequency
from campaigns.payments import PaymentProvider
from campaigns.services.audit import Actor, record_change
from campaigns.services.giving import settlement

COLLECTED = (DonationStatus.PAID, DonationStatus.PARTIALLY_REFUNDED, DonationStatus.REFUNDED)


@dataclass(frozen=True)
class MonthlyGift:
    """One subscription (its first gift) with when it was last collected and last failed."""

    first: Donation
    last_paid: datetime | None
    last_failure: datetime | None

    @property
    def running(self) -> bool:
        return self.first.subscription_ended_at is None

    @property
    def next_charge(self) -> datetime | None:
        """A month after the last collection, while it runs (the provider decides the
        exact day; a failed collection is retried before that)."""
        if not self.running or self.last_paid is None:
            return None
        return add_month(self.last_paid)


def add_month(moment: datetime) -> datetime:
    """The same day next month, or the month's last day (31 Jan -> 28/29 Feb)."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def is_subscription(donation: Donation) -> bool:
    """Whether ``donation`` is a monthly gift's first, with a subscription at the provider."""
    return bool(
        donation.frequency == Frequency.MONTHLY
        and donation.parent_id is None
        and donation.provider_subscription_id
    )


def monthly_gifts(session: Session, *, page: int, per_page: int) -> tuple[list[MonthlyGift], int]:
    """One page of subscriptions, running ones first, then newest; and how many there are."""
    instalment = aliased(Donation)
    last_paid = (
        select(func.max(instalment.paid_at))
        .where(
            or_(instalment.id == Donation.id, instalment.parent_id == Donation.id),
            instalment.status.in_(COLLECTED),
        )
        .correlate(Donation)
        .scalar_subquery()
    )
    last_failure = (
        select(func.max(ProviderEvent.received_at))
        .where(
            ProviderEvent.donation_id == Donation.id,
            ProviderEvent.type == "invoice.payment_failed",
        )
        .correlate(Donation)
        .scalar_subquery()
    )
    subscriptions = (
        Donation.frequency == Frequency.MONTHLY,
        Donation.parent_id.is_(None),
        Donation.provider_subscription_id.is_not(None),
    )
    rows = session.execute(
        select(Donation, last_paid, last_failure)
        .join(Donation.campaign)
        .options(contains_eager(Donation.campaign))
        .where(*subscriptions)
        .order_by(
            Donation.subscription_ended_at.is_not(None), Donation.created_at.desc(), Donation.id
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    total = session.scalar(select(func.count()).select_from(Donation).where(*subscriptions))
    return [MonthlyGift(*row) for row in rows], total


def claim_cancel(session: Session, donation: Donation, seen_version: int | None) -> bool:
    """Take a running monthly gift for staff to stop: a compare-and-set on the version the
    confirmation page showed, so of two clicks or two staff members one goes on. The caller
    commits it before ``cancel_by_staff`` asks the provider."""
    if not is_subscription(donation) or seen_version is None:
        return False
    claimed = session.execute(
        update(Donation)
        .where(
            Donation.id == donation.id,
            Donation.version == seen_version,
            Donation.subscription_ended_at.is_(None),
        )
        .values(version=Donation.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(donation)
    return bool(claimed)


def cancel_by_staff(
    session: Session, provider: PaymentProvider, donation: Donation, *, actor: Actor
) -> bool:
    """Stop a monthly gift claimed by ``claim_cancel`` at the provider, then record that it
    ended, in the audit log too. False when it ended meanwhile (the donor, the provider).
    Raises ProviderError when the provider cannot be reached."""
    provider.cancel_subscription(donation.provider_subscription_id)
    ended = settlement.end_subscription(session, donation.provider_subscription_id)
    session.refresh(donation)
    if ended.outcome != settlement.Outcome.PAID:
        return False
    record_change(
        session,
        actor=actor,
        action="donation.monthly_cancel",
        entity_type="donation",
        entity_id=donation.id,
        before={"subscription_ended_at": None},
        after={"subscription_ended_at": donation.subscription_ended_at.isoformat()},
    )
    return True
