"""`flask stripe reconcile --since 72h`: settles recent checkouts whose webhook never came."""

from __future__ import annotations

import time

import pytest

from campaigns.extensions import db
from campaigns.models import DonationOption
from campaigns.payments.stripe_provider import StripeProvider
from tests.mail_fixtures import free_port
from tests.payments_fixtures import WEBHOOK_SECRET, entries_of, isolated, reloaded, totals_of

DAY = 24 * 60 * 60


@pytest.fixture
def reconcile(runner, stripe_provider):
    """Run the command as an operator would; returns its output, failing on an error."""

    def run(since: str = "72h") -> str:
        result = isolated(runner.invoke, args=["stripe", "reconcile", "--since", since])
        assert result.exit_code == 0, result.output
        return result.output

    return run


def test_paid_session_without_webhook_is_repaired_once(pending_donation, fake_stripe, reconcile):
    donation = pending_donation(amount="250")
    session = fake_stripe.complete_session(donation.provider_session_id)

    output = reconcile()

    assert f"repaired {session['id']} (donation {donation.token}): paid" in output
    assert "1 checkout(s) repaired." in output
    assert reloaded(donation).status == "paid"
    assert entries_of(donation.campaign) == [("payment", 250_00, 0, session["payment_intent"])]

    again = reconcile()

    assert "repaired cs_" not in again
    assert "0 checkout(s) repaired." in again
    assert len(entries_of(donation.campaign)) == 1
    assert totals_of(donation.campaign)["raised"] == 250_00


def test_expired_session_expires_its_donation_and_releases_stock(
    pending_donation, qurban_option, fake_stripe, reconcile
):
    donation = pending_donation(option=qurban_option, quantity=2, on_behalf=("Ali", "Can"))
    fake_stripe.expire_session(donation.provider_session_id)

    output = reconcile()

    assert f"repaired {donation.provider_session_id} (donation {donation.token}): expired" in (
        output
    )
    assert reloaded(donation).status == "expired"
    db.session.expire_all()
    assert db.session.get(DonationOption, qurban_option.id).reserved == 0


def test_open_and_processing_sessions_are_left_alone(pending_donation, fake_stripe, reconcile):
    still_open = pending_donation()
    processing = pending_donation()
    fake_stripe.complete_session(processing.provider_session_id, paid=False)

    output = reconcile()

    assert "0 checkout(s) repaired." in output
    assert reloaded(still_open).status == reloaded(processing).status == "pending"
    assert entries_of(still_open.campaign) == []


def test_sessions_older_than_since_are_untouched(
    pending_donation, fake_stripe, stripe_provider, reconcile
):
    # The app's clock agrees with Stripe's, or Stripe would refuse its expires_at.
    fake_stripe.clock = stripe_provider.clock = lambda: time.time() - 4 * DAY
    old = pending_donation(amount="100")
    fake_stripe.clock = stripe_provider.clock = time.time
    recent = pending_donation(amount="200")
    fake_stripe.complete_session(old.provider_session_id)
    fake_stripe.complete_session(recent.provider_session_id)

    output = reconcile("72h")

    assert recent.provider_session_id in output
    assert old.provider_session_id not in output
    assert reloaded(old).status == "pending"
    assert reloaded(recent).status == "paid"

    # A wider window reaches it.
    assert old.provider_session_id in reconcile("7d")
    assert reloaded(old).status == "paid"


def test_missed_sessions_beyond_one_page_are_all_repaired(
    pending_donation, make_campaign, fake_stripe, reconcile
):
    # Stripe lists 100 sessions a page; expired ones are the cheapest to settle.
    campaign = make_campaign("many")
    donations = [pending_donation(campaign=campaign, amount="50") for _ in range(101)]
    for donation in donations:
        fake_stripe.expire_session(donation.provider_session_id)

    output = reconcile()

    assert "101 checkout(s) repaired." in output
    assert {reloaded(d).status for d in donations} == {"expired"}


def test_bad_since_is_refused(reconcile, runner):
    result = isolated(runner.invoke, args=["stripe", "reconcile", "--since", "soon"])

    assert result.exit_code != 0
    assert "use a number and m, h or d" in result.output


def test_an_unreachable_payment_service_gets_one_line_and_a_failing_exit(app, runner):
    """The real Stripe SDK pointed at a closed port: no traceback, one line, exit 1."""
    closed = StripeProvider(
        "sk_test_unreachable", WEBHOOK_SECRET, f"http://127.0.0.1:{free_port()}"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(app.extensions, "payment_provider", closed)
        result = isolated(runner.invoke, args=["stripe", "reconcile"])

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # not an error escaping the command
    [line] = result.output.splitlines()
    assert line.startswith("Error: the payment service did not answer (")
    assert line.endswith("0 checkout(s) repaired.")
