"""The bank-import scenario: lines per second to import one MT940 statement of N credit
lines (10,000 by default), half of them paying a pledge (reference code and exact
amount), half matching nothing (they wait for staff), as `flask bank import` does it:
parse, store each line once, match, pay (ledger entry, receipt number, thank-you queued),
one commit. Afterwards, the check that every pledge was paid once and nothing else moved.

Wire it into ``benchmarks.run.scenarios`` with ``bank_scenarios(bench)``; it needs only
``bench.dataset.database_url``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select

from benchmarks.dataset import bench_app
from benchmarks.scenario import Bench, Group, Measurement, Scenario
from campaigns.extensions import db
from campaigns.models import BankLine, Campaign, Donation, DonationStatus, LedgerEntry
from campaigns.models.bank import LineStatus
from campaigns.models.campaign import CampaignStatus
from campaigns.services.books.ledger import verify_totals
from campaigns.services.giving.bank import start_pledge
from campaigns.services.giving.bank_import import import_statement, parse_file
from campaigns.services.giving.donations import GiftForm, validate_gift
from campaigns.statements.codes import printed

LINES = 10_000
SLUG = "bank-bench"
ACCOUNT = "TR330006100519786457841326"
SETTINGS = {
    "BANK_ACCOUNTS": json.dumps(
        [{"bank": "Bench Bank", "holder": "Bench", "iban": ACCOUNT, "currency": "TRY"}]
    ),
    "BANK_TRANSFER_HOLD_DAYS": 30,
}


@dataclass(frozen=True)
class BankBatch:
    """The statement to import and the pledges half of its lines pay."""

    statement: bytes
    pledge_ids: list[int]
    lines: int


def bank_app(database_url: str) -> Flask:
    return bench_app(database_url, SETTINGS)


def _money(minor: int) -> str:
    return f"{minor // 100},{minor % 100:02d}"


def mt940(lines: list[tuple[int, str]], day: date) -> bytes:
    """A statement of credits (amount in kuruş, description), balances that add up."""
    stamp = day.strftime("%y%m%d")
    out = [":20:BENCH", f":25:{ACCOUNT}", ":28C:00001/001", f":60F:C{stamp}TRY0,00"]
    for n, (amount, description) in enumerate(lines):
        out.append(f":61:{stamp}{stamp[2:]}C{_money(amount)}NTRFNONREF//B{n:09d}")
        out.append(f":86:{description}")
    out.append(f":62F:C{stamp}TRY{_money(sum(a for a, _ in lines))}")
    return ("\r\n".join(out) + "\r\n-\r\n").encode()


def prepare(app: Flask, count: int = LINES, say=print) -> BankBatch:
    """A campaign, ``count // 2`` pledges made through the giving service, and the
    statement: one line paying each pledge, and as many paying nothing known."""
    settings = app.extensions["settings"]
    with app.app_context():
        campaign = Campaign(
            slug=SLUG,
            title="Bank transfer bench",
            summary="",
            story="",
            currency="TRY",
            goal_amount=10**12,
            status=CampaignStatus.ACTIVE,
        )
        db.session.add(campaign)
        db.session.commit()
        pledges: list[tuple[int, str, int]] = []
        for n in range(count // 2):
            form = GiftForm(
                amount=str(50 + n % 900), name=f"Bank Donor {n}", email=f"bank{n}@example.org"
            )
            gift = validate_gift(db.session, campaign, form, locale="en", today=date.today())
            pledge = start_pledge(db.session, settings, campaign, gift)
            pledges.append((pledge.id, pledge.transfer_code or "", pledge.amount))
            if (n + 1) % 200 == 0:  # the data, not the measure: commits in batches
                db.session.commit()
            if (n + 1) % 1000 == 0:
                say(f"  {n + 1:,} of {count // 2:,} pledges made")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    lines = []
    for n, (_id, code, amount) in enumerate(pledges):
        lines.append((amount, f"BAGIS {printed(code)} DONOR {n}"))
        lines.append((amount, f"HAVALE KIRA IADESI {n}"))
    day = date.today() - timedelta(days=1)
    return BankBatch(mt940(lines, day), [p[0] for p in pledges], len(lines))


def import_once(app: Flask, batch: BankBatch) -> float:
    """Import the statement as the command does (one transaction); seconds it took."""
    with app.app_context():
        started = time.perf_counter()
        statement = parse_file(db.session, batch.statement)
        import_statement(
            db.session,
            app.extensions["settings"],
            statement,
            file_name="bench.sta",
            actor=None,
            today=date.today(),
        )
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return seconds


def import_problems(app: Flask, batch: BankBatch) -> list[str]:
    """What is wrong after the import: every pledge paid once, every other line waiting,
    one ledger entry per pledge, totals equal to the ledger."""
    half = len(batch.pledge_ids)
    with app.app_context():
        paid = db.session.scalar(
            select(func.count()).where(
                Donation.id.in_(batch.pledge_ids), Donation.status == DonationStatus.PAID
            )
        )
        waiting = db.session.scalar(
            select(func.count()).where(BankLine.status == LineStatus.WAITING)
        )
        entries = db.session.scalar(
            select(func.count(LedgerEntry.id)).where(LedgerEntry.reference.like("bank:%"))
        )
        drift = verify_totals(db.session)
        db.session.remove()
        db.engine.dispose()
    problems = []
    if paid != half:
        problems.append(f"{paid} of {half} pledges paid")
    if waiting != batch.lines - half:
        problems.append(f"{waiting} lines waiting, not {batch.lines - half}")
    if entries != half:
        problems.append(f"{entries} ledger entries for {half} pledges")
    problems += [f"drift {d.slug} {d.field}" for d in drift]
    return problems


def group(bench: Bench) -> Group:
    """The bank import group for ``benchmarks.run``: measured once (it changes the data)."""
    lines = bench.bank_lines
    app = bank_app(bench.dataset.database_url)
    bench.say(f"Making {lines // 2:,} bank-transfer pledges ...")
    batch = prepare(app, lines, say=bench.say)

    def measure(_seconds: float) -> Measurement:
        seconds = import_once(app, batch)
        scenario.detail |= {"seconds": round(seconds, 1), "lines": batch.lines}
        scenario.notes.append(
            f"{scenario.label}: {batch.lines:,} lines ({len(batch.pledge_ids):,} paying a "
            f"pledge) in {seconds:.1f} s, one transaction"
        )
        scenario.checks[f"bank import: {len(batch.pledge_ids):,} pledges paid once"] = (
            import_problems(app, batch)
        )
        return Measurement(batch.lines / seconds)

    scenario = Scenario(
        "bank_import",
        f"bank statement import, {lines:,} lines",
        "lines/s",
        measure,
        {"lines": lines},
        once=True,
    )
    return Group([scenario])
