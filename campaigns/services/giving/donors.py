"""Donor self-service: a signed, expiring sign-in link by e-mail, then the donor's gifts,
receipts, monthly gifts (which they may cancel) and the reports of campaigns they funded.

A donor is an e-mail address, stored and compared in one normal form (email_key: any
case, any script, on both databases). The sign-in link names
one of the donor's donations by id, signed and timestamped: it reveals no e-mail address
to anyone who sees the URL (logs, browser history), and is refused after an hour.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from campaigns.addresses import email_key
from campaigns.models import ActivityReport, Donation, DonationStatus, Receipt
from campaigns.models.donation import Frequency
from campaigns.payments import PaymentProvider
from campaigns.services import FormInvalid
from campaigns.services.content import catalog
from campaigns.services.giving import settlement
from campaigns.services.mail.notifications import queue_donor_link
from campaigns.settings import Settings
from campaigns.text import read_email

LINK_MAX_AGE = 3600  # seconds
# A different salt for every purpose: a token signed for anything else is refused here.
LINK_SALT = "donor-sign-in"
REPORTS_SHOWN = 6

S = DonationStatus
# Donations that are gifts (money arrived, whatever happened since); not pending,
# failed or expired checkouts.
GIFT_STATUSES = (S.PAID, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED, S.LOST)


class LinkInvalid(ValueError):
    """A sign-in link that was altered, signed for something else, or names no donor."""


class LinkExpired(LinkInvalid):
    """A genuine sign-in link, older than LINK_MAX_AGE."""


@dataclass
class SignInLinkForm:
    """The e-mail address a donor gave with, as typed."""

    email: str = ""


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=LINK_SALT)


def _gifts_of(email: str):
    return select(Donation).where(
        Donation.donor_email == email_key(email), Donation.status.in_(GIFT_STATUSES)
    )


def request_sign_in_link(
    session: Session, settings: Settings, form: SignInLinkForm, locale: str
) -> bool:
    """Queue an e-mail to the address typed: its sign-in link if it has given, else a
    note that we have no gifts under it; True if it has given. Both do the same work (one
    lookup, one signed token, one e-mail written and queued) and the caller answers the
    same, so neither the page nor its timing reveals anybody's giving; only the mailbox
    learns. FormInvalid, before any lookup, for an address that is missing or not one."""
    errors: dict[str, str] = {}
    email = read_email(
        form.email,
        "email",
        errors,
        missing=_("Please enter your e-mail address."),
        invalid=_("Please enter an e-mail address such as name@example.org."),
    )
    if errors:
        raise FormInvalid(errors)
    address = email_key(email)
    # Only the id: loading a whole donation would be work an unknown address skips.
    latest = session.scalar(
        _gifts_of(address).with_only_columns(Donation.id).order_by(Donation.id.desc()).limit(1)
    )
    # An unknown address signs 0, which names no donation: the token is only its key.
    token = _serializer(settings.secret_keys[0]).dumps(latest or 0)
    gave = latest is not None
    queue_donor_link(session, settings, email=address, link_token=token, gave=gave, locale=locale)
    return gave


def donor_email(session: Session, secret_key: str, token: str, max_age: int = LINK_MAX_AGE) -> str:
    """The donor a sign-in link stands for; raises LinkExpired or LinkInvalid."""
    try:
        donation_id = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise LinkExpired(token) from error
    except BadSignature as error:
        raise LinkInvalid(token) from error
    donation = session.get(Donation, donation_id) if isinstance(donation_id, int) else None
    if donation is None:
        raise LinkInvalid(token)
    return donation.donor_email


def gifts(session: Session, email: str) -> list[Donation]:
    """The donor's gifts, newest first, with their campaigns."""
    query = (
        _gifts_of(email)
        .options(selectinload(Donation.campaign))
        .order_by(Donation.created_at.desc(), Donation.id.desc())
    )
    return list(session.scalars(query))


def current_receipts(session: Session, donations: list[Donation]) -> dict[int, Receipt]:
    """Each donation's receipt in force (the latest one not voided), by donation id."""
    ids = [d.id for d in donations]
    rows = session.scalars(
        select(Receipt)
        .where(Receipt.donation_id.in_(ids), Receipt.voided_at.is_(None))
        .order_by(Receipt.id)
    )
    return {receipt.donation_id: receipt for receipt in rows}


def monthly_gifts(donations: list[Donation]) -> list[Donation]:
    """The subscriptions among the donor's gifts (each one's first donation)."""
    return [
        d
        for d in donations
        if d.frequency == Frequency.MONTHLY and d.parent_id is None and d.provider_subscription_id
    ]


def funded_reports(session: Session, donations: list[Donation]) -> list[ActivityReport]:
    """Published reports of the campaigns the donor gave to, newest first."""
    campaign_ids = sorted({d.campaign_id for d in donations})
    return catalog.reports_of_campaigns(session, campaign_ids, REPORTS_SHOWN)


def running_monthly_gift(session: Session, email: str, donation_token: str) -> Donation | None:
    """The donor's running monthly gift named by ``donation_token`` (its first gift), or
    None (another donor's gift is treated as unknown)."""
    return session.scalars(
        _gifts_of(email).where(
            Donation.token == donation_token,
            Donation.frequency == Frequency.MONTHLY,
            Donation.parent_id.is_(None),
            Donation.provider_subscription_id.is_not(None),
            Donation.subscription_ended_at.is_(None),
        )
    ).first()


def cancel_monthly_gift(
    session: Session, provider: PaymentProvider, email: str, donation_token: str
) -> Donation | None:
    """Stop the donor's monthly gift with the provider, then record that it ended.

    Returns the gift, or None when ``donation_token`` names no running monthly gift of
    this donor (another donor's gift is treated as unknown). Raises ProviderError when the
    provider cannot be reached; nothing is recorded then.
    """
    donation = running_monthly_gift(session, email, donation_token)
    if donation is None:
        return None
    provider.cancel_subscription(donation.provider_subscription_id)
    settlement.end_subscription(session, donation.provider_subscription_id)
    session.refresh(donation)
    return donation
