"""The ledger: post_entry moves campaign totals with each entry, once per reference."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update

from campaigns.extensions import db
from campaigns.models import Campaign, CampaignTotals, LedgerEntry, LedgerKind
from campaigns.services.books.ledger import LedgerError, donor_key, post_entry, verify_totals


def totals_of(campaign: Campaign) -> tuple[int, int, int, int]:
    """(raised, units funded, donations, donors) as the database holds them now."""
    row = db.session.execute(
        select(
            CampaignTotals.raised,
            CampaignTotals.units_funded,
            CampaignTotals.donations,
            CampaignTotals.donors,
        ).where(CampaignTotals.campaign_id == campaign.id)
    ).one()
    return tuple(row)


def entry_count() -> int:
    return db.session.scalar(select(func.count(LedgerEntry.id)))


def pay(campaign: Campaign, reference: str, amount: int = 5000, **fields) -> LedgerEntry | None:
    fields.setdefault("donor_email", "ayse@example.org")
    return post_entry(
        db.session,
        campaign=campaign,
        kind=fields.pop("kind", LedgerKind.PAYMENT),
        amount=amount,
        currency=campaign.currency,
        reference=reference,
        **fields,
    )


def test_payment_moves_totals_in_the_same_transaction(make_campaign):
    campaign = make_campaign()
    entry = pay(campaign, "ch_1", 150000, units=3)
    # Not yet committed: the entry and the totals are seen together in this transaction.
    assert totals_of(campaign) == (150000, 3, 1, 1)
    assert campaign.totals.raised == 150000
    db.session.commit()
    assert entry.amount == 150000
    assert entry.kind == LedgerKind.PAYMENT
    assert entry.donor_key == donor_key("ayse@example.org")
    assert totals_of(campaign) == (150000, 3, 1, 1)


def test_offline_gift_counts_as_a_donation(make_campaign):
    campaign = make_campaign()
    pay(campaign, "offline-1", 20000, kind=LedgerKind.OFFLINE_GIFT, donor_email="m@example.org")
    db.session.commit()
    assert totals_of(campaign) == (20000, 0, 1, 1)


@pytest.mark.parametrize("kind", [LedgerKind.REFUND, LedgerKind.DISPUTE])
def test_refund_and_dispute_subtract_without_touching_counts(make_campaign, kind):
    campaign = make_campaign()
    pay(campaign, "ch_1", 10000, units=2)
    entry = pay(campaign, "re_1", 4000, units=1, kind=kind)
    db.session.commit()
    assert entry.amount == -4000
    assert entry.units == -1
    assert entry.donor_key is None
    assert totals_of(campaign) == (6000, 1, 1, 1)


def test_dispute_won_adds_back_without_a_new_donation(make_campaign):
    campaign = make_campaign()
    pay(campaign, "ch_1", 10000, units=1)
    pay(campaign, "dp_1", 10000, units=1, kind=LedgerKind.DISPUTE)
    pay(campaign, "dp_1:won", 10000, units=1, kind=LedgerKind.DISPUTE_WON)
    db.session.commit()
    assert totals_of(campaign) == (10000, 1, 1, 1)
    assert verify_totals(db.session) == []


def test_same_reference_twice_changes_nothing(make_campaign):
    campaign = make_campaign()
    assert pay(campaign, "ch_1", 10000) is not None
    db.session.commit()
    assert pay(campaign, "ch_1", 10000) is None
    assert pay(campaign, "ch_1", 99999, donor_email="other@example.org") is None
    db.session.commit()
    assert totals_of(campaign) == (10000, 0, 1, 1)
    assert entry_count() == 1


def test_repeat_donor_counts_once_whatever_the_case_and_spaces(make_campaign):
    campaign = make_campaign()
    pay(campaign, "ch_1", donor_email="Ayse@Example.org")
    pay(campaign, "ch_2", donor_email="  ayse@example.ORG ")
    pay(campaign, "ch_3", donor_email="ayse@example.org")
    pay(campaign, "ch_4", donor_email="omar@example.org")
    pay(campaign, "ch_5", donor_email=None)
    db.session.commit()
    raised, _units, donations, donors = totals_of(campaign)
    assert (raised, donations, donors) == (25000, 5, 2)
    assert verify_totals(db.session) == []


def test_same_donor_counts_once_per_campaign(make_campaign):
    food, wells = make_campaign("food-aid"), make_campaign("water-wells")
    pay(food, "ch_1")
    pay(wells, "ch_2")
    db.session.commit()
    assert totals_of(food)[3] == 1
    assert totals_of(wells)[3] == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"currency": "USD"}, "USD entry on a TRY campaign"),
        ({"amount": 0}, "amount must be positive"),
        ({"amount": -500}, "amount must be positive"),
        ({"units": -1}, "units not negative"),
        ({"amount": 50.5}, "whole minor units"),
        ({"reference": ""}, "reference"),
    ],
)
def test_bad_entries_raise_and_store_nothing(make_campaign, changes, message):
    campaign = make_campaign()
    arguments = {
        "campaign": campaign,
        "kind": LedgerKind.PAYMENT,
        "amount": 5000,
        "currency": "TRY",
        "reference": "ch_bad",
    } | changes
    with pytest.raises(LedgerError, match=message):
        post_entry(db.session, **arguments)
    db.session.commit()
    assert entry_count() == 0
    assert totals_of(campaign) == (0, 0, 0, 0)


def test_rolled_back_transaction_leaves_totals_untouched(make_campaign):
    campaign = make_campaign()
    pay(campaign, "ch_1", 10000)
    db.session.commit()
    pay(campaign, "ch_2", 7000, donor_email="new@example.org")
    db.session.rollback()
    assert totals_of(campaign) == (10000, 0, 1, 1)
    assert campaign.totals.raised == 10000
    assert entry_count() == 1
    # The rolled-back reference was never used, so it can be posted for real later.
    assert pay(campaign, "ch_2", 7000) is not None


def test_verify_finds_no_drift_after_many_posts(make_campaign):
    food, wells = make_campaign("food-aid"), make_campaign("water-wells", currency="USD")
    for i in range(60):
        campaign = food if i % 3 else wells
        pay(campaign, f"ch_{i}", 1000 + i, units=i % 4, donor_email=f"d{i % 9}@example.org")
        if i % 10 == 0:
            pay(campaign, f"re_{i}", 500, kind=LedgerKind.REFUND)
    db.session.commit()
    assert verify_totals(db.session) == []
    assert totals_of(food)[2] == 40
    assert totals_of(wells)[2] == 20


def tamper(campaign: Campaign, **values) -> None:
    """Change stored totals behind the ledger's back, as a stray SQL statement would."""
    db.session.execute(
        update(CampaignTotals).where(CampaignTotals.campaign_id == campaign.id).values(**values)
    )
    db.session.commit()


