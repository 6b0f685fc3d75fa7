"""`flask` commands: demo data, totals verification (more arrive with later features)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from campaigns.extensions import db

totals_cli = AppGroup("totals", help="Campaign totals kept beside the ledger.")
demo_cli = AppGroup("demo", help="Demo campaigns, reports and donations.")


@totals_cli.command("verify")
def verify_command() -> None:
    """Recompute every campaign's totals from the ledger; exit 1 on any drift."""
    from campaigns.services.ledger import verify_totals

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
    from campaigns.services.demo import load_demo

    summary = load_demo(db.session, donations=donations, if_empty=if_empty)
    db.session.commit()
    click.echo(summary)


def register(app: Flask) -> None:
    app.cli.add_command(totals_cli)
    app.cli.add_command(demo_cli)
