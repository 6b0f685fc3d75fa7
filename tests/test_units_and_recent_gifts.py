"""Units counted by price and the recent gifts list, both kept with the totals by the
ledger: a gift of the donor's own amount counts whole units by the campaign's unit price
and carries the rest exactly to the next such gift, refunds and disputes included; the
last ten paid gifts show a first name or "Anonymous", never more."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from campaigns.extensions import db
from campaigns.filters import ago
from campaigns.models import Campaign, CampaignTotals, Donation, LedgerEntry, LedgerKind
from campaigns.public.page_cache import time_step
from campaigns.services.books.ledger import (
    RECENT_GIFTS,
    post_entry,
    recent_gifts,
    verify_totals,
)
from campaigns.services.giving.refunds import post_refund
from campaigns.services.giving.settlement import mark_paid
from tests.markup import parse
from tests.payments_fixtures import isolated

PRICE = 1_500_00  # one food parcel


@pytest.fixture
def parcels(make_campaign, make_option):
    campaign = make_campaign(
        "parcels",
        unit_label="food parcels",
        units_goal=100,
        unit_price=PRICE,
        goal_amount=150_000_00,
    )
    option = make_option(campaign, "Food parcel", unit_price=PRICE)
    return campaign, option


_payments = iter(range(1, 1_000_000))


def paid(settings, campaign, amount, *, option=None, quantity=1, name="Ayşe Yılmaz", **fields):
    """A gift through the form's path: pending, then paid as the provider confirms it."""
    donation = Donation(
        campaign=campaign,
        option=option,
        quantity=quantity,
        units=option.units * quantity if option else 0,
        amount=amount,
        currency=campaign.currency,
        donor_name=name,
        donor_email=fields.pop("email", "ayse@example.org"),
        provider="demo",
        **fields,
    )
    db.session.add(donation)
    db.session.flush()
    mark_paid(db.session, settings, donation, payment_id=f"pi_{next(_payments)}")
    db.session.commit()
    return donation


def totals(campaign) -> CampaignTotals:
    db.session.expire_all()
    return db.session.get(CampaignTotals, campaign.id)


def test_an_amount_counts_whole_units_and_carries_the_rest_to_the_next_gift(
    app_ctx, settings, parcels
):
    campaign, option = parcels
    paid(settings, campaign, 1_000_00)
    assert (totals(campaign).units_funded, totals(campaign).units_remainder) == (0, 1_000_00)
    paid(settings, campaign, 2_500_00)  # 1,000 carried + 2,500 = two parcels, 500 over
    assert (totals(campaign).units_funded, totals(campaign).units_remainder) == (2, 500_00)
    paid(settings, campaign, 3 * PRICE, option=option, quantity=3)  # listed: its own units
    assert (totals(campaign).units_funded, totals(campaign).units_remainder) == (5, 500_00)
    assert verify_totals(db.session) == []


def test_many_gifts_and_refunds_keep_money_and_units_exactly_in_step(app_ctx, settings, parcels):
    """Whatever the order of gifts, partial and full refunds, the amounts' units are their
    net money floor-divided by the price, and the remainder is the rest, to the kuruş."""
    campaign, option = parcels
    rng = random.Random(12)
    gifts = []
    for n in range(60):
        if rng.random() < 0.2:
            gifts.append(paid(settings, campaign, PRICE, option=option, email=f"d{n}@x.org"))
        else:
            amount = rng.randrange(1_00, 4_000_00)
            gifts.append(paid(settings, campaign, amount, email=f"d{n}@x.org"))
    for n, gift in enumerate(rng.sample(gifts, 25)):
        part = gift.amount if n % 2 else rng.randrange(1, gift.amount + 1)
        post_refund(db.session, settings, gift, f"re_{n}", part)
        db.session.commit()

    db.session.expire_all()
    kept = {
        "amounts": sum(
            g.amount - g.refunded_amount
            for g in db.session.scalars(select(Donation))
            if g.option_id is None
        ),
        "listed units": sum(
            g.units
            for g in db.session.scalars(select(Donation))
            if g.option_id is not None and g.refunded_amount < g.amount
        ),
    }
    t = totals(campaign)
    assert t.units_funded == kept["listed units"] + kept["amounts"] // PRICE
    assert t.units_remainder == kept["amounts"] % PRICE
    assert verify_totals(db.session) == []

    # Refund everything: nothing is left, not one unit or kuruş.
    for n, gift in enumerate(gifts):
        db.session.refresh(gift)
        if gift.refunded_amount < gift.amount:
            post_refund(db.session, settings, gift, f"re_all_{n}", gift.amount)
            db.session.commit()
    t = totals(campaign)
    assert (t.raised, t.units_funded, t.units_remainder) == (0, 0, 0)
    assert verify_totals(db.session) == []


