"""Receipts and statements: a receipt's first render over HTTP against bare WeasyPrint
rendering the same HTML, the stored receipt downloaded again, and a statement of 100 gifts.

The gifts are ``STATEMENT_GIFTS`` offline gifts (``record_offline_gift``, as staff type
them: paid, posted to the ledger, each with its receipt numbered but not yet rendered) of
one donor, on a campaign of their own. Each ``receipt_first`` measurement downloads
receipts never downloaded before, so each is a first render (WeasyPrint, fonts, stored);
``receipt_again`` downloads one of those again (the stored bytes). ``receipt_bare`` renders
the HTML the app renders for such a receipt with WeasyPrint alone (its own file fetcher
reading the same static files, no app, no database, no HTTP), in this process. The two
are measured together (``scenario.paired``): a first download, then a bare render, in
turn, so a slow second on this shared machine falls on both.
``statement`` renders the donor's statement of the 100 gifts (``render_statement``) in
this process; over HTTP a statement is kept once rendered.
"""

from __future__ import annotations

import http.client
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import select
from weasyprint import HTML

from benchmarks.dataset import bench_app
from benchmarks.scenario import (
    Bench,
    Group,
    Measurement,
    Ratio,
    Scenario,
    measured_by_pair,
    paired,
)
from benchmarks.servers import ROOT, Server, app_env
from campaigns.extensions import db
from campaigns.models import Campaign, Receipt
from campaigns.models.campaign import CampaignStatus
from campaigns.services.audit import Actor
from campaigns.services.books.receipts import receipt_html, render_statement
from campaigns.services.giving.offline import OfflineGiftForm, record_offline_gift

SLUG = "receipts-bench"
DONOR = "statement-donor@example.org"
STATEMENT_GIFTS = 100
# Renders per receipt_first and receipt_bare measurement, one of each in turn (medians).
RENDERS_PER_MEASUREMENT = 7
DOWNLOADS_PER_MEASUREMENT = 20


def group(bench: Bench) -> Group:
    data = bench.dataset
    app = bench_app(data.database_url)
    tokens = add_gifts(app, STATEMENT_GIFTS)
    server = bench.serve("app-receipts", "wsgi:app", app_env(data.database_url))
    browser = Browser(server)
    bench.stack.callback(browser.conn.close)
    bench.stack.callback(lambda: _dispose(app))
    fresh = iter(tokens[1:])  # tokens[0]: the bare render's and receipt_again's receipt
    html = bare_html(app, tokens[0])
    detail = {"renders_per_measurement": RENDERS_PER_MEASUREMENT}
    first = Scenario(
        "receipt_first", "receipt, first render over HTTP", "ms", measured_by_pair, detail
    )
    bare = Scenario("receipt_bare", "receipt HTML, bare WeasyPrint", "ms", measured_by_pair, detail)
    paired(first, bare, lambda _s: first_and_bare(browser, fresh, html))
    again = Scenario(
        "receipt_again",
        "receipt downloaded again over HTTP",
        "ms",
        lambda _s: Measurement(
            median_ms(lambda: browser.download(tokens[0]), DOWNLOADS_PER_MEASUREMENT)
        ),
        {"downloads_per_measurement": DOWNLOADS_PER_MEASUREMENT},
    )
    browser.download(tokens[0])  # stored now: every later download is "again"
    statement = Scenario(
        "statement",
        f"statement of {STATEMENT_GIFTS} gifts",
        "ms",
        lambda _s: Measurement(median_ms(lambda: statement_pdf(app), 1)),
        {"gifts": STATEMENT_GIFTS},
    )
    ratios = [
        Ratio(
            "receipt first render / bare WeasyPrint",
            "receipt_first",
            "receipt_bare",
            1.3,
            at_most=True,
        ),
        Ratio("receipt again / first render", "receipt_again", "receipt_first", 0.02, at_most=True),
    ]
    return Group([first, bare, again, statement], ratios)


