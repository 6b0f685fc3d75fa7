"""Bank transfers in tests: the charity's accounts, pledges made through the donation
form with known reference codes, and statements imported as staff or the command do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import BankLine, CampaignTotals, Donation, LedgerEntry, OutboxMessage
from campaigns.services.giving.bank_import import import_statement, parse_file
from campaigns.statements import codes
from tests.giving import DONOR, csrf_token
from tests.payments_fixtures import isolated

SAMPLES = Path(__file__).parent / "bank_samples"
ACCOUNTS = [
    {
        "bank": "T.C. Ziraat Bankası",
        "holder": "Example Relief Association",
        "iban": "TR33 0006 1005 1978 6457 8413 26",
        "currency": "TRY",
    },
    {
        "bank": "Vakıfbank",
        "holder": "Example Relief Association",
        "iban": "TR96 0001 5000 1580 0730 8546 37",
        "currency": "TRY",
    },
]
# The codes the samples in bank_samples/ carry, handed out in this order.
CODES = ["7QKDM4X9", "HNR8T2WQ", "MZ3PQ9VT", "CX5KR7DK", "WF6TJ2BT", "YP4NG8KH"]


@pytest.fixture
def bank_accounts(configure):
    """BANK_ACCOUNTS set to two TRY accounts."""
    return configure(BANK_ACCOUNTS=json.dumps(ACCOUNTS))


@pytest.fixture
def known_codes(monkeypatch) -> list[str]:
    """Pledges draw the samples' codes, in order (the random draw, replaced)."""
    queue: Iterator[str] = iter(CODES)
    monkeypatch.setattr(codes, "new_code", lambda: next(queue))
    return CODES


@pytest.fixture
def pledge(client, bank_accounts, known_codes, make_campaign):
    """``pledge("1250.50", name=...)``: a donor chooses bank transfer on the form; the
    pledge (next of the known codes) is returned."""
    made: list = []

    def make(amount: str, *, slug: str = "earthquake", lang: str = "en", **fields) -> Donation:
        if slug not in made:
            make_campaign(slug)
        made.append(slug)
        data = {"csrf_token": csrf_token(client, slug)} | DONOR
        data |= {"amount": amount, "method": "bank_transfer", "option": ""}
        data |= {"email": f"donor{len(made)}@example.org"} | fields
        response = isolated(client.post, f"/campaigns/{slug}/donate?lang={lang}", data=data)
        assert response.status_code == 303, response.data[:2000]
        token = response.headers["Location"].rsplit("/", 2)[-2]
        db.session.expire_all()
        return db.session.scalar(select(Donation).where(Donation.token == token))

    return make


def sample(name: str) -> Path:
    return SAMPLES / name


def by_id(page, element_id: str):
    """The element of ``page`` (tests.markup) with that id."""
    return next(e for e in page.iter() if e.attrs.get("id") == element_id)


def import_file(runner, name: str):
    """``flask bank import`` on a sample; the command's result."""
    return runner.invoke(args=["bank", "import", str(sample(name))])


def counts() -> dict[str, int]:
    """What an import may add: lines, ledger entries, gifts, messages."""
    db.session.expire_all()
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (BankLine, LedgerEntry, Donation, OutboxMessage)
    }


def raised(campaign) -> int:
    db.session.expire_all()
    return db.session.get(CampaignTotals, campaign.id).raised


def waiting_bank_line(settings) -> int:
    """Import the camt.053 sample with no pledges (its credits wait for staff) and commit;
    the first line's id. For tests that need a real line id in a URL."""
    statement = parse_file(db.session, sample("camt053.xml").read_bytes())
    import_statement(
        db.session, settings, statement, file_name="x", actor=None, today=local_today()
    )
    db.session.commit()
    return db.session.scalar(select(BankLine.id).order_by(BankLine.id))
