"""One bad message never stops the outbox: its failure is kept in a transaction of its own,
the sender goes on to the next, and after the last try staff see it and may send it again.

The bad messages are made as donors and faults make them: a Qurban gift whose on-behalf
name has a NUL byte (PostgreSQL cannot store its thank-you), and a mail server that refuses
one recipient (a real aiosmtpd server).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from campaigns import create_app
from campaigns.extensions import db
from campaigns.models import AuditEntry, OutboxMessage
from campaigns.models.base import utcnow
from campaigns.services.mail.outbox import MAX_ATTEMPTS, SmtpMailer, retry_delay, send_pending
from tests.giving import donate, form_token
from tests.mail_fixtures import Inbox, free_port
from tests.markup import parse
from tests.payments_fixtures import isolated

SENDER = "Example Relief <donations@example.org>"
DAYS_30 = timedelta(days=30)
REFUSED = "gone@example.org"


class PickyInbox(Inbox):
    """A mail server that has no mailbox for some addresses (550 at RCPT TO)."""

    refused: set[str]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def picky_mail(app, monkeypatch):
    """The app's MAIL_URL pointed at a real SMTP server that refuses ``REFUSED``."""
    from aiosmtpd.controller import Controller

    inbox = PickyInbox()
    inbox.refused = {REFUSED}
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}"
    monkeypatch.setitem(app.config, "MAIL_URL", inbox.url)
    yield inbox
    controller.stop()


def outbox() -> dict[str, OutboxMessage]:
    """Every message by its purpose and recipient: ``thanks:ayse@example.org``."""
    db.session.expire_all()
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return {f"{m.key.partition(':')[0]}:{m.to}": m for m in messages}


