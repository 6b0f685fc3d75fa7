"""Receipt numbers: PREFIX-YEAR-SEQUENCE, the year the charity's own, the sequence without
gaps or repeats, even with many issuers at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from campaigns.extensions import db
from campaigns.models import CampaignTotals, Donation, Receipt, ReceiptCounter
from campaigns.models.base import utcnow
from campaigns.services.books.ledger import verify_totals
from campaigns.services.books.receipts import issue_receipt, receipt_number
from campaigns.services.giving.refunds import post_refund
from campaigns.services.giving.settlement import Outcome, mark_paid
from tests.receipting import DONOR, paid_donation, unreceipted_donation
from tests.statements import statements_sent

NEW_YEAR_2026 = datetime(2026, 1, 1, 12, tzinfo=UTC)


def issue(app, donation: Donation) -> Receipt:
    receipt = issue_receipt(db.session, donation, app.extensions["settings"].receipts)
    db.session.commit()
    return receipt


def test_numbers_read_prefix_year_and_six_digits(app_ctx, make_campaign, configure):
    configure(RECEIPT_PREFIX="YRD")
    donation = unreceipted_donation(make_campaign(), paid_at=NEW_YEAR_2026)

    receipt = issue(app_ctx, donation)

    assert receipt.number == "YRD-2026-000001"
    assert (receipt.year, receipt.sequence) == (2026, 1)
    assert receipt_number("RCPT", 2026, 123) == "RCPT-2026-000123"
    assert receipt_number("RCPT", 2026, 1_234_567) == "RCPT-2026-1234567"


def test_the_sequence_outgrows_six_digits_the_same_way_on_every_database(app_ctx, make_campaign):
    """PostgreSQL writes the number in the statement that takes it, SQLite in Python: both
    write it as receipt_number does, past 999,999 receipts in a year too."""
    campaign = make_campaign()
    issue(app_ctx, unreceipted_donation(campaign, paid_at=NEW_YEAR_2026))
    # A busy year's millionth receipt, without issuing the 999,997 before it one by one.
    db.session.execute(update(ReceiptCounter).values(last=999_998))
    db.session.commit()

    numbers = [
        issue(app_ctx, unreceipted_donation(campaign, paid_at=NEW_YEAR_2026)).number
        for _ in range(2)
    ]

    assert numbers == ["RCPT-2026-999999", "RCPT-2026-1000000"]
    assert numbers == [receipt_number("RCPT", 2026, n) for n in (999_999, 1_000_000)]
    stored = db.session.scalars(select(Receipt.number).order_by(Receipt.id)).all()
    assert stored[-2:] == numbers


def test_the_year_is_the_charitys_local_year(app_ctx, make_campaign):
    campaign = make_campaign()
    # 22:30 UTC on New Year's Eve is already 01:30 on 1 January in Istanbul.
    new_years_eve = unreceipted_donation(
        campaign, paid_at=datetime(2025, 12, 31, 22, 30, tzinfo=UTC)
    )
    earlier = unreceipted_donation(campaign, paid_at=datetime(2025, 12, 31, 20, 0, tzinfo=UTC))

    assert issue(app_ctx, new_years_eve).number == "RCPT-2026-000001"
    assert issue(app_ctx, earlier).number == "RCPT-2025-000001"


def test_each_year_counts_from_one(app_ctx, make_campaign):
    campaign = make_campaign()
    paid = [
        datetime(2025, 6, 1, tzinfo=UTC),
        datetime(2026, 6, 1, tzinfo=UTC),
        datetime(2025, 7, 1, tzinfo=UTC),
        datetime(2026, 7, 1, tzinfo=UTC),
        datetime(2026, 8, 1, tzinfo=UTC),
    ]

    numbers = [issue(app_ctx, unreceipted_donation(campaign, paid_at=at)).number for at in paid]

    assert numbers == [
        "RCPT-2025-000001",
        "RCPT-2026-000001",
        "RCPT-2025-000002",
        "RCPT-2026-000002",
        "RCPT-2026-000003",
    ]


def test_a_rolled_back_issue_leaves_no_gap(app_ctx, make_campaign, settings):
    campaign = make_campaign()
    first, dropped, third = (
        unreceipted_donation(campaign, paid_at=NEW_YEAR_2026) for _ in range(3)
    )
    issue(app_ctx, first)

    taken = issue_receipt(db.session, dropped, settings.receipts).number
    db.session.rollback()

    assert taken == "RCPT-2026-000002"
    assert issue(app_ctx, third).number == "RCPT-2026-000002"
    assert db.session.scalars(select(Receipt.donation_id).order_by(Receipt.sequence)).all() == [
        first.id,
        third.id,
    ]


@pytest.mark.postgres
def test_concurrent_issuers_never_repeat_or_skip_a_number(app, app_ctx, make_campaign, is_postgres):
    """Threads, each with its own app context and database session, start together and
    issue receipts as fast as they can; the numbers must come out exactly 1..N."""
    threads, each = (8, 10) if is_postgres else (4, 5)
    campaign = make_campaign()
    ids = [
        [unreceipted_donation(campaign, paid_at=NEW_YEAR_2026).id for _ in range(each)]
        for _ in range(threads)
    ]
    db.session.remove()  # the test's own session holds no connection meanwhile
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    def issuer(donation_ids: list[int]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                for donation_id in donation_ids:
                    issue(app, db.session.get(Donation, donation_id))
            except Exception as error:  # a thread's exception would be lost: keep it
                failures.append(error)

    workers = [threading.Thread(target=issuer, args=(chunk,)) for chunk in ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)

    assert failures == []
    assert not any(worker.is_alive() for worker in workers)
    receipts = db.session.scalars(select(Receipt).order_by(Receipt.sequence)).all()
    assert [r.sequence for r in receipts] == list(range(1, threads * each + 1))
    assert len({r.number for r in receipts}) == threads * each
    assert sorted(r.donation_id for r in receipts) == sorted(i for chunk in ids for i in chunk)


def _paying_statements(app, campaign, **fields) -> tuple[Donation, list[str]]:
    """A pending gift paid through ``settlement.mark_paid``, and the SQL it sent to write
    (what it reads depends on what the session holds)."""
    donation = Donation(campaign=campaign, amount=250_00, currency=campaign.currency, **DONOR)
    donation.fee_cover = fields.pop("fee_cover", 0)
    db.session.add(donation)
    db.session.commit()
    with statements_sent() as sent:
        outcome = mark_paid(
            db.session, app.extensions["settings"], donation, payment_id=f"pi_one_{donation.id}"
        )
    assert outcome == Outcome.PAID
    db.session.commit()
    return donation, [s for s in sent if not s.lstrip().startswith("SELECT")]


def test_a_payment_numbers_its_receipt_with_its_posting_on_postgresql(
    app_ctx, make_campaign, is_postgres
):
    """On PostgreSQL the gift's entry, the totals and the receipt's number are written by
    one statement (the hot rows held one round trip less); SQLite writes them in turn. The
    books and the numbers come out the same either way, with a fee cover too."""
    campaign = make_campaign()
    plain, plain_sql = _paying_statements(app_ctx, campaign)
    covered, covered_sql = _paying_statements(app_ctx, campaign, fee_cover=10_00)

    both = [s for s in plain_sql if "campaign_totals" in s and "receipt_counter" in s]
    assert len(both) == (1 if is_postgres else 0)
    if is_postgres:  # the status change with its thank-you, then the posting with the receipt
        assert len(plain_sql) == 2
    assert len(covered_sql) == len(plain_sql) + 1  # the cover's own entry first
    receipts = db.session.scalars(select(Receipt).order_by(Receipt.sequence)).all()
    assert [(r.donation_id, r.number, r.amount) for r in receipts] == [
        (plain.id, f"RCPT-{receipts[0].year}-000001", 250_00),
        (covered.id, f"RCPT-{receipts[0].year}-000002", 250_00),
    ]
    totals = db.session.get(CampaignTotals, campaign.id)
    assert (totals.raised, totals.donations) == (250_00 + 240_00, 2)
    assert verify_totals(db.session) == []


@pytest.mark.postgres
def test_payers_refunds_and_office_receipts_at_once_number_without_gaps_or_deadlock(
    app, make_campaign
):
    """Payments (entry, totals and number in one statement), refunds that replace a
    receipt (totals, then the number) and receipts issued on their own, all at once on
    one campaign and year: every transaction takes the totals before the counter, so none
    deadlocks, and the numbers are 1..N."""
    with app.app_context():
        campaign = make_campaign()
        campaign_id = campaign.id
        to_refund = [paid_donation(campaign, amount=300_00).id for _ in range(6)]
        office = [unreceipted_donation(campaign, paid_at=utcnow()).id for _ in range(12)]
        pending = []
        for n in range(24):
            gift = Donation(campaign=campaign, amount=100_00 + n, currency="TRY", **DONOR)
            gift.fee_cover = n % 3
            db.session.add(gift)
            db.session.flush()
            pending.append(gift.id)
        db.session.commit()
        db.session.remove()
    settings = app.extensions["settings"]
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def payer(ids: list[int]) -> None:
        for donation_id in ids:
            donation = db.session.get(Donation, donation_id)
            assert mark_paid(db.session, settings, donation, payment_id=f"pi_{donation_id}") == (
                Outcome.PAID
            )
            db.session.commit()

    def refunder(ids: list[int]) -> None:
        for donation_id in ids:
            donation = db.session.get(Donation, donation_id)
            assert post_refund(db.session, settings, donation, f"re_{donation_id}", 100_00)
            db.session.commit()

    def office_issuer(ids: list[int]) -> None:
        for donation_id in ids:
            issue(app, db.session.get(Donation, donation_id))

    def run(work, ids) -> None:
        try:
            with app.app_context():
                start.wait(timeout=30)
                work(ids)
                db.session.remove()
        except BaseException as error:  # a thread's exception would be lost: keep it
            errors.append(error)
            start.abort()

    jobs = [
        (payer, pending[0::2]),
        (payer, pending[1::2]),
        (refunder, to_refund),
        (office_issuer, office),
    ]
    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == []
    with app.app_context():
        sequences = db.session.scalars(select(Receipt.sequence).order_by(Receipt.sequence)).all()
        # 6 paid first, 24 payments, 12 office receipts and 6 replacements after refunds.
        assert sequences == list(range(1, 6 + 24 + 12 + 6 + 1))
        totals = db.session.get(CampaignTotals, campaign_id)
        gifts = sum(100_00 + n - n % 3 for n in range(24))
        # The office's gifts were paid without the ledger (numbering only): not counted.
        assert totals.raised == 6 * 300_00 + gifts - 6 * 100_00
        assert verify_totals(db.session) == []
