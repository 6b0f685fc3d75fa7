"""The dashboard: where every campaign stands, with a chart of its last 30 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import render_template
from flask_babel import format_date

from campaigns.extensions import db
from campaigns.filters import local_today, money
from campaigns.services.books.dashboard import dashboard as dashboard_figures
from campaigns.services.giving.bank import bank_figures
from campaigns.services.mail.outbox import count_failed
from campaigns.staff import bp, staff_timezone

# The chart's drawing area in SVG user units; CSS scales the whole picture to fit.
WIDTH, HEIGHT = 600, 160
LEFT, BOTTOM, TOP = 90, 24, 10
# Room between the labels and the chart's edges: a glyph's ink may reach past its advance
# (an Arabic letter's tail, an italic-ish digit), and the SVG would clip it.
PAD = 4


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # "12 Mar: ₺1,250.00", read out by screen readers and shown on hover


@dataclass(frozen=True)
class BarChart:
    """Geometry of one campaign's daily bars, drawn by staff/_chart.html."""

    bars: list[Bar]
    baseline: float  # y of the zero line
    top_label: str  # the largest daily amount, at the top of the y axis
    bottom_label: str  # zero, or the largest net refund when a day went below zero
    first_day: str
    last_day: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    label_right: int = WIDTH - PAD  # where the last day's label ends
    plot_bottom: int = HEIGHT - BOTTOM


def bar_chart(daily: list[tuple[date, int]], currency: str) -> BarChart:
    """Bars from a zero line: up for money in, down for a day refunds outweighed gifts."""
    high = max((amount for _, amount in daily), default=0)
    low = min((amount for _, amount in daily), default=0)
    top, bottom = max(high, 0), min(low, 0)
    span = (top - bottom) or 1
    plot_height = HEIGHT - BOTTOM - TOP
    baseline = TOP + plot_height * top / span
    slot = (WIDTH - LEFT) / max(len(daily), 1)
    bars = []
    for n, (day, amount) in enumerate(daily):
        height = plot_height * abs(amount) / span
        bars.append(
            Bar(
                x=round(LEFT + n * slot + slot * 0.1, 2),
                y=round(baseline - height if amount > 0 else baseline, 2),
                width=round(slot * 0.8, 2),
                height=round(height, 2),
                label=f"{format_date(day, 'medium')}: {money(amount, currency)}",
            )
        )
    return BarChart(
        bars=bars,
        baseline=round(baseline, 2),
        top_label=money(top, currency, whole=True),
        bottom_label=money(bottom, currency, whole=True),
        first_day=format_date(daily[0][0], "d MMM") if daily else "",
        last_day=format_date(daily[-1][0], "d MMM") if daily else "",
    )


@bp.get("/")
def dashboard():
    figures = dashboard_figures(db.session, datetime.now(UTC), local_today(), staff_timezone())
    charts = {f.campaign.id: bar_chart(f.daily, f.campaign.currency) for f in figures.campaigns}
    return render_template(
        "staff/dashboard.html",
        figures=figures,
        charts=charts,
        unsent_mail=count_failed(db.session),
        bank=bank_figures(db.session),
    )
