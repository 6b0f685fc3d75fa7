"""What we e-mail donors, and when: the thank-you with its receipt, a refund with the
receipt that replaces theirs, a failed monthly instalment, and the donor page sign-in
link; and ``queue_message``, the one way into the outbox.

Each message is rendered from ``templates/email/<name>.txt`` and ``.html`` in the donor's
language and queued in the outbox in the caller's transaction, once per purpose (its key).
The thank-you is queued by template and written when first sent (``prepare``), with its
receipt's PDF: the paying transaction, which then takes the campaign's totals and the
receipt counter and holds them to its commit, only records that it is owed.
Links are absolute, built on ``SITE_URL`` by ``Settings.absolute_url``: these e-mails are
written outside requests too (webhooks, reconcile, the sender), and never from a request's
Host header. Settings come in as an argument, from the edge that calls.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.bidi import isolate
from campaigns.models import Donation, OutboxMessage, Receipt
from campaigns.models.base import new_token, utcnow
from campaigns.models.donation import Frequency
from campaigns.payments import PaymentProvider
from campaigns.services.books.receipts import receipt_pdf
from campaigns.services.sql import as_loaded, insert_ignoring_duplicates
from campaigns.settings import Settings

THANKS = "thanks"


def queue_message(session: Session, **message) -> OutboxMessage | None:
    """Queue a message (``message_values``' arguments) once per ``key`` in the caller's
    transaction; returns it, or None when a message with that key already exists (a
    repeated or concurrent call)."""
    values = message_values(**message)
    message_id = insert_ignoring_duplicates(
        session, OutboxMessage, values, returning=OutboxMessage.id
    ).scalar_one_or_none()
    if message_id is None:
        return None
    return as_loaded(session, OutboxMessage, values | {"id": message_id})


def message_values(
    *,
    key: str,
    to: str,
    subject: str,
    body_text: str | None = None,
    body_html: str | None = None,
    template: str | None = None,
    attachment: bytes | None = None,
    attachment_name: str | None = None,
    donation_id: int | None = None,
    receipt_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    """The outbox row of a message, due now: either ``body_text`` or a ``template`` that
    ``prepare`` writes when sending; ``headers`` are added to the e-mail (List-Unsubscribe)."""
    if (body_text is None) == (template is None):
        raise ValueError("a message has either its text or a template to write it from")
    now = utcnow()
    return {
        "key": key,
        "to": to,
        "subject": subject,
        "template": template,
        "body_text": body_text,
        "body_html": body_html,
        "attachment": attachment,
        "attachment_name": attachment_name,
        "donation_id": donation_id,
        "receipt_id": receipt_id,
        "headers": headers,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def prepare(session: Session, settings: Settings, message: OutboxMessage) -> None:
    """Finish a message before it is sent: write a thank-you queued by template, and attach
    the receipt it names. Both are kept on the row, so a retry sends the very same mail."""
    compose(session, settings, message)
    if message.receipt_id is not None and message.attachment is None:
        receipt = session.get(Receipt, message.receipt_id)
        message.attachment = receipt_pdf(session, receipt, settings.receipts)


def compose(session: Session, settings: Settings, message: OutboxMessage) -> None:
    """Write the bodies of a message queued by template (only the thank-you is), in its
    donor's language."""
    if message.body_text is not None:
        return
    if message.template != THANKS:
        raise ValueError(f"no way to write a message from template {message.template!r}")
    donation = session.get(Donation, message.donation_id)
    receipt = _receipt_for_thanks(session, message)
    context = {
        "donation": donation,
        "receipt": receipt,
        "receipt_url": settings.absolute_url("receipts.download", token=receipt.token),
        "donor_url": settings.absolute_url("donor.start"),
        "campaign_url": settings.absolute_url(
            "public.campaign", slug=donation.campaign.slug, lang=donation.locale
        ),
    }
    with force_locale(donation.locale):
        message.body_text, message.body_html = _bodies(THANKS, **context)


def _receipt_for_thanks(session: Session, message: OutboxMessage) -> Receipt:
    """The receipt a thank-you carries: the one its gift was issued when paid (the gift's
    first), named on the message when it is first written."""
    if message.receipt_id is None:
        receipt = session.scalars(
            select(Receipt).where(Receipt.donation_id == message.donation_id).order_by(Receipt.id)
        ).first()
        message.receipt_id = receipt.id
        message.attachment_name = f"receipt-{receipt.number}.pdf"
        return receipt
    return session.get(Receipt, message.receipt_id)


def _bodies(template: str, **context) -> tuple[str, str]:
    """A message's text and HTML bodies, in the locale in force."""
    return (
        render_template(f"email/{template}.txt", **context),
        render_template(f"email/{template}.html", **context),
    )


def campaign_named(donation: Donation, content_language: str) -> str:
    """The donation's campaign title for a subject: in the donor's language when written
    in it (``content_language``: the columns'), isolated in a right-to-left one."""
    title = donation.campaign.localized("title", donation.locale, content_language)
    return isolate(title, donation.locale)


def _queue(
    session: Session,
    *,
    key: str,
    to: str,
    locale: str,
    template: str,
    subject,
    donation_id: int | None = None,
    **context,
) -> OutboxMessage | None:
    with force_locale(locale):
        text, html = _bodies(template, **context)
        return queue_message(
            session,
            key=key,
            to=to,
            subject=str(subject),
            body_text=text,
            body_html=html,
            donation_id=donation_id,
        )


def _queue_to_donor(
    session: Session, donation: Donation, *, key: str, template: str, subject, **context
) -> OutboxMessage | None:
    """``_queue`` to the donor of ``donation``, in their language, linked to the gift and
    with it in the template's context."""
    return _queue(
        session,
        key=key,
        to=donation.donor_email,
        locale=donation.locale,
        template=template,
        subject=subject,
        donation_id=donation.id,
        donation=donation,
        **context,
    )


def queue_thank_you(
    session: Session, donation: Donation, *, content_language: str
) -> OutboxMessage | None:
    """The thank-you for a paid gift (or monthly instalment), with its receipt attached and
    linked; once per donation (``thank_you``)."""
    return queue_message(session, **thank_you(donation, content_language=content_language))


def thank_you(donation: Donation, *, content_language: str) -> dict:
    """``queue_message``'s arguments for the thank-you of ``donation``. Only its subject is
    written now; ``compose`` writes the rest and names the receipt (the gift's, issued in
    the same transaction), so the paying transaction can queue it before it takes the
    receipt counter. The campaign is named in the donor's language (``content_language``:
    the columns')."""
    with force_locale(donation.locale):
        subject = str(
            _l(
                "Thank you for your gift to %(campaign)s",
                campaign=campaign_named(donation, content_language),
            )
        )
    return {
        "key": f"thanks:{donation.token}",
        "to": donation.donor_email,
        "subject": subject,
        "template": THANKS,
        "donation_id": donation.id,
    }


@dataclass(frozen=True)
class Notice:
    """A message as the donor will read it (in their language)."""

    to: str
    subject: str
    text: str
    html: str


def refund_notice(
    settings: Settings,
    donation: Donation,
    *,
    amount: int,
    kept: int,
    names_kept: list[str],
    voided: Receipt | None,
    replacement_number: str | None,
    replacement_url: str | None,
) -> Notice:
    """The e-mail telling a donor that ``amount`` of their gift was refunded: what is kept,
    the names their gift is still offered for, the receipt voided and the one replacing it.
    Staff see it before they refund (with the replacement's number still to come)."""
    with force_locale(donation.locale):
        subject = str(
            _l(
                "Your gift to %(campaign)s was refunded",
                campaign=campaign_named(donation, settings.content_language),
            )
        )
        text, html = _bodies(
            "refunded",
            subject=subject,
            donation=donation,
            amount=amount,
            kept=kept,
            names_kept=names_kept,
            voided_number=voided.number if voided else None,
            replacement_number=replacement_number,
            replacement_url=replacement_url,
            donor_url=settings.absolute_url("donor.start"),
        )
    return Notice(donation.donor_email, subject, text, html)


def queue_refund_notice(
    session: Session,
    settings: Settings,
    donation: Donation,
    *,
    key: str,
    amount: int,
    voided: Receipt | None,
    replacement: Receipt | None,
) -> OutboxMessage | None:
    """Queue the refund e-mail once per ``key`` (the refund's reference), with the
    replacing receipt attached when the sender prepares it. A gift recorded without an
    e-mail address (cash handed in) is told nothing."""
    if not donation.donor_email:
        return None
    if replacement is not None and voided is not None and replacement.id == voided.id:
        replacement = None  # a gift whose receipt stayed as it was
    notice = refund_notice(
        settings,
        donation,
        amount=amount,
        kept=donation.amount - donation.refunded_amount,
        names_kept=list(donation.on_behalf),
        voided=voided,
        replacement_number=replacement.number if replacement else None,
        replacement_url=settings.absolute_url("receipts.download", token=replacement.token)
        if replacement
        else None,
    )
    return queue_message(
        session,
        key=key,
        to=notice.to,
        subject=notice.subject,
        body_text=notice.text,
        body_html=notice.html,
        donation_id=donation.id,
        receipt_id=replacement.id if replacement else None,
        attachment_name=f"receipt-{replacement.number}.pdf" if replacement else None,
    )


def notify_failed_instalment(
    session: Session, provider: PaymentProvider, settings: Settings, invoice_id: str
) -> OutboxMessage | None:
    """``invoice.payment_failed``: tell the donor their monthly gift could not be collected
    and how to update their card; once per invoice however often the provider retries.
    The invoice is re-read from the provider; one paid since then needs no e-mail."""
    invoice = provider.retrieve_invoice(invoice_id)
    if invoice.status == "paid" or not invoice.reference:
        return None
    first = session.scalars(
        select(Donation).where(
            Donation.token == invoice.reference, Donation.frequency == Frequency.MONTHLY
        )
    ).first()
    if first is None:
        return None
    return _queue_to_donor(
        session,
        first,
        key=f"invoice-failed:{invoice.id}",
        template="invoice_failed",
        subject=_l(
            "Your monthly gift to %(campaign)s could not be collected",
            campaign=campaign_named(first, settings.content_language),
        ),
        amount=invoice.amount_due,
        currency=invoice.currency,
        update_url=invoice.hosted_invoice_url,
        donor_url=settings.absolute_url("donor.start"),
    )


def queue_sacrifice_performed(
    session: Session, settings: Settings, donation: Donation, shares: list
) -> OutboxMessage | None:
    """Tell the donor their sacrifice was performed: each share's name (``shares``: objects
    with ``name`` and ``animal``, whose ``performed_on`` and ``place`` are set), once per
    gift, in their language."""
    names = ", ".join(share.name for share in shares)
    return _queue_to_donor(
        session,
        donation,
        key=f"performed:{donation.token}",
        template="performed",
        subject=_l("Your sacrifice on behalf of %(names)s was performed", names=names),
        shares=shares,
        donor_url=settings.absolute_url("donor.start"),
    )


def queue_delivered(
    session: Session, settings: Settings, donation: Donation, delivery
) -> OutboxMessage | None:
    """Tell the donor what their gift became: the delivery (its day and note) that
    completed it; once per gift, in their language."""
    return _queue_to_donor(
        session,
        donation,
        key=f"delivered:{donation.token}",
        template="delivered",
        subject=_l(
            "Your gift to %(campaign)s was delivered",
            campaign=campaign_named(donation, settings.content_language),
        ),
        delivery=delivery,
        donor_url=settings.absolute_url("donor.start"),
    )


def queue_donor_link(
    session: Session, settings: Settings, *, email: str, link_token: str, gave: bool, locale: str
) -> OutboxMessage | None:
    """The donor page sign-in link, or (``gave`` False) a note saying we have no gifts
    under this address, without the link. One message per address and token: a second
    request within the same second (the token's timestamp) is the same message."""
    digest = hashlib.sha256(f"{email}\n{link_token}".encode()).hexdigest()
    return _queue(
        session,
        key=f"donor-link:{digest}",
        to=email,
        locale=locale,
        template="donor_link",
        subject=_l("Your link to your gifts and receipts")
        if gave
        else _l("We have no gifts under this e-mail address"),
        link=settings.absolute_url("donor.gifts", token=link_token) if gave else None,
        donor_url=settings.absolute_url("donor.start"),
    )


def queue_staff_code(
    session: Session, settings: Settings, user, code: str, *, minutes: int
) -> OutboxMessage | None:
    """A one-time sign-in code for a staff member (``services.people.lockout``), in the language
    they last signed in with; one message per code."""
    return _queue(
        session,
        key=f"staff-code:{user.id}:{new_token()}",
        to=user.email,
        locale=user.locale or settings.default_locale,
        template="staff_code",
        subject=_l("Your staff sign-in code"),
        code=code,
        minutes=minutes,
        password_url=settings.absolute_url("staff.password"),
    )


def queue_pledge(
    session: Session, settings: Settings, donation: Donation, accounts
) -> OutboxMessage | None:
    """A bank-transfer pledge's instructions: the charity's ``accounts`` in its currency,
    the exact amount, the reference code and the day it lapses; once per pledge."""
    return _queue_to_donor(
        session,
        donation,
        key=f"pledge:{donation.token}",
        template="pledge",
        subject=_l(
            "How to send your gift to %(campaign)s",
            campaign=campaign_named(donation, settings.content_language),
        ),
        accounts=accounts,
        pledge_url=settings.absolute_url("donations.thanks", token=donation.token),
    )


def queue_pledge_expired(
    session: Session, donation: Donation, *, content_language: str
) -> OutboxMessage | None:
    """A pledge whose transfer never came: the donor is told, once."""
    return _queue_to_donor(
        session,
        donation,
        key=f"pledge-expired:{donation.token}",
        template="pledge_expired",
        subject=_l(
            "Your pledge to %(campaign)s has lapsed",
            campaign=campaign_named(donation, content_language),
        ),
    )