def test_verify_finds_drift_after_tampering(make_campaign):
    food, wells = make_campaign("food-aid"), make_campaign("water-wells")
    pay(food, "ch_1", 10000)
    pay(wells, "ch_2", 3000)
    db.session.commit()
    tamper(food, raised=10001, donors=5)
    drift = verify_totals(db.session)
    assert [(d.slug, d.field, d.stored, d.ledger) for d in drift] == [
        ("food-aid", "raised", 10001, 10000),
        ("food-aid", "donors", 5, 1),
    ]


def test_verify_sees_totals_on_a_campaign_without_entries(make_campaign):
    campaign = make_campaign()
    tamper(campaign, donations=2)
    assert [(d.slug, d.field) for d in verify_totals(db.session)] == [("food-aid", "donations")]


def test_totals_verify_command_reports_a_match(make_campaign, runner):
    campaign = make_campaign()
    pay(campaign, "ch_1", 10000)
    db.session.commit()
    result = runner.invoke(args=["totals", "verify"])
    assert result.exit_code == 0, result.output
    assert "Totals match the ledger." in result.output


def test_totals_verify_command_names_the_drifting_campaign(make_campaign, runner):
    campaign = make_campaign("qurban-2026")
    pay(campaign, "ch_1", 10000)
    db.session.commit()
    tamper(campaign, raised=1)
    result = runner.invoke(args=["totals", "verify"])
    assert result.exit_code != 0
    assert "DRIFT qurban-2026: raised stored 1, ledger says 10000" in result.output
    assert "match" not in result.output


