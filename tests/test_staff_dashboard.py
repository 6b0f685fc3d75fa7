"""The dashboard: exact figures for a known ledger, currencies kept apart, the SVG chart,
pending and failed counts, and drift between the totals and the ledger."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from campaigns.extensions import db
from campaigns.models import CampaignTotals, LedgerEntry, LedgerKind
from campaigns.services.books.dashboard import CHART_DAYS, Window, dashboard, day_starts
from campaigns.services.books.ledger import post_entry
from campaigns.staff.dashboard import HEIGHT, LEFT, bar_chart, round_step
from tests.markup import parse

ISTANBUL = ZoneInfo("Europe/Istanbul")
_references = itertools.count(1)


def move(campaign, kind: LedgerKind, amount: int, *, units=0, email=None, ago=timedelta()):
    """Post a ledger entry and date it ``ago`` before now (the ledger dates entries itself)."""
    entry = post_entry(
        db.session,
        campaign=campaign,
        kind=kind,
        amount=amount,
        currency=campaign.currency,
        reference=f"ref_dashboard_{next(_references)}",
        units=units,
        donor_email=email,
    )
    db.session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.id == entry.id)
        .values(created_at=datetime.now(UTC) - ago)
    )
    db.session.commit()


@pytest.fixture
def ledger(make_campaign):
    """Two TRY campaigns and one USD campaign with gifts over the last weeks."""
    food = make_campaign(
        "food-aid", title="Food Aid", currency="TRY", units_goal=500, unit_label="Food parcels"
    )
    iftar = make_campaign("iftar", title="Iftar", currency="TRY")
    wells = make_campaign("wells", title="Wells", currency="USD", goal_amount=10_000_00)
    gift, refund = LedgerKind.PAYMENT, LedgerKind.REFUND
    move(food, gift, 1500_00, units=1, email="a@example.org", ago=timedelta(minutes=5))
    move(food, refund, 200_00, ago=timedelta(minutes=1))
    move(food, gift, 3000_00, units=2, email="b@example.org", ago=timedelta(days=3))
    move(food, gift, 500_00, email="a@example.org", ago=timedelta(days=10))
    move(food, gift, 900_00, email="old@example.org", ago=timedelta(days=40))
    move(iftar, LedgerKind.OFFLINE_GIFT, 100_00, email="c@example.org", ago=timedelta(hours=2))
    move(wells, gift, 250_00, email="d@example.org", ago=timedelta(hours=30))
    return food, iftar, wells


def figures_now():
    now = datetime.now(UTC)
    return dashboard(db.session, now, now.astimezone(ISTANBUL).date(), ISTANBUL)


def test_campaign_figures_are_exact(ledger):
    board = figures_now()
    by_slug = {f.campaign.slug: f for f in board.campaigns}
    f = by_slug["food-aid"]
    totals = f.campaign.totals
    assert (totals.raised, totals.units_funded, totals.donations, totals.donors) == (
        5700_00,
        3,
        4,
        3,
    )
    assert f.last_24h == Window(amount=1300_00, gifts=1)
    assert type(f.last_24h.amount) is int  # not PostgreSQL's Decimal sum
    assert f.last_7d == Window(amount=4300_00, gifts=2)
    assert len(f.daily) == CHART_DAYS
    assert sorted(amount for _, amount in f.daily if amount) == [500_00, 1300_00, 3000_00]
    assert f.daily[-1] == (datetime.now(ISTANBUL).date(), 1300_00)
    assert by_slug["iftar"].last_24h == Window(amount=100_00, gifts=1)
    assert by_slug["wells"].last_24h == Window()
    assert by_slug["wells"].last_7d == Window(amount=250_00, gifts=1)
    assert board.drift == []


def test_totals_are_kept_per_currency_never_added_across(ledger):
    board = figures_now()
    rows = {c.currency: (c.raised, c.donations, c.last_24h, c.last_7d) for c in board.currencies}
    assert rows == {
        "TRY": (5800_00, 5, 1400_00, 4400_00),
        "USD": (250_00, 1, 0, 250_00),
    }


def test_the_page_shows_the_figures_in_each_currency(client, staff_login, ledger):
    food = ledger[0]
    page = parse(staff_login(client, "viewer").get("/staff/").data)
    [table] = page.find_all("table", "currency-totals")
    rows = [[cell.text for cell in tr.find_all("td")] for tr in table.find_all("tr")[1:]]
    assert rows == [
        ["₺5,800.00", "5", "₺1,400.00", "₺4,400.00", "₺0.00"],
        ["$250.00", "1", "$0.00", "$250.00", "$0.00"],
    ]
    [article] = [a for a in page.find_all("article") if a.attrs["id"] == f"campaign-{food.id}"]
    shown = {
        cls: article.find("dd", cls).text
        for cls in ("fig-raised", "fig-goal", "fig-units", "fig-donations", "fig-donors")
    }
    assert shown == {
        "fig-raised": "₺5,700.00",
        "fig-goal": "₺1,000,000.00 (0%)",
        "fig-units": "3 of 500",
        "fig-donations": "4",
        "fig-donors": "3",
    }
    assert article.find("dd", "fig-24h").text == "₺1,300.00 · 1 gift"
    assert article.find("dd", "fig-7d").text == "₺4,300.00 · 2 gifts"


def test_each_campaign_has_an_accessible_svg_chart_of_30_days(client, staff_login, ledger):
    food, _, _ = ledger
    response = staff_login(client, "viewer").get("/staff/")
    page = parse(response.data)
    [article] = [a for a in page.find_all("article") if a.attrs["id"] == f"campaign-{food.id}"]
    svg = article.find("svg")
    assert svg.attrs["role"] == "img"
    [title, desc] = [e for e in svg.children if getattr(e, "tag", "") in ("title", "desc")]
    assert svg.attrs["aria-labelledby"] == f"{title.attrs['id']} {desc.attrs['id']}"
    assert title.text == "Daily amounts for Food Aid, last 30 days"
    assert "the largest day was ₺3,000" in desc.text
    bars = svg.find_all("rect", "chart-bar")
    assert len(bars) == CHART_DAYS
    labelled = {bar.find("title").text.split(": ")[1]: bar for bar in bars}
    assert {"₺500.00", "₺1,300.00", "₺3,000.00", "₺0.00"} == set(labelled)
    # Heights in proportion: the largest day fills the plot.
    tallest = float(labelled["₺3,000.00"].attrs["height"])
    assert float(labelled["₺1,300.00"].attrs["height"]) == pytest.approx(tallest * 13 / 30, 0.01)
    # A scale of round amounts from zero to just above the largest day, days below it.
    ticks = [t.text for t in svg.find_all("text", "chart-tick")]
    assert ticks == ["₺0", "₺1,000", "₺2,000", "₺3,000"]
    days = [t.text for t in svg.find_all("text", "chart-day")]
    assert len(days) == 5  # a week apart, the last one today
    titles = [t.text for t in svg.find_all("text", "chart-axis-title")]
    assert titles == ["Day", "Net amount (TRY)"]
    assert "<script" not in response.data.decode()


def test_a_day_of_net_refunds_draws_below_the_zero_line(app_ctx):
    days = [date(2026, 3, 1), date(2026, 3, 2)]
    chart = bar_chart(list(zip(days, [300_00, -100_00], strict=True)), "USD")
    up, down = chart.bars
    assert up.y + up.height == pytest.approx(chart.baseline)
    assert down.y == pytest.approx(chart.baseline)
    assert up.height == pytest.approx(3 * down.height)
    assert [t.label for t in chart.amount_ticks] == ["-$100", "$0", "$100", "$200", "$300"]
    assert chart.amount_ticks[1].at == chart.baseline
    assert chart.baseline < HEIGHT


def test_long_amount_labels_widen_the_room_left_of_the_bars(app_ctx):
    days = [date(2026, 3, 1), date(2026, 3, 2)]
    small = bar_chart(list(zip(days, [300_00, 100_00], strict=True)), "USD")
    large = bar_chart(list(zip(days, [1_500_000_00, -250_000_00], strict=True)), "USD")
    assert small.left == LEFT
    assert "-$500,000" in [t.label for t in large.amount_ticks]
    assert large.left > LEFT
    assert large.bars[0].x > large.left
    assert large.day_ticks[0].at > large.left


@pytest.mark.parametrize(
    ("span", "step"),
    [(0, 100), (90_00, 50_00), (80_00, 20_00), (3000_00, 1000_00), (1_234_567_00, 500_000_00)],
)
def test_the_scale_steps_are_round(span, step):
    assert round_step(span, 100) == step


def test_days_start_at_local_midnight():
    starts = day_starts(date(2026, 3, 10), 2, ISTANBUL)
    assert starts == [
        datetime(2026, 3, 8, 21, tzinfo=UTC),
        datetime(2026, 3, 9, 21, tzinfo=UTC),
        datetime(2026, 3, 10, 21, tzinfo=UTC),
    ]


def test_pending_and_failed_donations_are_counted(
    client, staff_login, make_campaign, make_donation
):
    campaign = make_campaign("counted")
    for status in ("pending", "pending", "failed", "paid", "expired"):
        make_donation(campaign, status=status)
    page = parse(staff_login(client, "viewer").get("/staff/").data)
    assert page.find("a", "stat-pending").text == "2"
    assert page.find("a", "stat-pending").attrs["href"] == "/staff/donations?status=pending"
    assert page.find("a", "stat-failed").text == "1"


def test_drift_between_totals_and_ledger_is_reported(client, staff_login, ledger):
    food, _, _ = ledger
    db.session.execute(
        update(CampaignTotals)
        .where(CampaignTotals.campaign_id == food.id)
        .values(raised=CampaignTotals.raised + 1)
    )
    db.session.commit()
    page = parse(staff_login(client, "viewer").get("/staff/").data)
    alert = page.find("section", "staff-alert")
    assert alert.attrs["role"] == "alert"
    assert [li.text for li in alert.find_all("li")] == [
        "food-aid: raised stored 570001, ledger says 570000"
    ]


def test_no_drift_no_alert(client, staff_login, ledger):
    page = parse(staff_login(client, "viewer").get("/staff/").data)
    assert page.find_all("section", "staff-alert") == []
