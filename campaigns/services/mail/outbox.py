"""The one place that sends mail.

Messages are written to ``OutboxMessage`` in the same transaction as the fact they report
(``notifications.queue_message``) and delivered later by ``send_pending``: from ``flask
outbox send``, or from a background thread in development. A message is never lost and
never sent twice: each is claimed under a row lock that is held while it is handed to the
SMTP server and released by the commit that marks it sent. The only window for a second
delivery is a crash after the server accepted the message and before that commit.

One bad message never stops the others: whatever goes wrong with it is rolled back, then
its failure (attempts, error, next try) is recorded in a transaction of its own and the
sender moves on. It is retried with backoff; after ``MAX_ATTEMPTS`` it is marked failed
(``failed_at``), left alone by the sender and listed for staff, who may send it again.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import smtplib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import partial
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.orm import Session

from campaigns.models import OutboxMessage
from campaigns.models.base import utcnow
from campaigns.services.audit import Actor, record_change
from campaigns.services.mail.notifications import prepare
from campaigns.settings import Settings

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


@dataclass(frozen=True)
class Failure:
    """One message that failed in a run."""

    message_id: int
    purpose: str  # the key's first part: thanks, donor-link, ...
    attempts: int
    error: str
    given_up: bool  # its last try: marked failed, for staff to see
    recorded: bool = True  # False: even recording the failure failed (see the log)

    def __str__(self) -> str:
        outcome = "marked failed" if self.given_up else "retried later"
        if not self.recorded:
            outcome = "failure not recorded"
        return (
            f"message {self.message_id} ({self.purpose}) try {self.attempts} of "
            f"{MAX_ATTEMPTS}, {outcome}: {self.error}"
        )


@dataclass
class SendReport:
    """What one ``send_pending`` run did."""

    sent: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Failures that will be retried later."""
        return sum(not f.given_up for f in self.failures)

    @property
    def given_up(self) -> int:
        """Failures of a last try: marked failed, left unsent for staff to see."""
        return sum(f.given_up for f in self.failures)


def describe(error: BaseException) -> str:
    """The error in one printable line for staff and the log: for a database error the
    driver's words alone, never the statement's parameters (they hold the message)."""
    cause = getattr(error, "orig", None) or error
    try:
        text = f"{type(cause).__name__}: {cause}"
    except Exception:  # an error that cannot even say what it is
        text = type(cause).__name__
    printable = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(printable.split())[:500]


def _claim(session: Session, now: datetime, skip: set[int]) -> OutboxMessage | None:
    """Lock the next due message. On PostgreSQL, SKIP LOCKED lets several senders work side
    by side, each taking other messages. SQLite ignores FOR UPDATE; there the UPDATE that
    counts the try (kept when the message is sent; a failed try is counted apart) takes the
    database's write lock until the commit, and its WHERE makes a sender that waited for it
    find the message already sent. ``skip``: ids not to claim again in this run."""
    while True:
        message = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
                OutboxMessage.failed_at.is_(None),
                OutboxMessage.id.not_in(skip),
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
    session: Session,
    mailer: Mailer,
    settings: Settings,
    now: datetime | None = None,
    batch: int = 50,
) -> SendReport:
    """Send up to ``batch`` due messages, committing after each one.

    A worker, not a use case: unlike other services it commits, because each message's
    outcome must be kept as soon as the SMTP server has answered.
    """
    now = now or utcnow()
    report = SendReport()
    # Messages that failed in this run are not claimed again in it, even when recording
    # their failure failed too: the run goes on to the others and ends.
    tried: set[int] = set()
    for _ in range(batch):
        message = _claim(session, now, tried)
        if message is None:
            break
        # Read now: a failed flush expires the row, which then cannot be loaded again.
        claimed = Claimed(message.id, message.key.partition(":")[0], message.attempts)
        tried.add(claimed.id)
        try:
            prepare(session, settings, message)
            session.flush()  # a body the database cannot store fails here, before sending
            mailer.send(message)
        # Whatever goes wrong with one message must not stop the others.
        except Exception as error:
            failure = _record_failure(session, claimed, error, now)
            report.failures.append(failure)
            log.warning("e-mail %s", failure)
            continue
        message.sent_at = now
        message.last_error = None
        session.commit()
        report.sent += 1
    session.commit()  # end the read transaction of the last, empty claim
    return report


@dataclass(frozen=True)
class Claimed:
    id: int
    purpose: str
    attempts: int  # counting this try


def _record_failure(session: Session, claimed: Claimed, error: Exception, now: datetime) -> Failure:
    """Roll back the failed work (it may have broken the transaction), then count the try
    and keep the error in a transaction of its own. The try is counted on the stored
    count, so a sender that tried the message meanwhile is counted too; a message sent
    meanwhile is left as it is."""
    error_text = describe(error)
    session.rollback()
    attempts = OutboxMessage.attempts + 1
    failure = partial(Failure, claimed.id, claimed.purpose, error=error_text)
    try:
        counted = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == claimed.id, OutboxMessage.sent_at.is_(None))
            .values(
                attempts=attempts,
                last_error=error_text,
                next_attempt_at=now + retry_delay(claimed.attempts),
                failed_at=case((attempts >= MAX_ATTEMPTS, now), else_=None),
            )
            .returning(OutboxMessage.attempts, OutboxMessage.failed_at)
            .execution_options(synchronize_session=False)
        ).first()
        session.commit()
    except Exception:
        session.rollback()
        log.exception("e-mail %s: recording its failure failed", claimed.id)
        return failure(attempts=claimed.attempts, given_up=False, recorded=False)
    if counted is None:  # sent by another sender meanwhile
        return failure(attempts=claimed.attempts, given_up=False)
    return failure(attempts=counted.attempts, given_up=counted.failed_at is not None)


def failed_messages(session: Session) -> Select:
    """Messages marked failed and not sent, most recent failure first."""
    return (
        select(OutboxMessage)
        .where(OutboxMessage.failed_at.is_not(None), OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
    )


def count_failed(session: Session) -> int:
    return session.scalar(failed_messages(session).with_only_columns(func.count()).order_by(None))


def send_again(session: Session, message_id: int, *, actor: Actor) -> bool:
    """Put a failed message back in the queue, due now with a fresh count of tries, and
    audit it. False when it is not failed (a double click, or another staff member, was
    first): the conditional UPDATE lets only one of them through."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.failed_at is None or message.sent_at is not None:
        return False
    before = {"attempts": message.attempts, "last_error": message.last_error}
    requeued = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.failed_at.is_not(None),
            OutboxMessage.sent_at.is_(None),
        )
        .values(attempts=0, failed_at=None, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not requeued:
        return False
    record_change(
        session,
        actor=actor,
        action="outbox.send_again",
        entity_type=OutboxMessage.__tablename__,
        entity_id=message_id,
        before=before,
        after={"attempts": 0},
    )
    session.flush()
    return True


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message for an outbox row: text, optional HTML alternative and attachment,
    and the row's extra headers.

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
    for name, value in (message.headers or {}).items():
        email[name] = value
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
    """Used when ``MAIL_URL`` is unset: writes each message to the log (INFO on
    ``campaigns.mail``, shown as create_app configures logging), so development needs no
    mail server, and counts it as sent."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

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
                    send_pending(db.session, mailer, app.extensions["settings"])
                # Keep the thread alive through a database hiccup; the next round retries.
                except Exception:
                    log.exception("background e-mail sender")
            time.sleep(interval)

    thread = threading.Thread(target=run, name="outbox-sender", daemon=True)
    thread.start()
    return thread
