"""The dashboard: where every campaign stands, with a chart of its last 30 days."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import render_template
from flask_babel import format_date

from campaigns.extensions import db
from campaigns.filters import local_today, money
from campaigns.money import currency
from campaigns.services.books.dashboard import dashboard as dashboard_figures
from campaigns.services.giving.bank import bank_figures
from campaigns.services.mail.outbox import count_failed
from campaigns.staff import bp, staff_timezone

# The chart's drawing area in SVG user units; CSS scales the whole picture to its width.
WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, BOTTOM, TOP = 100, 12, 44, 12
TICKS = 4  # about this many steps on the amount scale
# Room for the amount labels left of the plot: a generous width of one character of the
# 13px labels, and the rotated axis title with the gaps beside it; LEFT grows to fit.
CHAR_WIDTH, TITLE_ROOM = 8, 32
ISOLATES = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u2066\u2067\u2068\u2069"))
DAY_LABEL_EVERY = 7


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # "12 Mar: ₺1,250.00", read out by screen readers and shown on hover


@dataclass(frozen=True)
class Tick:
    """A mark on an axis: where, and its label (an amount, or a day)."""

    at: float
    label: str
    anchor: str = "middle"  # the day labels at both ends stay inside the picture


@dataclass(frozen=True)
class BarChart:
    """Geometry of one campaign's daily bars, drawn by staff/_chart.html."""

    bars: list[Bar]
    baseline: float  # y of the zero line
    amount_ticks: list[Tick]  # the scale, a round step apart, zero included
    day_ticks: list[Tick]
    top_label: str  # the largest daily amount
    first_day: str
    last_day: str
    currency: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM


def round_step(span: int, minimum: int) -> int:
    """A step of 1, 2 or 5 times a power of ten (at least ``minimum``) that cuts ``span``
    into about TICKS parts."""
    rough = max(span / TICKS, minimum, 1)
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def bar_chart(daily: list[tuple[date, int]], code: str) -> BarChart:
    """Bars from a zero line: up for money in, down for a day refunds outweighed gifts,
    on a scale of round amounts."""
    high = max((amount for _, amount in daily), default=0)
    low = min((amount for _, amount in daily), default=0)
    step = round_step(max(high, 0) - min(low, 0), 10 ** currency(code).exponent)
    top = max(math.ceil(max(high, 0) / step), 1) * step
    bottom = -math.ceil(-min(low, 0) / step) * step
    span = top - bottom
    plot_height = HEIGHT - BOTTOM - TOP

    def y_of(amount: int) -> float:
        return round(TOP + plot_height * (top - amount) / span, 2)

    baseline = y_of(0)
    amount_ticks = [
        Tick(y_of(amount), money(amount, code, whole=True))
        for amount in range(bottom, top + 1, step)
    ]
    longest = max(len(tick.label.translate(ISOLATES)) for tick in amount_ticks)
    left = max(LEFT, TITLE_ROOM + CHAR_WIDTH * longest)
    slot = (WIDTH - left - RIGHT) / max(len(daily), 1)
    bars = []
    for n, (day, amount) in enumerate(daily):
        height = plot_height * abs(amount) / span
        bars.append(
            Bar(
                x=round(left + n * slot + slot * 0.1, 2),
                y=round(baseline - height if amount > 0 else baseline, 2),
                width=round(slot * 0.8, 2),
                height=round(height, 2),
                label=f"{format_date(day, 'medium')}: {money(amount, code)}",
            )
        )
    last = len(daily) - 1
    day_ticks = [
        Tick(
            round(left + n * slot + slot / 2, 2),
            format_date(daily[n][0], "d MMM"),
            "start" if n == 0 else "end" if n == last else "middle",
        )
        for n in sorted({*range(0, last, DAY_LABEL_EVERY), last})
        if n == last or last - n >= 3  # no label crowding the last one
    ]
    return BarChart(
        bars=bars,
        baseline=baseline,
        amount_ticks=amount_ticks,
        day_ticks=day_ticks,
        top_label=money(max(high, 0), code, whole=True),
        first_day=format_date(daily[0][0], "d MMM") if daily else "",
        last_day=format_date(daily[-1][0], "d MMM") if daily else "",
        currency=code,
        left=left,
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
