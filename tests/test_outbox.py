"""The outbox: e-mail queued once per purpose, delivered over real SMTP exactly once, retried
with backoff when the server is down, never lost, safe with several senders at once."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import OutboxMessage
from campaigns.models.base import utcnow
from campaigns.services.mail.notifications import queue_message
from campaigns.services.mail.outbox import (
    MAX_ATTEMPTS,
    LogMailer,
    SmtpMailer,
    mailer_from_config,
    retry_delay,
    send_pending,
)
from tests.mail_fixtures import attachments_of, free_port, text_of

SENDER = "Example Relief <donations@example.org>"


def queue(key: str = "test:1", to: str = "ayse@example.org", **fields) -> OutboxMessage | None:
    values = {"subject": f"Subject {key}", "body_text": f"Body of {key}"} | fields
    message = queue_message(db.session, key=key, to=to, **values)
    db.session.commit()
    return message


def stored() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_key_is_queued_once(app_ctx):
    first = queue("thanks:abc", subject="First")
    second = queue("thanks:abc", subject="Second")

    assert first is not None and first.subject == "First"
    assert second is None
    assert [(m.key, m.subject, m.sent_at) for m in stored()] == [("thanks:abc", "First", None)]


def test_smtp_delivers_text_html_and_attachment(app_ctx, smtp_server, settings):
    queue(
        "thanks:pdf",
        subject="Thank you, Ayşe",
        body_text="Teşekkürler",
        body_html="<p>Teşekkürler</p>",
        attachment=b"%PDF-1.7 receipt",
        attachment_name="receipt-RCPT-2026-000001.pdf",
    )

    report = send_pending(db.session, SmtpMailer(smtp_server.url, SENDER), settings)

    assert (report.sent, report.failed) == (1, 0)
    [message] = smtp_server.messages
    assert message["To"] == "ayse@example.org"
    assert message["From"] == SENDER
    assert message["Subject"] == "Thank you, Ayşe"
    assert message["Message-ID"].endswith("@example.org>")
    assert text_of(message).strip() == "Teşekkürler"
    assert message.get_body(("html",)).get_content().strip() == "<p>Teşekkürler</p>"
    assert attachments_of(message) == [("receipt-RCPT-2026-000001.pdf", b"%PDF-1.7 receipt")]
    [row] = stored()
    assert row.sent_at is not None and row.attempts == 1 and row.last_error is None


def test_flask_outbox_send_delivers_once(app_ctx, runner, mail_url):
    queue("a:1")
    queue("a:2")

    first = runner.invoke(args=["outbox", "send"])
    second = runner.invoke(args=["outbox", "send"])

    assert first.exit_code == 0, first.output
    assert "2 sent, 0 failed" in first.output
    assert second.exit_code == 0
    assert "0 sent, 0 failed" in second.output
    assert sorted(m["Subject"] for m in mail_url.messages) == ["Subject a:1", "Subject a:2"]


def test_smtp_down_retries_later_with_backoff_and_loses_nothing(app_ctx, smtp_server, settings):
    queue("retry:1")
    down = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout=2)
    up = SmtpMailer(smtp_server.url, SENDER)
    now = utcnow()

    failed = send_pending(db.session, down, settings, now)
    [row] = stored()
    assert (failed.sent, failed.failed) == (0, 1)
    assert row.sent_at is None and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at == now + timedelta(minutes=1)

    # Not due yet: even a working server gets nothing.
    assert send_pending(db.session, up, settings, now + timedelta(seconds=59)).sent == 0
    send_pending(db.session, down, settings, now + timedelta(minutes=1))
    [row] = stored()
    assert row.attempts == 2
    assert row.next_attempt_at == now + timedelta(minutes=1) + timedelta(minutes=2)

    later = send_pending(db.session, up, settings, now + timedelta(minutes=3))
    [row] = stored()
    assert later.sent == 1 and row.sent_at is not None and row.attempts == 3
    assert [m["Subject"] for m in smtp_server.messages] == ["Subject retry:1"]


def test_backoff_doubles_up_to_four_hours():
    delays = [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)]

    assert delays[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(delays) == timedelta(hours=4)
    assert delays == sorted(delays)


def test_a_message_that_keeps_failing_stays_visible_unsent(app_ctx, settings):
    queue("hopeless:1")
    down = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout=2)
    now = utcnow()
    reports = []
    for _ in range(MAX_ATTEMPTS + 2):
        reports.append(send_pending(db.session, down, settings, now))
        now += timedelta(hours=5)

    assert sum(r.failed for r in reports) == MAX_ATTEMPTS - 1
    assert sum(r.given_up for r in reports) == 1
    [row] = stored()
    assert row.sent_at is None and row.attempts == MAX_ATTEMPTS
    assert "ConnectionRefusedError" in row.last_error


def test_one_failing_message_does_not_hold_up_the_others(app_ctx, smtp_server, settings):
    class RefusesOne(SmtpMailer):
        def send(self, message):
            if message.key == "bad:1":
                raise ValueError("refused by the test")
            super().send(message)

    queue("bad:1")
    queue("good:1")

    report = send_pending(db.session, RefusesOne(smtp_server.url, SENDER), settings)

    assert (report.sent, report.failed) == (1, 1)
    assert [m["Subject"] for m in smtp_server.messages] == ["Subject good:1"]
    assert [(m.key, m.sent_at is None, m.last_error) for m in stored()] == [
        ("bad:1", True, "ValueError: refused by the test"),
        ("good:1", False, None),
    ]


@pytest.mark.postgres
def test_concurrent_senders_deliver_each_message_exactly_once(app, app_ctx, smtp_server, settings):
    """Three senders at once, as on three hosts: FOR UPDATE SKIP LOCKED on PostgreSQL,
    the write lock on SQLite. Every message arrives, none twice."""
    keys = [f"bulk:{n}" for n in range(30)]
    for key in keys:
        queue(key)
    start = threading.Barrier(3)
    reports, errors = [], []

    def sender() -> None:
        try:
            with app.app_context():
                start.wait()
                reports.append(
                    send_pending(db.session, SmtpMailer(smtp_server.url, SENDER), settings)
                )
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sorted(m["Subject"] for m in smtp_server.messages) == sorted(
        f"Subject {k}" for k in keys
    )
    assert sum(r.sent for r in reports) == 30
    assert all(m.sent_at is not None and m.attempts == 1 for m in stored())


def test_without_mail_url_messages_go_to_the_log_and_count_as_sent(app_ctx, runner, caplog):
    assert isinstance(mailer_from_config(app_ctx.config), LogMailer)
    queue("log:1", subject="Your receipt", body_text="Thank you for your gift.")

    with caplog.at_level(logging.INFO, logger="campaigns.mail"):
        result = runner.invoke(args=["outbox", "send"])

    assert "1 sent" in result.output
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "To: ayse@example.org" in logged
    assert "Subject: Your receipt" in logged
    assert "Thank you for your gift." in logged
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
        == 0
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 25, False, False, None, None)),
        (
            "smtp://user%40x:p%2Fss@mail.example.org:587?starttls=1",
            ("mail.example.org", 587, False, True, "user@x", "p/ss"),
        ),
        ("smtps://mail.example.org", ("mail.example.org", 465, True, False, None, None)),
    ],
)
def test_mail_url_forms(url, expected):
    mailer = SmtpMailer(url, SENDER)

    assert (
        mailer.host,
        mailer.port,
        mailer.tls,
        mailer.starttls,
        mailer.username,
        mailer.password,
    ) == expected


def test_a_mail_url_that_is_not_smtp_is_refused():
    with pytest.raises(ValueError, match="MAIL_URL"):
        SmtpMailer("http://mail.example.org", SENDER)


@pytest.mark.parametrize("bodies", [{}, {"body_text": "Thanks", "template": "thanks"}])
def test_a_message_has_its_text_or_a_template_to_write_it_from(app_ctx, bodies):
    with pytest.raises(ValueError, match="either its text or a template"):
        queue_message(db.session, key="odd:1", to="ayse@example.org", subject="Hi", **bodies)
    assert stored() == []
