"""What donors receive by e-mail: one thank-you per paid gift with its receipt attached and
linked, and word of a failed monthly instalment with the way to update their card."""

from __future__ import annotations

import threading

import pytest
from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Donation, OutboxMessage, Receipt
from campaigns.services.giving.settlement import fulfill_checkout
from campaigns.services.mail.notifications import compose
from campaigns.services.mail.outbox import SmtpMailer, send_pending
from tests.mail_fixtures import attachments_of, text_of
from tests.payments_fixtures import reloaded


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def written(message: OutboxMessage) -> OutboxMessage:
    """The message with its bodies written, as the sender writes them."""
    compose(db.session, current_app.extensions["settings"], message)
    return message


def receipt_of(donation: Donation) -> Receipt:
    return db.session.scalars(select(Receipt).where(Receipt.donation_id == donation.id)).one()


def test_a_paid_gift_queues_one_thank_you_with_its_receipt(give, make_campaign, settings):
    donation = give(make_campaign("wells", title="Water wells"), amount="250")
    provider = current_app.extensions["payment_provider"]
    fulfill_checkout(db.session, provider, settings, donation.provider_session_id)  # again
    db.session.commit()

    [message] = outbox()
    receipt = receipt_of(donation)
    assert message.key == f"thanks:{donation.token}"
    assert message.donation_id == donation.id
    assert message.to == "ayse@example.org"
    assert message.subject == "Thank you for your gift to Water wells"
    # Written, with its receipt named and rendered, when sent: not in the paying transaction.
    assert (message.body_text, message.attachment, message.receipt_id) == (None, None, None)
    written(message)
    assert message.receipt_id == receipt.id
    assert message.attachment_name == f"receipt-{receipt.number}.pdf"
    receipt_url = f"http://campaigns.test/receipts/{receipt.token}.pdf"
    assert receipt_url in message.body_text
    assert f'href="{receipt_url}"' in message.body_html
    assert "Dear Ayşe Yılmaz," in message.body_text
    assert "₺250.00" in message.body_text
    assert "http://campaigns.test/donor" in message.body_text


def test_the_thank_you_arrives_once_over_smtp(give, runner, mail_url):
    donation = give(locale="tr")
    receipt = receipt_of(donation)

    first = runner.invoke(args=["outbox", "send"])
    second = runner.invoke(args=["outbox", "send"])

    assert "1 sent" in first.output and "0 sent" in second.output
    [email] = mail_url.messages
    assert email["To"] == "ayse@example.org"
    # Written by the sender, outside any request, in the donor's language.
    with force_locale("tr"):
        greeting = gettext("Dear %(name)s,", name="Ayşe Yılmaz")
        link_line = gettext(
            "Your receipt %(number)s is attached. You can download it again at any time:",
            number=receipt.number,
        )
    assert greeting == "Sayın Ayşe Yılmaz,"
    assert greeting in text_of(email) and link_line in text_of(email)
    db.session.refresh(receipt)  # rendered and stored by the sender
    assert receipt.pdf.startswith(b"%PDF")
    assert attachments_of(email) == [(f"receipt-{receipt.number}.pdf", receipt.pdf)]
    assert f"/receipts/{receipt.token}.pdf" in text_of(email)


@pytest.mark.postgres
def test_webhook_twice_and_two_senders_at_once_still_one_e_mail(
    app, pending_donation, fake_stripe, deliver, smtp_server, settings
):
    donation = pending_donation(amount="100")
    session = fake_stripe.complete_session(donation.provider_session_id)
    payload = deliver.payload("checkout.session.completed", session)
    assert deliver.post(payload).status_code == 200
    assert deliver.post(payload).status_code == 200
    assert deliver("checkout.session.completed", session).status_code == 200
    start = threading.Barrier(2)

    def sender() -> None:
        with app.app_context():
            start.wait()
            send_pending(db.session, SmtpMailer(smtp_server.url, "x@example.org"), settings)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert reloaded(donation).status == "paid"
    [email] = smtp_server.messages
    assert email["To"] == "donor@example.org"
    assert [name for name, _ in attachments_of(email)] == [
        f"receipt-{receipt_of(donation).number}.pdf"
    ]


def test_each_monthly_instalment_gets_its_own_thank_you(pending_donation, fake_stripe, deliver):
    donation = pending_donation(amount="100", frequency="monthly")
    session = fake_stripe.complete_session(donation.provider_session_id)
    deliver("checkout.session.completed", session)
    deliver("invoice.paid", fake_stripe.pay_next_invoice(session["subscription"]))

    first, second = map(written, outbox())
    instalment = db.session.scalars(select(Donation).where(Donation.parent_id == donation.id)).one()
    assert first.key == f"thanks:{donation.token}"
    assert "Thank you for your monthly gift of ₺100.00" in first.body_text
    assert second.key == f"thanks:{instalment.token}"
    assert "this month's gift of ₺100.00" in second.body_text
    assert second.receipt_id == receipt_of(instalment).id


def test_failed_instalment_tells_the_donor_how_to_update_their_card(
    pending_donation, fake_stripe, deliver
):
    donation = pending_donation(amount="100", frequency="monthly")
    session = fake_stripe.complete_session(donation.provider_session_id)
    deliver("checkout.session.completed", session)
    invoice = fake_stripe.fail_next_invoice(session["subscription"])

    assert deliver("invoice.payment_failed", invoice).status_code == 200
    assert deliver("invoice.payment_failed", invoice).status_code == 200  # Stripe's retry

    failed = [m for m in outbox() if m.key.startswith("invoice-failed:")]
    assert [m.key for m in failed] == [f"invoice-failed:{invoice['id']}"]
    [message] = failed
    assert message.to == "donor@example.org"
    assert message.subject.startswith("Your monthly gift to")
    assert "could not collect this month's gift of ₺100.00" in message.body_text
    assert "please update your card" in message.body_text
    assert invoice["hosted_invoice_url"] in message.body_text
    assert f'href="{invoice["hosted_invoice_url"]}"' in message.body_html
    assert "http://campaigns.test/donor" in message.body_text
    assert message.attachment is None


def test_a_failed_invoice_paid_since_sends_nothing(pending_donation, fake_stripe, deliver):
    donation = pending_donation(amount="100", frequency="monthly")
    session = fake_stripe.complete_session(donation.provider_session_id)
    deliver("checkout.session.completed", session)
    paid = fake_stripe.pay_next_invoice(session["subscription"])

    # The event's payload says failed; the provider, asked again, says paid.
    assert deliver("invoice.payment_failed", paid).status_code == 200

    assert not [m for m in outbox() if m.key.startswith("invoice-failed:")]


def test_the_thank_you_names_those_the_gift_was_offered_for(
    pending_donation, qurban_option, fake_stripe, deliver
):
    donation = pending_donation(
        option=qurban_option, quantity=2, on_behalf=("Fatma Yılmaz", "محمد علي")
    )
    deliver(
        "checkout.session.completed", fake_stripe.complete_session(donation.provider_session_id)
    )

    [message] = map(written, outbox())
    lines = message.body_text.splitlines()
    assert "Thank you for your gift of ₺3,000.00 to Qurban 2026." in lines
    assert "Offered on behalf of: Fatma Yılmaz, محمد علي" in lines
    assert '<bdi dir="ltr">Fatma Yılmaz</bdi>, <bdi dir="rtl">محمد علي</bdi>' in message.body_html