def test_totals_verify_finds_units_and_remainder_that_drifted(app_ctx, settings, parcels):
    campaign, _option = parcels
    paid(settings, campaign, 2_000_00)
    # Corrupt the stored totals as a bug outside the ledger would.
    db.session.execute(
        update(CampaignTotals).values(units_remainder=CampaignTotals.units_remainder + 1)
    )
    db.session.commit()

    drift = verify_totals(db.session)

    assert [(d.field, d.stored, d.ledger) for d in drift] == [("units_remainder", 500_01, 500_00)]


def test_a_campaign_without_a_unit_price_counts_no_units_for_an_amount(
    app_ctx, settings, make_campaign
):
    campaign = make_campaign("fund", unit_label="food parcels")
    paid(settings, campaign, 9_000_00)
    t = totals(campaign)
    assert (t.units_funded, t.units_remainder, t.raised) == (0, 0, 9_000_00)


# --- recent gifts ------------------------------------------------------------------------


def test_recent_gifts_keep_the_last_ten_with_first_names_only(app_ctx, settings, parcels):
    campaign, option = parcels
    for n in range(12):
        paid(settings, campaign, 100_00 + n, name=f"Donor{n} Surname{n}", email=f"{n}@x.org")
    secret = paid(
        settings,
        campaign,
        PRICE * 2,
        option=option,
        quantity=2,
        name="Hidden Person",
        anonymous=True,
        dedication="In memory of my grandmother",
    )

    recent = recent_gifts(db.session, campaign)

    assert len(recent) == RECENT_GIFTS
    assert recent[0] | {"at": None} == {
        "donation": secret.id,
        "name": None,
        "units": 2,
        "amount": PRICE * 2,
        "at": None,
    }
    assert [g["name"] for g in recent[1:]] == [f"Donor{n}" for n in range(11, 2, -1)]
    assert "Surname" not in str(recent) and "Hidden" not in str(recent)


def test_a_refunded_gift_leaves_the_list(app_ctx, settings, parcels):
    campaign, _option = parcels
    kept = paid(settings, campaign, 100_00, name="Kept")
    gone = paid(settings, campaign, 200_00, name="Gone", email="gone@x.org")
    post_refund(db.session, settings, gone, "re_gone", 50_00)
    db.session.commit()

    assert [g["donation"] for g in recent_gifts(db.session, campaign)] == [kept.id]


def test_the_page_names_first_names_or_anonymous_and_nothing_private(client, settings, parcels):
    campaign, option = parcels
    paid(settings, campaign, 250_00, name="Ayşe Yılmaz", email="ayse@example.org")
    paid(
        settings,
        campaign,
        PRICE,
        option=option,
        name="Omar Haddad",
        email="omar@example.org",
        anonymous=True,
        dedication="For my mother",
    )

    pages = {
        lang: isolated(client.get, f"/campaigns/parcels?lang={lang}").text
        for lang in ("en", "tr", "ar")
    }

    items = parse(pages["en"].encode()).find("section", "recent-gifts").find_all("li")
    assert [i.find("span", "recent-name").text for i in items] == ["Anonymous donor", "Ayşe"]
    assert [i.find("span", "recent-what").text for i in items] == ["1 food parcels", "₺250.00"]
    assert "İsimsiz bağışçı" in pages["tr"] and "فاعل خير" in pages["ar"]
    for page in pages.values():
        for private in ("Yılmaz", "Omar", "Haddad", "example.org", "For my mother"):
            assert private not in page
    for path in ("/", "/api/v1/campaigns", "/api/v1/campaigns/parcels"):
        assert "Omar" not in isolated(client.get, path).text


def test_staff_can_hide_the_amounts(client, settings, parcels):
    campaign, option = parcels
    paid(settings, campaign, 250_00, name="Ayşe Yılmaz")
    paid(settings, campaign, PRICE, option=option, name="Ali Kaya", email="ali@x.org")
    campaign.hide_gift_amounts = True  # as the staff form's checkbox does
    db.session.commit()

    section = parse(isolated(client.get, "/campaigns/parcels").data).find("section", "recent-gifts")

    assert [i.find("span", "recent-name").text for i in section.find_all("li")] == ["Ali", "Ayşe"]
    assert section.find_all("span", "recent-what") == []
    assert "₺" not in section.text


