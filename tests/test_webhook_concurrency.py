"""The same event delivered 20 times at once, with the thank-you page racing it: one paid
donation, one ledger entry, right totals, and every delivery answered 2xx.

Runs on whichever database the suite runs on (SQLite by default, PostgreSQL with
TEST_DATABASE_URL): threads against the app in this process, then gunicorn with several
worker processes against a database of its own (a fresh SQLite file, or the PostgreSQL
test database).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

import config as settings
from campaigns import create_app
from campaigns.extensions import db
from tests.fake_stripe import signed_headers
from tests.payments_fixtures import (
    WEBHOOK_SECRET,
    all_at_once,
    entries_of,
    events_stored,
    heading_in,
    reloaded,
    thanks_heading,
    totals_of,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
APP = ["wsgi:app"]
DELIVERIES = 20
VISITORS = 3
PAID_HEADING = "Thank you, Ayşe Yılmaz!"
ONE_GIFT = {"raised": 250_00, "units_funded": 0, "donations": 1, "donors": 1}


def assert_paid_once(donation, results: list[tuple[str, int, str]]) -> None:
    """Every answer 2xx, the donor thanked, and the gift counted exactly once."""
    assert [r for r in results if not 200 <= r[1] < 300] == []
    webhook_results = sorted(r[2] for r in results if r[0] == "webhook")
    assert webhook_results == ["duplicate"] * (DELIVERIES - 1) + ["processed"]
    assert [r[2] for r in results if r[0] == "thanks"] == [PAID_HEADING] * VISITORS
    assert reloaded(donation).status == "paid"
    assert len(entries_of(donation.campaign)) == 1
    assert totals_of(donation.campaign) == ONE_GIFT
    assert len(events_stored()) == 1


@pytest.mark.postgres
def test_concurrent_deliveries_and_thank_you_page_pay_once(app, pending_donation, fake_stripe):
    donation = pending_donation(amount="250")
    session = fake_stripe.complete_session(donation.provider_session_id)
    body = json.dumps(fake_stripe.event("checkout.session.completed", session))
    headers = signed_headers(body, WEBHOOK_SECRET)
    thanks_url = fake_stripe.redirect_success_url(session["id"])

    def delivery():
        # A client per thread, and no app context: each request has its own session.
        answer = app.test_client().post("/webhooks/stripe", data=body, headers=headers)
        return "webhook", answer.status_code, answer.json["result"]

    def visitor():
        page = app.test_client().get(thanks_url)
        return "thanks", page.status_code, thanks_heading(page)

    results = all_at_once([delivery] * DELIVERIES + [visitor] * VISITORS)

    assert_paid_once(donation, results)


# -- gunicorn, several worker processes --------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Served:
    """gunicorn serving wsgi:app on ``url``, and an app in this process on its database."""

    url: str
    app: object
    log: Path


@pytest.fixture
def served(app, database_url, fake_stripe, tmp_path) -> Iterator[Served]:
    """gunicorn -w 3 on the Stripe provider (the fake), on a fresh SQLite file whose schema
    ``flask db upgrade`` builds, or on the PostgreSQL test database."""
    if database_url.startswith("postgresql"):
        url = database_url
    else:
        url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    env = os.environ | {
        "FLASK_APP": "wsgi.py",
        "FLASK_CONFIG": "development",
        "FLASK_DEBUG": "0",
        "SECRET_KEY": "gunicorn-test-secret",
        "DATABASE_URL": url,
        "PAYMENT_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": fake_stripe.api_key,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": fake_stripe.url,
    }
    subprocess.run(
        [BIN / "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            # No control socket: its default path is shared by every gunicorn on the machine.
            [BIN / "gunicorn", "-w", "3", "-b", f"127.0.0.1:{port}", "--no-control-socket", *APP],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    config = settings.TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = url
    local = create_app(config)
    try:
        wait_until_up(base, server, log)
        yield Served(base, local, log)
    finally:
        server.terminate()
        server.wait(timeout=30)
        print(log.read_text())  # shown when the test fails
        with local.app_context():
            db.engine.dispose()


def wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or no worker booted yet
            pass
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")


@pytest.mark.postgres
def test_concurrent_deliveries_under_gunicorn_workers_pay_once(
    served, pending_donation, fake_stripe
):
    with served.app.app_context():
        donation = pending_donation(amount="250")
        session = fake_stripe.complete_session(donation.provider_session_id)
        body = json.dumps(fake_stripe.event("checkout.session.completed", session))
        headers = signed_headers(body, WEBHOOK_SECRET)
        thanks_url = fake_stripe.redirect_success_url(session["id"]).replace(
            "http://localhost", served.url
        )

        def delivery():
            answer = requests.post(
                f"{served.url}/webhooks/stripe", data=body.encode(), headers=headers, timeout=60
            )
            result = answer.json().get("result") if answer.ok else answer.text
            return "webhook", answer.status_code, result

        def visitor():
            page = requests.get(thanks_url, timeout=60)
            return "thanks", page.status_code, heading_in(page.content) if page.ok else page.text

        results = all_at_once([delivery] * DELIVERIES + [visitor] * VISITORS)

        assert_paid_once(donation, results)
