"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, helpers to read
what it got, and paid gifts (which queue their thank-you e-mails)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import current_app

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.services.giving.donations import GiftForm, start_donation, validate_gift
from campaigns.services.giving.settlement import fulfill_checkout
from tests.payments_fixtures import thank_you_urls


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Inbox:
    """The messages the SMTP server accepted, parsed, in arrival order."""

    messages: list[EmailMessage] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp_server():
    """An SMTP server on a free loopback port; ``inbox.url`` is its MAIL_URL."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}"
    yield inbox
    controller.stop()


@pytest.fixture
def mail_url(app, smtp_server, monkeypatch) -> Inbox:
    """The app's MAIL_URL pointed at ``smtp_server`` for one test."""
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_server.url)
    return smtp_server


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def attachments_of(message: EmailMessage) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]


@pytest.fixture
def give(app_ctx, make_campaign):
    """A paid gift through the demo checkout, as a donor makes it: ``give(campaign,
    email=..., amount="250", frequency="once", locale="en")``. Paying queues its thank-you
    e-mail."""

    default: list = []

    def make(
        campaign=None, *, email="ayse@example.org", amount="250", frequency="once", locale="en"
    ):
        if campaign is None:
            default[:] = default or [make_campaign("earthquake")]
            campaign = default[0]
        provider = current_app.extensions["payment_provider"]
        settings = current_app.extensions["settings"]  # as configured when called
        form = GiftForm(amount=amount, frequency=frequency, name="Ayşe Yılmaz", email=email)
        gift = validate_gift(db.session, campaign, form, locale=locale, today=local_today())
        donation, _url = start_donation(
            db.session, provider, settings, campaign, gift, thank_you_urls, commit=db.session.commit
        )
        provider.pay(donation.provider_session_id)
        fulfill_checkout(db.session, provider, settings, donation.provider_session_id)
        db.session.commit()
        return donation

    return make