def test_how_long_ago_in_words_and_the_cache_step_that_keeps_them_true():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert ago(now - timedelta(seconds=20), now) == "just now"
    assert ago((now - timedelta(minutes=5)).isoformat(), now) == "5 minutes ago"
    assert ago(now - timedelta(hours=3), now) == "3 hours ago"
    # A page whose newest gift is minutes old is kept for a minute, hours old for an hour.
    fresh = now - timedelta(minutes=5)
    assert time_step(fresh, now) != time_step(fresh, now + timedelta(minutes=1))
    older = now - timedelta(hours=3)
    assert time_step(older, now) == time_step(older, now + timedelta(seconds=59))
    assert time_step(older, now) != time_step(older, now + timedelta(hours=1))
    assert time_step(now - timedelta(days=3), now) == 0


def test_ledger_entries_record_what_they_carried(app_ctx, settings, parcels):
    campaign, _option = parcels
    paid(settings, campaign, 2_000_00)
    entry = db.session.scalars(select(LedgerEntry)).one()
    assert (entry.kind, entry.units, entry.carried) == (LedgerKind.PAYMENT, 1, 500_00)
    # A post without a gift (a test helper's) moves no remainder and lists nothing.
    post_entry(
        db.session,
        campaign=campaign,
        kind=LedgerKind.PAYMENT,
        amount=100_00,
        currency="TRY",
        reference="ch_plain",
    )
    db.session.commit()
    assert totals(campaign).units_remainder == 500_00


def test_a_lowered_price_counts_the_money_carried_at_the_new_price(app_ctx, settings, parcels):
    """Staff may change the price while money is carried: the next gift counts the carried
    money and its own at the new price (as many units as they make, the rest carried)."""
    campaign, _option = parcels
    paid(settings, campaign, 1_400_00)  # carried: 1,400 of a 1,500 parcel
    campaign.unit_price = 300_00
    db.session.commit()

    paid(settings, campaign, 250_00)  # 1,650 at 300: five parcels, 150 carried

    t = totals(campaign)
    assert (t.units_funded, t.units_remainder) == (5, 150_00)
    assert verify_totals(db.session) == []


@pytest.mark.postgres
def test_gifts_counted_by_price_at_once_lose_no_unit_or_kurus(app, settings, parcels):
    """Eight payers at once on one campaign, each gift counted by price: the totals row
    takes them in turn, so the units and the remainder are exactly the money's."""
    campaign, _option = parcels
    campaign_id = campaign.id
    db.session.commit()
    db.session.remove()
    rng = random.Random(8)
    amounts = [[rng.randrange(1_00, 4_000_00) for _ in range(12)] for _ in range(8)]
    start = threading.Barrier(len(amounts))
    errors: list[BaseException] = []

    def payer(mine: list[int], number: int) -> None:
        try:
            with app.app_context():
                campaign = db.session.get(Campaign, campaign_id)
                start.wait()
                for k, amount in enumerate(mine):
                    paid(settings, campaign, amount, email=f"p{number}-{k}@x.org")
                db.session.remove()
        except BaseException as error:
            errors.append(error)
            start.abort()

    threads = [threading.Thread(target=payer, args=(mine, n)) for n, mine in enumerate(amounts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = sum(map(sum, amounts))
    t = db.session.get(CampaignTotals, campaign_id)
    assert (t.raised, t.units_funded, t.units_remainder) == (total, total // PRICE, total % PRICE)
    assert verify_totals(db.session) == []


def test_recent_gifts_read_ten_rows_in_the_index_order_however_many_gifts(
    app_ctx, settings, parcels, is_postgres
):
    """The list is read in ix_donation_recent's own order: no sort of every paid gift, so
    a campaign of a million gifts draws its page as fast as a new one."""
    campaign, _option = parcels
    paid(settings, campaign, 100_00)
    query = (
        "SELECT id FROM donation WHERE campaign_id = :c AND status = 'paid' "
        "AND paid_at IS NOT NULL ORDER BY paid_at DESC, id DESC LIMIT 10"
    )
    explain = "EXPLAIN " if is_postgres else "EXPLAIN QUERY PLAN "
    if is_postgres:
        # A handful of rows may make any plan cheapest; forbidding a sort asks whether the
        # index alone can give the order (if it could not, the plan would still sort).
        db.session.execute(text("SET LOCAL enable_sort = off"))
    plan = " ".join(
        str(part)
        for row in db.session.execute(text(explain + query), {"c": campaign.id})
        for part in row
    )
    assert "ix_donation_recent" in plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan
    assert [g["donation"] for g in recent_gifts(db.session, campaign)] == [
        d for (d,) in db.session.execute(text(query), {"c": campaign.id})
    ]