@dataclass(frozen=True)
class Post:
    reference: str
    kind: LedgerKind
    amount: int
    units: int
    email: str | None


def thread_posts(thread: int, per_thread: int) -> list[Post]:
    """The entries one thread posts: payments from a small pool of donors, some refunds."""
    posts = []
    for i in range(per_thread):
        if i % 8 == 7:
            posts.append(Post(f"re_t{thread}_{i}", LedgerKind.REFUND, 300, 0, None))
        else:
            # The same donors reappear across threads, spelled differently.
            email = (
                f"Donor{(thread + i) % 11}@Example.org" if i % 2 else f"donor{i % 11}@example.org "
            )
            posts.append(
                Post(f"ch_t{thread}_{i}", LedgerKind.PAYMENT, 1000 + 7 * thread + i, 1, email)
            )
    return posts


def shared_posts(pair: int, count: int) -> list[Post]:
    """Entries that both threads of a pair post at the same moment (a webhook racing the
    thank-you page)."""
    return [
        Post(f"ch_shared_{pair}_{k}", LedgerKind.PAYMENT, 2500 + k, 2, f"shared{pair}@example.org")
        for k in range(count)
    ]


@pytest.mark.postgres
def test_concurrent_posts_lose_nothing_and_count_each_reference_once(
    app, make_campaign, is_postgres
):
    # SQLite serialises writers behind its busy timeout; fewer threads keep it quick.
    threads, per_thread, shared = (8, 25, 4) if is_postgres else (4, 25, 4)
    campaign_id = make_campaign(goal_amount=10_000_000).id
    db.session.remove()
    start = threading.Barrier(threads)
    pair_barriers = [threading.Barrier(2) for _ in range(threads // 2)]
    results: dict[str, list[bool]] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def post(post: Post, campaign: Campaign) -> None:
        entry = post_entry(
            db.session,
            campaign=campaign,
            kind=post.kind,
            amount=post.amount,
            currency="TRY",
            reference=post.reference,
            units=post.units,
            donor_email=post.email,
        )
        db.session.commit()
        with lock:
            results.setdefault(post.reference, []).append(entry is not None)

    def worker(thread: int) -> None:
        try:
            with app.app_context():
                campaign = db.session.get(Campaign, campaign_id)
                mine, ours = thread_posts(thread, per_thread), shared_posts(thread // 2, shared)
                start.wait()
                for i, item in enumerate(mine):
                    post(item, campaign)
                    if i < len(ours):
                        pair_barriers[thread // 2].wait()
                        post(ours[i], campaign)
        except BaseException as error:
            errors.append(error)
            start.abort()
            for barrier in pair_barriers:
                barrier.abort()

    workers = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers)
    assert errors == []

    distinct = {p.reference: p for t in range(threads) for p in thread_posts(t, per_thread)}
    distinct |= {p.reference: p for k in range(threads // 2) for p in shared_posts(k, shared)}
    # Every shared reference was posted twice and taken exactly once.
    assert len(results) == len(distinct)
    assert all(sorted(results[ref]) == [False, True] for ref in results if "shared" in ref)
    assert all(results[ref] == [True] for ref in results if "shared" not in ref)

    campaign = db.session.get(Campaign, campaign_id)
    gifts = [p for p in distinct.values() if p.kind == LedgerKind.PAYMENT]
    assert totals_of(campaign) == (
        sum(p.kind.sign * p.amount for p in distinct.values()),
        sum(p.units for p in distinct.values()),
        len(gifts),
        len({p.email.strip().lower() for p in gifts}),
    )
    assert entry_count() == len(distinct)
    assert db.session.scalar(select(func.count(func.distinct(LedgerEntry.reference)))) == len(
        distinct
    )
    assert verify_totals(db.session) == []
