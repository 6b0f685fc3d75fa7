"""Reconciliation: settles what the provider knows and the webhooks did not tell
(``flask stripe reconcile``), and releases the stock of pending gifts past their expiry."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import Donation
from campaigns.models.base import utcnow
from campaigns.payments import PaymentProvider, ProviderError
from campaigns.services.giving.settlement import (
    Outcome,
    S,
    expire_donation,
    find_donation,
    fulfill_checkout,
)
from campaigns.settings import Settings

log = logging.getLogger(__name__)


def reconcile_checkouts(
    session: Session, provider: PaymentProvider, settings: Settings, since: datetime
) -> Iterator[tuple[str, str, Outcome]]:
    """Walk the provider's checkouts created since ``since`` and settle every one whose
    donation is still pending (a missed or failed webhook), then release the stock of
    every pending donation past its expiry (``expire_overdue``). Yields (checkout id,
    donation token, outcome) for what each call changed; the caller commits after each,
    so a crash loses nothing already repaired."""
    for checkout in provider.list_checkouts(since):
        if not checkout.reference or checkout.status == "open":
            continue
        donation = find_donation(session, token=checkout.reference)
        if donation is None or donation.status != S.PENDING:
            continue
        outcome = fulfill_checkout(session, provider, settings, checkout.id)
        if outcome in (Outcome.PAID, Outcome.EXPIRED):
            yield checkout.id, checkout.reference, outcome
    yield from expire_overdue(session, provider, settings)


def overdue_donations(session: Session, provider: PaymentProvider, now: datetime) -> list[int]:
    """Ids of the provider's pending donations whose checkout expired by ``now``."""
    return list(
        session.scalars(
            select(Donation.id)
            .where(
                Donation.status == S.PENDING,
                Donation.provider == provider.name,
                Donation.expires_at <= now,
            )
            .order_by(Donation.expires_at, Donation.id)
        )
    )


def expire_overdue(
    session: Session, provider: PaymentProvider, settings: Settings
) -> Iterator[tuple[str, str, Outcome]]:
    """Settle every pending donation past its expiry, asking the provider first: a
    checkout paid after all is fulfilled, an open one is expired at the provider, then
    (like one already expired) its donation expires and releases its stock. A donation
    that never got a checkout (the app stopped before or while asking for one) expires at
    once. Exactly once with the ``checkout.session.expired`` webhook: both end in
    ``expire_donation``, whose compare-and-set lets one of them release the stock.
    Yields what changed, as ``reconcile_checkouts``; the caller commits after each."""
    for donation_id in overdue_donations(session, provider, utcnow()):
        donation = session.get(Donation, donation_id)
        if donation is None or donation.status != S.PENDING:
            continue
        checkout_id = donation.provider_session_id
        if checkout_id is None:
            outcome = expire_donation(session, donation)
        else:
            if provider.retrieve_checkout(checkout_id).status == "open":
                try:
                    provider.expire_checkout(checkout_id)
                except ProviderError:
                    # Paid or expired in the meantime (only an open one can be expired);
                    # re-reading it below tells which. Unreachable: that read raises.
                    log.info("checkout %s could not be expired; reading it again", checkout_id)
            outcome = fulfill_checkout(session, provider, settings, checkout_id)
        if outcome in (Outcome.PAID, Outcome.EXPIRED):
            yield checkout_id or "-", donation.token, outcome
