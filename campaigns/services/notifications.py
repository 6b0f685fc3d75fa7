"""What we e-mail donors, and when: the thank-you with its receipt, a failed monthly
instalment, and the donor page sign-in link.

Each message is rendered from ``templates/email/<name>.txt`` and ``.html`` in the donor's
language and queued in the outbox in the caller's transaction, once per purpose (its key).
Links are absolute, built on ``SITE_URL``: these e-mails are written outside requests too
(webhooks, reconcile), and never from a request's Host header.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import Donation, OutboxMessage, Receipt
from campaigns.models.donation import Frequency
from campaigns.payments import PaymentProvider
from campaigns.services.outbox import queue_message


def absolute_url(endpoint: str, **values) -> str:
    """The public address of a page, e.g. ``absolute_url("donor.start")``."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["SITE_URL"] + path


def _queue(
    session: Session,
    *,
    key: str,
    to: str,
    locale: str,
    template: str,
    subject,
    donation_id: int | None = None,
    attachment_name: str | None = None,
    receipt_id: int | None = None,
    **context,
) -> OutboxMessage | None:
    with force_locale(locale):
        return queue_message(
            session,
            key=key,
            to=to,
            subject=str(subject),
            body_text=render_template(f"email/{template}.txt", **context),
            body_html=render_template(f"email/{template}.html", **context),
            attachment_name=attachment_name,
            donation_id=donation_id,
            receipt_id=receipt_id,
        )


def queue_thank_you(session: Session, donation: Donation, receipt: Receipt) -> OutboxMessage | None:
    """The thank-you for a paid gift (or monthly instalment), with its receipt attached and
    linked; once per donation."""
    return _queue(
        session,
        key=f"thanks:{donation.token}",
        to=donation.donor_email,
        locale=donation.locale,
        template="thanks",
        subject=_l("Thank you for your gift to %(campaign)s", campaign=donation.campaign.title),
        donation_id=donation.id,
        receipt_id=receipt.id,
        attachment_name=f"receipt-{receipt.number}.pdf",
        donation=donation,
        receipt=receipt,
        receipt_url=absolute_url("receipts.download", token=receipt.token),
        donor_url=absolute_url("donor.start"),
    )


def notify_failed_instalment(
    session: Session, provider: PaymentProvider, invoice_id: str
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
    return _queue(
        session,
        key=f"invoice-failed:{invoice.id}",
        to=first.donor_email,
        locale=first.locale,
        template="invoice_failed",
        subject=_l(
            "Your monthly gift to %(campaign)s could not be collected",
            campaign=first.campaign.title,
        ),
        donation_id=first.id,
        donation=first,
        amount=invoice.amount_due,
        currency=invoice.currency,
        update_url=invoice.hosted_invoice_url,
        donor_url=absolute_url("donor.start"),
    )


def queue_donor_link(
    session: Session, *, email: str, link_token: str, locale: str
) -> OutboxMessage | None:
    """The donor page sign-in link; one message per link."""
    return _queue(
        session,
        key=f"donor-link:{link_token}",
        to=email,
        locale=locale,
        template="donor_link",
        subject=_l("Your link to your gifts and receipts"),
        link=absolute_url("donor.gifts", token=link_token),
    )
