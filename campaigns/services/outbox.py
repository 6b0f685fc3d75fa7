"""The one place that sends mail.

Messages are written to ``OutboxMessage`` in the same transaction as the fact they report
(``notifications.queue_message``) and delivered later by ``send_pending``: from ``flask
outbox send``, or from a background thread in development. A message is never lost (a
failure is retried with backoff, and one that keeps failing stays in the table, unsent,
with its last error) and never sent twice: each is claimed under a row lock that is held
while it is handed to the SMTP server and released by the commit that marks it sent. The
only window for a second delivery is a crash after the server accepted the message and
before that commit.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import smtplib
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaigns.models import OutboxMessage
from campaigns.models.base import utcnow
from campaigns.services.notifications import prepare

log = logging.getLogger("campaigns.mail")

# 1, 2, 4 ... minutes between tries, at most 4 hours: twelve tries span about a day.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=4)
MAX_ATTEMPTS = 12


class Mailer(Protocol):
    def send(self, message: OutboxMessage) -> None:
        """Hand the message over for delivery or raise."""


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


@dataclass
class SendReport:
    """What one ``send_pending`` run did."""

    sent: int = 0
    failed: int = 0  # will be retried later
    given_up: int = 0  # failed for the last time; left unsent for staff to see


def _claim(session: Session, now: datetime) -> OutboxMessage | None:
    """Lock the next due message. On PostgreSQL, SKIP LOCKED lets several senders work side
    by side, each taking other messages. SQLite ignores FOR UPDATE; there the UPDATE that
    counts the attempt takes the database's write lock until the commit, and its WHERE makes
    a sender that waited for it find the message already sent."""
    while True:
        message = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
                OutboxMessage.attempts < MAX_ATTEMPTS,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).first()
        if message is None:
            return None
        counted = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id, OutboxMessage.sent_at.is_(None))
            .values(attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if counted:
            session.refresh(message)
            return message
        session.rollback()  # another sender delivered it meanwhile: look for the next


def send_pending(
    session: Session, mailer: Mailer, now: datetime | None = None, batch: int = 50
) -> SendReport:
    """Send up to ``batch`` due messages, committing after each one.

    A worker, not a use case: unlike other services it commits, because each message's
    outcome must be kept as soon as the SMTP server has answered.
    """
    now = now or utcnow()
    report = SendReport()
    for _ in range(batch):
        message = _claim(session, now)
        if message is None:
            break
        try:
            prepare(session, message)
            mailer.send(message)
        # Whatever goes wrong with one message must not stop the others.
        except Exception as error:
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            message.next_attempt_at = now + retry_delay(message.attempts)
            given_up = message.attempts >= MAX_ATTEMPTS
            report.given_up += given_up
            report.failed += not given_up
            log.warning("e-mail %s failed (try %d): %s", message.key, message.attempts, error)
        else:
            message.sent_at = now
            message.last_error = None
            report.sent += 1
        session.commit()
    session.commit()  # end the read transaction of the last, empty claim
    return report


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message for an outbox row: text, optional HTML alternative and attachment.

    Its Message-ID is derived from the row, so a copy resent after a crash carries the same
    id and mail clients can drop the duplicate.
    """
    email = EmailMessage()
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(f"{message.key}|{message.created_at.isoformat()}".encode())
    email["Message-ID"] = f"<{digest.hexdigest()[:32]}@{domain}>"
    email["Date"] = format_datetime(message.created_at)
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    if message.attachment is not None:
        name = message.attachment_name or "attachment"
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        email.add_attachment(message.attachment, maintype=maintype, subtype=subtype, filename=name)
    return email


class SmtpMailer:
    """Delivers over SMTP. ``url``: ``smtp://[user:pass@]host[:port][?starttls=1]`` or
    ``smtps://...`` (TLS from the first byte)."""

    def __init__(self, url: str, sender: str, timeout: float = 30) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("MAIL_URL must look like smtp://host:port or smtps://host:port")
        self.tls = parts.scheme == "smtps"
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true")
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout

    def send(self, message: OutboxMessage) -> None:
        connect = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        with connect(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(build_email(message, self.sender))


class LogMailer:
    """Used when ``MAIL_URL`` is unset: writes each message to the log, so development
    needs no mail server, and counts it as sent."""

    def __init__(self, sender: str) -> None:
        self.sender = sender
        # Make the messages visible where nothing has configured logging (flask run).
        log.setLevel(logging.INFO)
        if not log.hasHandlers():
            log.addHandler(logging.StreamHandler(sys.stderr))

    def send(self, message: OutboxMessage) -> None:
        attachment = (
            f"\n[attached: {message.attachment_name}, {len(message.attachment)} bytes]"
            if message.attachment is not None
            else ""
        )
        log.info(
            "E-mail (not sent: MAIL_URL is unset)\nFrom: %s\nTo: %s\nSubject: %s\n\n%s%s",
            self.sender,
            message.to,
            message.subject,
            message.body_text,
            attachment,
        )


def mailer_from_config(config) -> Mailer:
    """SMTP when ``MAIL_URL`` is set, the log otherwise."""
    if config.get("MAIL_URL"):
        return SmtpMailer(config["MAIL_URL"], config["MAIL_FROM"])
    return LogMailer(config["MAIL_FROM"])


def start_background_sender(app, interval: float = 5) -> threading.Thread:
    """Send due mail every ``interval`` seconds from a daemon thread (``make run``), so the
    development site needs no second process. Production runs ``flask outbox send``."""
    from campaigns.extensions import db

    def run() -> None:
        mailer = mailer_from_config(app.config)
        while True:
            with app.app_context():
                try:
                    send_pending(db.session, mailer)
                # Keep the thread alive through a database hiccup; the next round retries.
                except Exception:
                    log.exception("background e-mail sender")
            time.sleep(interval)

    thread = threading.Thread(target=run, name="outbox-sender", daemon=True)
    thread.start()
    return thread
