"""Receipt numbers: PREFIX-YEAR-SEQUENCE, the year the charity's own, the sequence without
gaps or repeats, even with many issuers at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from campaigns.extensions import db
from campaigns.models import Donation, Receipt, ReceiptCounter
from campaigns.services.books.receipts import issue_receipt, receipt_number
from tests.receipting import unreceipted_donation

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