def send_all(runner) -> list[str]:
    """`flask outbox send` as cron runs it; the lines it prints (its log goes to stderr)."""
    result = isolated(runner.invoke, args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_a_name_with_a_nul_byte_is_refused_before_it_can_reach_the_mail(
    client, runner, picky_mail, make_campaign, make_option
):
    """The donor's way: the donation form. Before, on PostgreSQL, this gift's thank-you
    could not be stored and stopped every later e-mail; now the form refuses the name, and
    the gifts around it are thanked."""
    campaign = make_campaign("qurban", unit_label="shares")
    sheep = make_option(campaign, "One sheep", unit_price=8_500_00, needs_on_behalf=True)
    answers = []
    for email, name in [
        ("first@example.org", "Ali Yılmaz"),
        ("nul@example.org", "Ali\x00Veli"),
        ("last@example.org", "Zeynep Kaya"),
    ]:
        checkout = donate(
            client, "qurban", option=str(sheep.id), quantity="1", on_behalf=[name], email=email
        )
        answers.append(checkout.status_code)
        if checkout.status_code != 303:
            continue
        page = parse(isolated(client.get, checkout.headers["Location"]).data)
        pay = next(f for f in page.find_all("form") if f.attrs["action"].endswith("/pay"))
        isolated(client.post, pay.attrs["action"], data={"csrf_token": form_token(pay)})
    assert answers == [303, 422, 303]

    assert send_all(runner) == ["2 sent, 0 failed (retried later), 0 given up."]
    assert sorted(m["To"] for m in picky_mail.messages) == [
        "first@example.org",
        "last@example.org",
    ]


def test_a_refused_recipient_is_retried_later_and_the_rest_go_out(
    give, runner, picky_mail, settings
):
    give(email=REFUSED)
    give(email="ayse@example.org")
    give(email="mehmet@example.org")

    lines = send_all(runner)

    assert sorted(m["To"] for m in picky_mail.messages) == [
        "ayse@example.org",
        "mehmet@example.org",
    ]
    bad = outbox()[f"thanks:{REFUSED}"]
    assert (bad.sent_at, bad.attempts, bad.failed_at) == (None, 1, None)
    assert bad.last_error.startswith("SMTPRecipientsRefused: ")
    assert "No such mailbox here" in bad.last_error
    assert lines == [
        f"failed: message {bad.id} (thanks) try 1 of {MAX_ATTEMPTS}, retried later: "
        + bad.last_error,
        "2 sent, 1 failed (retried later), 0 given up.",
    ]
    assert send_all(runner)[-1] == "0 sent, 0 failed (retried later), 0 given up."  # not due

    again = send_pending(
        db.session, SmtpMailer(picky_mail.url, SENDER), settings, bad.next_attempt_at
    )

    assert (again.sent, again.failed) == (0, 1)
    assert outbox()[f"thanks:{REFUSED}"].attempts == 2


@pytest.fixture
def given_up(client, give, picky_mail, settings):
    """A donor's mailbox is gone after their gift: the sign-in link they ask for later is
    refused MAX_ATTEMPTS times, and is marked failed on the last."""
    picky_mail.refused.clear()
    give(email=REFUSED)
    send_pending(db.session, SmtpMailer(picky_mail.url, SENDER), settings)
    picky_mail.refused.add(REFUSED)
    page = isolated(client.get, "/donor")
    form = parse(page.data).find("form", "donor-sign-in")
    data = {"csrf_token": form_token(form), "email": REFUSED}
    assert isolated(client.post, "/donor", data=data).status_code == 303
    mailer, when = SmtpMailer(picky_mail.url, SENDER), utcnow()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = send_pending(db.session, mailer, settings, when)
        assert outbox()[f"donor-link:{REFUSED}"].attempts == attempt
        when += retry_delay(attempt)
    assert (report.failed, report.given_up) == (0, 1)
    return outbox()[f"donor-link:{REFUSED}"]


def test_after_the_last_try_a_message_is_marked_failed_and_left_alone(
    given_up, picky_mail, settings
):
    assert given_up.failed_at is not None and given_up.sent_at is None

    later = send_pending(
        db.session, SmtpMailer(picky_mail.url, SENDER), settings, utcnow() + DAYS_30
    )

    assert later.failures == [] and later.sent == 0
    assert outbox()[f"donor-link:{REFUSED}"].attempts == MAX_ATTEMPTS


def test_staff_see_failed_mail_on_the_dashboard_and_its_own_page(
    app, given_up, staff_login, picky_mail
):
    editor = staff_login(app.test_client(), "editor")
    admin = staff_login(app.test_client(), "admin")
    viewer = staff_login(app.test_client(), "viewer")

    dashboard = parse(editor.get("/staff/").data)
    count = dashboard.find("a", "stat-unsent-mail")
    assert (count.text, count.attrs["href"]) == ("1", "/staff/outbox")

    def row(staff):
        page = parse(staff.get("/staff/outbox").data)
        return next(e for e in page.iter() if e.attrs.get("id") == f"message-{given_up.id}")

    as_editor, as_admin, as_viewer = row(editor), row(admin), row(viewer)
    assert as_editor.find("td", "recipient").text == "g•••@example.org"
    assert as_viewer.find("td", "recipient").text == "g•••@example.org"
    assert as_admin.find("td", "recipient").text == REFUSED
    assert "Your link to your gifts and receipts" in as_editor.text
    assert "No such mailbox here" in as_editor.find("td", "error").text
    assert str(MAX_ATTEMPTS) in as_editor.text
    assert len(as_editor.find_all("form")) == 1
    assert as_viewer.find_all("form") == []  # viewers look; editors and admins act


def test_try_again_requeues_once_is_audited_and_the_mail_then_goes_out(
    app, given_up, staff_login, picky_mail, runner
):
    editor = staff_login(app.test_client(), "editor")
    url = f"/staff/outbox/{given_up.id}/send-again"

    first = editor.post(url)
    second = editor.post(url)  # a double click

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == "/staff/outbox"
    message = outbox()[f"donor-link:{REFUSED}"]
    assert (message.attempts, message.failed_at, message.sent_at) == (0, None, None)
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.send_again"))
    [entry] = audit.all()
    assert (entry.staff_user_id, entry.entity_id) == (editor.user_id, str(given_up.id))
    assert entry.before["attempts"] == MAX_ATTEMPTS and entry.after == {"attempts": 0}
    page = parse(editor.get("/staff/outbox").data)
    assert "Every message has been sent or is still being tried." in page.text
    assert "This message is no longer waiting to be sent again." in page.text

    picky_mail.refused.clear()  # the donor's mailbox is back
    assert send_all(runner) == ["1 sent, 0 failed (retried later), 0 given up."]
    assert [m["Subject"] for m in picky_mail.messages[-1:]] == [
        "Your link to your gifts and receipts"
    ]


def test_a_message_that_is_not_failed_cannot_be_sent_again(app, give, staff_login, picky_mail):
    give(email="ayse@example.org")
    pending = outbox()["thanks:ayse@example.org"]
    admin = staff_login(app.test_client(), "admin")

    response = admin.post(f"/staff/outbox/{pending.id}/send-again")
    missing = admin.post("/staff/outbox/999999/send-again")

    assert response.status_code == missing.status_code == 303
    assert outbox()["thanks:ayse@example.org"].next_attempt_at == pending.next_attempt_at
    audit = select(AuditEntry).where(AuditEntry.action == "outbox.send_again")
    assert db.session.scalars(audit).all() == []


def test_outbox_send_exits_non_zero_only_when_it_cannot_work(monkeypatch):
    """No database: one line and exit 1 (cron reports it), not a traceback."""
    monkeypatch.setenv("FLASK_CONFIG", "testing")
    closed = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    app = create_app({"SQLALCHEMY_DATABASE_URI": closed})

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    [line] = result.output.splitlines()
    assert line.startswith("Error: could not send e-mail: OperationalError: ")
