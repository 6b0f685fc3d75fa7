"""Model invariants: the donation state machine, tokens, totals rows, stock, UTC times."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from campaigns.extensions import db
from campaigns.models import Campaign, CampaignTotals, Donation, DonationOption, DonationStatus
from campaigns.services.giving.settlement import advance

S = DonationStatus
# DESIGN.md: pending -> paid -> partially_refunded -> refunded; pending -> failed | expired;
# paid -> disputed -> paid (won) | lost. Also allowed, because money really moves that way:
# a full refund straight from paid, a second partial refund, and a dispute opened on a
# partially refunded charge (won, it returns there).
ALLOWED = {
    (S.PENDING, S.PAID),
    (S.PENDING, S.FAILED),
    (S.PENDING, S.EXPIRED),
    (S.PAID, S.PARTIALLY_REFUNDED),
    (S.PAID, S.REFUNDED),
    (S.PAID, S.DISPUTED),
    (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED),
    (S.PARTIALLY_REFUNDED, S.REFUNDED),
    (S.PARTIALLY_REFUNDED, S.DISPUTED),
    # A refund that fails after succeeding gives the gift back what it took.
    (S.PARTIALLY_REFUNDED, S.PAID),
    (S.REFUNDED, S.PAID),
    (S.REFUNDED, S.PARTIALLY_REFUNDED),
    (S.DISPUTED, S.PAID),
    (S.DISPUTED, S.PARTIALLY_REFUNDED),
    (S.DISPUTED, S.LOST),
}
MATRIX = [(old, new) for old in S for new in S]


def donation(campaign: Campaign, **fields) -> Donation:
    defaults = {
        "campaign": campaign,
        "amount": 5000,
        "currency": campaign.currency,
        "donor_name": "Ayse Yilmaz",
        "donor_email": "ayse@example.org",
        "provider": "demo",
    }
    gift = Donation(**(defaults | fields))
    db.session.add(gift)
    return gift


@pytest.mark.parametrize(("old", "new"), MATRIX, ids=[f"{o}->{n}" for o, n in MATRIX])
def test_status_moves_only_along_allowed_edges(make_campaign, old, new):
    """Through ``advance``, the one way production changes a gift's status."""
    gift = donation(make_campaign(), status=old)
    db.session.commit()
    moved = advance(db.session, gift, new)
    db.session.commit()
    db.session.expire_all()
    assert moved is ((old, new) in ALLOWED)
    assert db.session.scalar(select(Donation.status)) == (new if moved else old)


def test_a_new_donation_is_pending_and_its_moves_are_stored(make_campaign):
    gift = donation(make_campaign())
    db.session.commit()
    assert gift.status == S.PENDING
    assert advance(db.session, gift, S.PAID)
    assert advance(db.session, gift, S.PARTIALLY_REFUNDED)
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(Donation.status)) == S.PARTIALLY_REFUNDED


def test_paying_stamps_paid_at_once(make_campaign):
    gift = donation(make_campaign())
    db.session.commit()
    assert gift.paid_at is None
    assert advance(db.session, gift, S.PAID)
    first = gift.paid_at
    assert first is not None
    assert advance(db.session, gift, S.DISPUTED)
    assert advance(db.session, gift, S.PAID)
    assert gift.paid_at == first


def test_tokens_are_long_unique_and_not_the_row_id(make_campaign):
    campaign = make_campaign()
    gifts = [donation(campaign, donor_email=f"d{i}@example.org") for i in range(200)]
    db.session.commit()
    tokens = {g.token for g in gifts}
    assert len(tokens) == len(gifts)
    for gift in gifts:
        raw = base64.urlsafe_b64decode(gift.token + "=" * (-len(gift.token) % 4))
        assert len(raw) * 8 >= 128
        assert str(gift.id) not in gift.token.split("-")
        assert gift.token != str(gift.id)


def test_every_campaign_gets_a_totals_row(make_campaign):
    campaign = make_campaign()
    assert db.session.get(CampaignTotals, campaign.id) is not None
    assert campaign.totals.raised == 0
    assert (campaign.totals.donations, campaign.totals.donors) == (0, 0)
    explicit = Campaign(slug="wells", title="Wells", currency="USD", goal_amount=100, totals=None)
    db.session.add(explicit)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CampaignTotals)) == 2


@pytest.mark.parametrize(
    ("stock", "reserved", "left", "sold_out"),
    [
        (None, 0, None, False),
        (None, 12, None, False),
        (70, 0, 70, False),
        (70, 69, 1, False),
        (70, 70, 0, True),
        (0, 0, 0, True),
    ],
)
def test_stock_left_and_sold_out(make_campaign, make_option, stock, reserved, left, sold_out):
    option = make_option(make_campaign(), stock=stock, reserved=reserved)
    assert option.stock_left == left
    assert option.sold_out is sold_out


def test_unsaved_option_knows_its_stock():
    option = DonationOption(label="1/7 share of a cow", unit_price=4000_00, stock=70)
    assert option.stock_left == 70
    assert option.sold_out is False


@pytest.mark.parametrize(
    ("raised", "goal", "percent"),
    [(0, 1000, 0), (999, 1000, 99), (1000, 1000, 100), (2500, 1000, 250), (500, 0, 0)],
)
def test_totals_percent_may_pass_100(raised, goal, percent):
    assert CampaignTotals(raised=raised).percent(goal) == percent


def test_fresh_totals_are_zero_before_any_flush():
    assert CampaignTotals().percent(1000) == 0


def test_datetimes_come_back_aware_utc(make_campaign):
    istanbul = timezone(timedelta(hours=3))
    campaign = make_campaign()
    campaign.created_at = datetime(2026, 3, 1, 12, 30, tzinfo=istanbul)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Campaign, campaign.id).created_at
    assert stored == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)
    assert stored.tzinfo is UTC


def test_naive_datetimes_are_refused(make_campaign):
    campaign = make_campaign()
    campaign.created_at = datetime(2026, 3, 1, 12, 30)
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Campaign, campaign.id).created_at.tzinfo is UTC
