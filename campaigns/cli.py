"""The `flask` commands: ``totals verify``, ``demo load``, ``stripe reconcile``,
``outbox send``, ``staff create``, ``staff reset-2fa``, ``bank import`` and ``bank expire``
(README's commands table). Each is an edge like a view: it calls the services and commits;
when it cannot do its work it says why in one line and exits 1."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from campaigns import app_settings
from campaigns.extensions import db

totals_cli = AppGroup("totals", help="Campaign totals kept beside the ledger.")
demo_cli = AppGroup("demo", help="Demo campaigns, reports and donations.")
stripe_cli = AppGroup("stripe", help="Payments with Stripe.")
staff_cli = AppGroup("staff", help="Staff accounts.")
outbox_cli = AppGroup("outbox", help="E-mail waiting to be sent.")
bank_cli = AppGroup("bank", help="Bank transfers: statements and pledges.")


@totals_cli.command("verify")
def verify_command() -> None:
    """Recompute every campaign's totals from the ledger; exit 1 on any drift."""
    from campaigns.services.books.ledger import verify_totals

    drift = verify_totals(db.session)
    for d in drift:
        click.echo(f"DRIFT {d.slug}: {d.field} stored {d.stored}, ledger says {d.ledger}")
    if drift:
        raise SystemExit(1)
    click.echo("Totals match the ledger.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when any campaign exists.")
@click.option("--donations", default=300, show_default=True, help="Paid demo donations.")
def demo_load_command(if_empty: bool, donations: int) -> None:
    """Load the charity's four campaigns, their reports and paid demo donations."""
    from campaigns.demo import load_demo

    summary = load_demo(db.session, donations=donations, if_empty=if_empty)
    db.session.commit()
    click.echo(summary)


DURATION = re.compile(r"(\d{1,5})([mhd])")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    match = DURATION.fullmatch(text.strip())
    if not match:
        raise click.BadParameter("use a number and m, h or d, e.g. 72h")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


@stripe_cli.command("reconcile")
@click.option("--since", default="72h", show_default=True, help="How far back: 30m, 72h, 7d.")
def reconcile_command(since: str) -> None:
    """Fulfil or expire recent checkouts whose webhook never arrived, and release the stock
    of pending gifts past their expiry (asking the provider first); print each repair.
    Exits 1 with one line when the payment service cannot be asked."""
    from campaigns.payments import ProviderError
    from campaigns.services.giving.reconcile import reconcile_checkouts

    provider = current_app.extensions["payment_provider"]
    start = datetime.now(UTC) - parse_duration(since)
    repaired = 0
    try:
        for checkout_id, token, outcome in reconcile_checkouts(
            db.session, provider, app_settings(), start
        ):
            db.session.commit()
            repaired += 1
            click.echo(f"repaired {checkout_id} (donation {token}): {outcome}")
    except ProviderError as error:
        db.session.rollback()
        reason = " ".join(str(error).split())  # Stripe's words span several lines
        raise click.ClickException(
            f"the payment service did not answer ({reason}); {repaired} checkout(s) repaired."
        ) from error
    db.session.commit()
    click.echo(f"{repaired} checkout(s) repaired.")


@outbox_cli.command("send")
@click.option("--limit", default=1000, show_default=True, help="At most this many messages.")
def outbox_send_command(limit: int) -> None:
    """Send the e-mail that is due (SMTP at MAIL_URL, else the log); safe on several hosts.
    Prints a line per message that failed and exits 0; exits 1 only when it could not work
    at all (no database, a bad MAIL_URL)."""
    from sqlalchemy.exc import SQLAlchemyError

    from campaigns.services.mail.outbox import describe, mailer_from_config, send_pending

    try:
        mailer = mailer_from_config(current_app.config)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    try:
        report = send_pending(db.session, mailer, app_settings(), batch=limit)
    except SQLAlchemyError as error:
        raise click.ClickException(f"could not send e-mail: {describe(error)}") from error
    for failure in report.failures:
        click.echo(f"failed: {failure}")
    click.echo(
        f"{report.sent} sent, {report.failed} failed (retried later), {report.given_up} given up."
    )


@staff_cli.command("create")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(["admin", "editor", "viewer"]), default="viewer", show_default=True
)
@click.option("--name", default="", help="The person's name, shown to other staff.")
def staff_create_command(email: str, role: str, name: str) -> None:
    """Create a staff account. The password is asked for twice, hidden; when stdin is not
    a terminal (a script, a pipe) its first line is the password."""
    from campaigns.services import FormInvalid
    from campaigns.services.people.staff import NewStaffForm, add_staff_user

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    form = NewStaffForm(email=email, name=name, role=role, password=password)
    try:
        user = add_staff_user(db.session, None, form)
    except FormInvalid as invalid:
        raise click.ClickException(" ".join(invalid.errors.values())) from invalid
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}.")


@staff_cli.command("reset-2fa")
@click.argument("email")
def staff_reset_two_factor_command(email: str) -> None:
    """Turn off two-step sign-in for someone who lost their phone and recovery codes; ends
    their sessions and is audited. They sign in with their password and set it up again."""
    from campaigns.services.people.staff import user_by_email
    from campaigns.services.people.two_factor import TwoFactorError, disable

    user = user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"No staff account has the e-mail {email}.")
    try:
        disable(db.session, user, actor=None, action="staff.2fa_reset")
    except TwoFactorError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Two-step sign-in turned off for {user.email}.")


@bank_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def bank_import_command(file: str) -> None:
    """Import a bank statement (MT940, camt.053 XML, or a bank's CSV whose columns staff
    set): each new credit is matched to its pledge and paid, or waits for staff. A
    malformed file is refused whole (exit 1, the line and what is wrong); nothing is
    stored from it. Importing a file again changes nothing."""
    from pathlib import Path

    from campaigns.filters import local_today
    from campaigns.services.giving.bank_import import import_statement, parse_file
    from campaigns.statements import StatementError

    try:
        statement = parse_file(db.session, Path(file).read_bytes())
    except StatementError as error:
        raise click.ClickException(f"{Path(file).name}: {error}") from error
    report = import_statement(
        db.session,
        app_settings(),
        statement,
        file_name=Path(file).name,
        actor=None,
        today=local_today(),
    )
    db.session.commit()
    click.echo(
        f"{report.format}: {report.credits} credit(s), {report.new} new, "
        f"{report.matched} matched, {report.waiting} waiting for staff, "
        f"{report.known} imported before."
    )


@bank_cli.command("expire")
def bank_expire_command() -> None:
    """Expire the bank-transfer pledges past their hold: release their stock and tell
    each donor once. Safe to run often, and on several hosts."""
    from campaigns.services.giving.bank import expire_pledges

    expired = 0
    for code in expire_pledges(db.session, content_language=app_settings().content_language):
        db.session.commit()
        expired += 1
        click.echo(f"expired pledge {code}")
    db.session.commit()
    click.echo(f"{expired} pledge(s) expired.")


def register(app: Flask) -> None:
    app.cli.add_command(totals_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(stripe_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(bank_cli)
