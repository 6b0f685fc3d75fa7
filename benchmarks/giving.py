"""The giving scenario: donations started per second on one limited option, through the
donation form (page, CSRF token, POST, 303 to the checkout), with the (fake) Stripe
answering each new Checkout Session after ``PROVIDER_DELAY`` seconds.

Every start takes the option's row lock (``reserve_stock``). If that lock were held while
Stripe is asked, starts on one option would run one at a time whatever the number of
donors: ``gift_start_limited`` (``CLIENTS`` donors at once) would equal
``gift_start_serial`` (one donor). With the lock let go before the call, concurrent donors
overlap their waits on Stripe.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from datetime import date, timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from benchmarks import webhooks
from benchmarks.dataset import bench_app
from benchmarks.loadgen import LoadResult
from benchmarks.scenario import Bench, Group, Measurement, Ratio, Scenario
from benchmarks.servers import app_env
from campaigns.extensions import db
from campaigns.models import Campaign, DonationOption
from campaigns.models.campaign import CampaignStatus
from tests.fake_stripe import FakeStripe

SLUG = "qurban-shares-limited"
PROVIDER_DELAY = 0.3  # seconds Stripe takes to create a Checkout Session
CLIENTS = 8  # donors giving at once in gift_start_limited; the servers have 2 x 4 threads
STOCK = 10_000_000  # limited, but never sold out within a run
# Every donor of the run comes from 127.0.0.1: the per-address hold limit would refuse
# them after 14 units, and the rate limit after 10 gifts. Neither is what is measured.
SETTINGS = {"MAX_HELD_UNITS": "999999999", "RATELIMIT_ENABLED": "false"}
_TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')


def group(bench: Bench) -> Group:
    """Donation starts per second on one limited option, Stripe (a FakeStripe in this
    process) answering each Checkout Session after 300 ms: with ``CLIENTS`` donors at
    once, and with one (the serial floor)."""
    data = bench.dataset
    option_id = add_limited_campaign(data.database_url)
    fake = bench.stack.enter_context(FakeStripe())
    slow_checkouts(fake)
    env = app_env(data.database_url, **webhooks.stripe_settings(fake), **SETTINGS)
    server = bench.serve("app-giving", "wsgi:app", env)

    def scenario(key: str, label: str, clients: int) -> Scenario:
        def measure(seconds: float) -> Measurement:
            return Measurement.of(
                start_gifts(server.host, server.port, option_id, clients, seconds)
            )

        detail = {
            "path": f"/campaigns/{SLUG}/donate",
            "clients": clients,
            "provider_delay_ms": PROVIDER_DELAY * 1000,
        }
        return Scenario(key, label, "gifts/s", measure, detail)

    scenarios = [
        scenario("gift_start_limited", f"gift starts, limited option, {CLIENTS} donors", CLIENTS),
        scenario("gift_start_serial", "gift starts, limited option, 1 donor", 1),
    ]
    # A row lock held across Stripe's 300 ms would serialise every start on the option
    # (ratio <= 1); 8 donors could reach 8.
    ratio = Ratio(
        f"gift starts, {CLIENTS} donors / 1 donor", "gift_start_limited", "gift_start_serial", 5
    )
    return Group(scenarios, [ratio])


def add_limited_campaign(database_url: str) -> int:
    """The campaign with one limited option (added if missing); returns the option's id."""
    app = bench_app(database_url)
    with app.app_context():
        known = db.session.scalar(
            select(DonationOption.id).join(Campaign).where(Campaign.slug == SLUG)
        )
        if known is not None:
            db.session.remove()
            db.engine.dispose()
            return known
        today = date.today()
        campaign = Campaign(
            slug=SLUG,
            title="Qurban shares, limited",
            summary="Shares of a cow, as many as the farm has.",
            story="One cow, seven shares.",
            currency="USD",
            goal_amount=1_000_000_00,
            starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=30),
            status=CampaignStatus.ACTIVE,
        )
        option = DonationOption(label="Cow share", unit_price=100_00, units=1, stock=STOCK)
        campaign.options = [option]
        db.session.add(campaign)
        db.session.commit()
        option_id = option.id
        db.session.remove()
        db.engine.dispose()
    return option_id


def slow_checkouts(fake: FakeStripe, delay: float = PROVIDER_DELAY) -> None:
    """Make ``fake`` take ``delay`` seconds over each new Checkout Session (outside its
    lock, so sessions are made concurrently, as by Stripe)."""

    def wait(method: str, path: str) -> None:
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            time.sleep(delay)

    fake.on_request = wait


def start_gifts(host: str, port: int, option_id: int, clients: int, seconds: float) -> LoadResult:
    """``clients`` donors, each on a keep-alive connection: open the campaign page once
    (session cookie and CSRF token), then give one share after another for ``seconds``.
    Counts the 303s to the checkout; anything else is an error."""
    deadline = time.monotonic() + seconds
    counts = [[0, 0] for _ in range(clients)]
    serial = iter(range(10**9))
    lock = threading.Lock()

    def donor(count: list[int]) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.request("GET", f"/campaigns/{SLUG}")
        page = conn.getresponse()
        body = page.read()
        cookies = [c.split(";")[0] for c in page.msg.get_all("Set-Cookie") or []]
        cookie = "; ".join(c for c in cookies if c.startswith("session="))
        token = _TOKEN.search(body)
        if page.status != 200 or token is None:
            raise RuntimeError(f"GET /campaigns/{SLUG} gave {page.status} and no form")
        while time.monotonic() < deadline:
            with lock:
                number = next(serial)
            form = {
                "csrf_token": token[1].decode(),
                "option": str(option_id),
                "quantity": "1",
                "frequency": "once",
                "designation": "general",
                "name": f"Bench Donor {number}",
                "email": f"bench-donor{number}@example.org",
            }
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
            try:
                conn.request("POST", f"/campaigns/{SLUG}/donate", urlencode(form), headers)
                answer = conn.getresponse()
                answer.read()
                count[0 if answer.status == 303 else 1] += 1
            except (OSError, http.client.HTTPException):
                count[1] += 1
                conn.close()
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=donor, args=(count,)) for count in counts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = max(time.monotonic() - started, seconds)
    good = sum(c[0] for c in counts)
    return LoadResult(good / elapsed, good, sum(c[1] for c in counts))