def add_gifts(app: Flask, count: int) -> list[str]:
    """A campaign of its own with ``count`` offline gifts of one donor, one a day back
    from today, each with its receipt (not rendered yet); returns the receipts' tokens."""
    settings = app.extensions["settings"]
    today = date.today()
    with app.app_context():
        campaign = Campaign(
            slug=SLUG,
            title="Receipts for the winter appeal",
            summary="Gifts handed in at the office.",
            story="Cash and transfers, receipted.",
            currency="TRY",
            goal_amount=1_000_000_00,
            starts_on=today - timedelta(days=count + 1),
            ends_on=today + timedelta(days=30),
            status=CampaignStatus.ACTIVE,
        )
        db.session.add(campaign)
        db.session.flush()
        for number in range(count):
            form = OfflineGiftForm(
                amount=str(100 + number),
                donor_name="Ayşe Yılmaz",
                donor_email=DONOR,
                received_on=(today - timedelta(days=number)).isoformat(),
                note="",
            )
            record_offline_gift(
                db.session,
                campaign,
                form,
                locale="tr",
                today=today,
                actor=Actor(None),
                receipts=settings.receipts,
            )
        db.session.commit()
        tokens = list(
            db.session.scalars(
                select(Receipt.token)
                .join(Receipt.donation)
                .where(Receipt.donation.has(campaign_id=campaign.id))
                .order_by(Receipt.id)
            )
        )
        db.session.remove()
        db.engine.dispose()
    return tokens


def bare_html(app: Flask, token: str) -> str:
    """The app's HTML for receipt ``token`` (its links are relative: static/...)."""
    settings = app.extensions["settings"].receipts
    with app.app_context():
        receipt = db.session.scalars(select(Receipt).where(Receipt.token == token)).one()
        html = receipt_html(receipt, settings)
        db.session.remove()
        db.engine.dispose()
    return html


def render_bare(html: str) -> bytes:
    """WeasyPrint alone, reading the static files itself (file: URLs under the project)."""
    return HTML(string=html, base_url=ROOT.as_uri() + "/").write_pdf()


def statement_pdf(app: Flask) -> bytes:
    settings = app.extensions["settings"].receipts
    today = date.today()
    with app.app_context():
        pdf = render_statement(
            db.session, DONOR, today - timedelta(days=366), today, "tr", settings
        )
        db.session.remove()
    return pdf


def first_and_bare(browser: Browser, fresh: Iterator[str], html: str) -> tuple[Measurement, ...]:
    """Median ms of RENDERS_PER_MEASUREMENT downloads of receipts never downloaded before,
    and of as many bare renders of the receipt HTML, one of each in turn."""
    tokens = [next(fresh, None) for _ in range(RENDERS_PER_MEASUREMENT)]
    if None in tokens:
        raise RuntimeError(f"more receipt_first measurements than {STATEMENT_GIFTS} receipts")
    firsts, bares = [], []
    for token in tokens:
        firsts.append(_ms(lambda t=token: browser.download(t)))
        bares.append(_ms(lambda: render_bare(html)))
    return Measurement(statistics.median(firsts)), Measurement(statistics.median(bares))


class Browser:
    """One keep-alive connection to the server, as a browser downloading receipts keeps."""

    def __init__(self, server: Server) -> None:
        self.conn = http.client.HTTPConnection(server.host, server.port, timeout=60)

    def download(self, token: str) -> bytes:
        try:
            status, body = self._get(f"/receipts/{token}.pdf")
        except (http.client.RemoteDisconnected, ConnectionError):
            # gunicorn closes a connection idle for 2 s (its keep-alive); so does a browser.
            self.conn.close()
            status, body = self._get(f"/receipts/{token}.pdf")
        if status != 200 or not body.startswith(b"%PDF"):
            raise RuntimeError(f"GET /receipts/{token}.pdf answered {status}")
        return body

    def _get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        return response.status, response.read()


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


def median_ms(work: Callable[[], object], times: int) -> float:
    return statistics.median(_ms(work) for _ in range(times))


def _ms(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000
