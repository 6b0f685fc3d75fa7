"""Refunds from a donation's page (admins): through the payment provider, with one
idempotency key per request; the ledger changes only when the provider confirms (the
demo at once, Stripe by its charge.refunded webhook)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import AuditEntry, Donation
from campaigns.services.giving import settlement
from campaigns.services.giving.donations import GiftForm, start_donation, validate_gift
from tests.markup import parse
from tests.payments_fixtures import (
    all_at_once,
    charge_of,
    entries_of,
    reloaded,
    thank_you_urls,
    totals_of,
)

REQUESTED = "Refund requested; the totals change when Stripe confirms."
CHANGED = "This donation changed while you were looking at it; please check it again."
NOTHING_LEFT = "This donation cannot be refunded."
REFUNDED = "Refunded: the totals are updated."


def flashes(page) -> list[str]:
    return [li.text for li in parse(page.data).find_all("li", "flash")]


REASON = "The donor asked: gave twice by mistake."


def refund(admin, donation: Donation, amount: str, reason: str = REASON):
    """Confirm a refund as the confirmation page posts it: returns the page it leads to."""
    response = admin.post(
        f"/staff/donations/{donation.id}/refund",
        {
            "amount": amount,
            "seen_refunded": str(donation.refunded_amount),
            "reason": reason,
            "confirm": "yes",
        },
    )
    assert response.status_code == 303, response.status_code
    return admin.get(response.headers["Location"])


@pytest.fixture
def demo_gift(app, make_campaign, settings):
    """A 250.00 TRY gift paid through the demo checkout."""
    campaign = make_campaign("food-aid")
    provider = app.extensions["payment_provider"]
    assert provider.name == "demo"
    gift = validate_gift(
        db.session,
        campaign,
        GiftForm(amount="250", name="Ayşe Yılmaz", email="ayse@example.org"),
        locale="en",
        today=local_today(),
    )
    donation, _url = start_donation(
        db.session, provider, settings, campaign, gift, thank_you_urls, commit=db.session.commit
    )
    provider.pay(donation.provider_session_id)
    settlement.fulfill_checkout(db.session, provider, settings, donation.provider_session_id)
    db.session.commit()
    assert donation.status == "paid"
    return donation


def test_the_refund_form_is_on_the_donation_page_for_admins_only(
    client, staff_login, demo_gift, app_ctx
):
    admin = staff_login(client, "admin")
    page = admin.get(f"/staff/donations/{demo_gift.id}")
    form = [
        f
        for f in parse(page.data).find_all("form")
        if f.attrs.get("action") == f"/staff/donations/{demo_gift.id}/refund"
    ]
    assert len(form) == 1
    amount = [i for i in form[0].find_all("input") if i.attrs.get("name") == "amount"]
    assert amount[0].attrs["value"] == "250.00"  # the whole gift, ready to refund

    editor = staff_login(client, "editor")
    page = editor.get(f"/staff/donations/{demo_gift.id}")
    assert f"/staff/donations/{demo_gift.id}/refund" not in page.get_data(as_text=True)


def test_demo_refund_in_part_then_in_full(client, staff_login, demo_gift, app_ctx):
    admin = staff_login(client, "admin")
    campaign = demo_gift.campaign

    page = refund(admin, demo_gift, "100")

    assert flashes(page) == ["Refunded: the totals are updated."]
    donation = reloaded(demo_gift)
    assert (donation.status, donation.refunded_amount) == ("partially_refunded", 100_00)
    assert totals_of(campaign)["raised"] == 150_00
    page = refund(admin, donation, "150.00")
    assert flashes(page) == ["Refunded: the totals are updated."]
    donation = reloaded(demo_gift)
    assert (donation.status, donation.refunded_amount) == ("refunded", 250_00)
    assert totals_of(campaign)["raised"] == 0
    kinds = [(kind, amount) for kind, amount, _units, _ref in entries_of(campaign)]
    assert kinds == [("payment", 250_00), ("refund", -100_00), ("refund", -150_00)]
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "donation.refund_request")
    ).all()
    assert [e.after["requested"] for e in audit] == [100_00, 150_00]
    assert all(e.staff_user_id == admin.user_id for e in audit)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "Please enter an amount above zero and at most what is left."),
        ("250.01", "Please enter an amount above zero and at most what is left."),
        ("ten", "Please enter the amount as a number, for example 50."),
    ],
)
def test_bad_refund_amounts_are_refused(client, staff_login, demo_gift, app_ctx, amount, message):
    admin = staff_login(client, "admin")

    page = refund(admin, demo_gift, amount)

    assert flashes(page) == [message]
    assert reloaded(demo_gift).refunded_amount == 0
    assert totals_of(demo_gift.campaign)["raised"] == 250_00


def test_editors_and_viewers_cannot_refund(client, staff_login, demo_gift, app_ctx):
    for role in ("editor", "viewer"):
        person = staff_login(client, role)
        response = person.post(
            f"/staff/donations/{demo_gift.id}/refund", {"amount": "10", "seen_refunded": "0"}
        )
        assert response.status_code == 403
    assert reloaded(demo_gift).refunded_amount == 0


def test_refunds_need_the_csrf_token(client, staff_login, demo_gift, app_ctx):
    admin = staff_login(client, "admin")

    response = admin.post(
        f"/staff/donations/{demo_gift.id}/refund",
        {"amount": "10", "seen_refunded": "0"},
        csrf=False,
    )

    assert response.status_code == 400
    assert reloaded(demo_gift).refunded_amount == 0


# -- Stripe (the fake server) ----------------------------------------------------------------


@pytest.fixture
def stripe_gift(pending_donation, fake_stripe, deliver):
    """A 250.00 TRY gift paid through Stripe Checkout and recorded by the webhook;
    returns (donation, completed session)."""
    donation = pending_donation(amount="250")
    session = fake_stripe.complete_session(donation.provider_session_id)
    assert deliver("checkout.session.completed", session).status_code == 200
    assert reloaded(donation).status == "paid"
    return reloaded(donation), session


def test_stripe_refund_changes_the_ledger_only_when_the_webhook_confirms(
    client, staff_login, stripe_gift, fake_stripe, deliver, app_ctx
):
    donation, session = stripe_gift
    campaign = donation.campaign
    admin = staff_login(client, "admin")

    page = refund(admin, donation, "100")

    assert flashes(page) == [REQUESTED]
    [call] = fake_stripe.calls("POST", "/v1/refunds")
    assert call.params == {"payment_intent": session["payment_intent"], "amount": "10000"}
    assert call.idempotency_key == f"refund-{donation.token}-0-10000"
    assert charge_of(fake_stripe, session)["amount_refunded"] == 100_00
    # Stripe has refunded; the charity's books wait for its word.
    assert [kind for kind, *_ in entries_of(campaign)] == ["payment"]
    assert totals_of(campaign)["raised"] == 250_00
    assert reloaded(donation).status == "paid"

    assert deliver("charge.refunded", charge_of(fake_stripe, session)).status_code == 200

    assert [(k, a) for k, a, *_ in entries_of(campaign)] == [
        ("payment", 250_00),
        ("refund", -100_00),
    ]
    assert totals_of(campaign)["raised"] == 150_00
    assert reloaded(donation).status == "partially_refunded"


def test_pressing_refund_twice_refunds_once_at_stripe(
    client, staff_login, stripe_gift, fake_stripe, deliver, app_ctx
):
    donation, session = stripe_gift
    admin = staff_login(client, "admin")

    refund(admin, donation, "100")
    refund(admin, donation, "100")  # the page still shows nothing refunded yet

    assert len(fake_stripe.calls("POST", "/v1/refunds")) == 2
    assert charge_of(fake_stripe, session)["amount_refunded"] == 100_00
    deliver("charge.refunded", charge_of(fake_stripe, session))
    assert totals_of(donation.campaign)["raised"] == 150_00


def test_full_stripe_refund_after_the_webhook(
    client, staff_login, stripe_gift, fake_stripe, deliver, app_ctx
):
    donation, session = stripe_gift
    admin = staff_login(client, "admin")

    assert flashes(refund(admin, donation, "250.00")) == [REQUESTED]
    deliver("charge.refunded", charge_of(fake_stripe, session))

    donation = reloaded(donation)
    assert (donation.status, donation.refunded_amount) == ("refunded", 250_00)
    assert totals_of(donation.campaign) == {
        "raised": 0,
        "units_funded": 0,
        "donations": 1,
        "donors": 1,
    }


def test_a_refusal_from_stripe_is_shown_and_changes_nothing(
    client, staff_login, stripe_gift, fake_stripe, app_ctx
):
    donation, session = stripe_gift
    fake_stripe.refund(payment_intent=session["payment_intent"])  # refunded in the Dashboard
    admin = staff_login(client, "admin")

    page = refund(admin, donation, "50")

    [message] = flashes(page)
    assert message.startswith("The payment service refused the refund:")
    assert "already been refunded" in message
    assert totals_of(donation.campaign)["raised"] == 250_00
    assert (
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "donation.refund_request")
        ).all()
        == []
    )


# -- two clicks, two staff members ---------------------------------------------------------


def refund_form_of(admin, donation: Donation) -> dict[str, str]:
    """The refund form's fields as the donation's page shows them (amount pre-filled)."""
    page = admin.get(f"/staff/donations/{donation.id}")
    [form] = [
        f
        for f in parse(page.data).find_all("form")
        if f.attrs.get("action") == f"/staff/donations/{donation.id}/refund"
    ]
    fields = {i.attrs["name"]: i.attrs.get("value", "") for i in form.find_all("input")}
    fields.pop("csrf_token")
    return fields


def press(admin, donation: Donation, fields: dict[str, str]) -> list[str]:
    """Confirm the refund the form shows (with a reason)."""
    fields = fields | {"reason": REASON, "confirm": "yes"}
    response = admin.post(f"/staff/donations/{donation.id}/refund", fields)
    assert response.status_code == 303, response.status_code
    return flashes(admin.get(response.headers["Location"]))


@pytest.mark.postgres
def test_ten_admins_refunding_at_once_refund_once(client, app, staff_login, demo_gift, app_ctx):
    admins = [staff_login(app.test_client(), "admin") for _ in range(10)]
    forms = [refund_form_of(admin, demo_gift) for admin in admins]
    assert forms[0]["version"] == "0"

    results = all_at_once(
        [lambda a=a, f=f: press(a, demo_gift, f) for a, f in zip(admins, forms, strict=True)]
    )

    # Each of the nine others is told nothing was refunded: the gift changed under the
    # form, or (pressed after the refund committed, on a busy machine) it has nothing
    # left to refund.
    assert results.count([REFUNDED]) == 1
    assert all(r in ([CHANGED], [NOTHING_LEFT]) for r in results if r != [REFUNDED]), results
    donation = reloaded(demo_gift)
    assert (donation.status, donation.refunded_amount) == ("refunded", 250_00)
    kinds = [(kind, amount) for kind, amount, _units, _ref in entries_of(donation.campaign)]
    assert kinds == [("payment", 250_00), ("refund", -250_00)]
    provider = app.extensions["payment_provider"]
    assert [r.amount for r in provider.list_refunds(donation.provider_payment_id)] == [250_00]
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "donation.refund_request")
    ).all()
    assert len(audit) == 1


def test_a_double_click_on_a_stripe_refund_asks_stripe_once(
    client, staff_login, stripe_gift, fake_stripe, app_ctx
):
    donation, session = stripe_gift
    admin = staff_login(client, "admin")
    fields = refund_form_of(admin, donation) | {"amount": "100"}

    first, second = press(admin, donation, fields), press(admin, donation, fields)

    assert (first, second) == ([REQUESTED], [CHANGED])
    assert len(fake_stripe.calls("POST", "/v1/refunds")) == 1
    assert charge_of(fake_stripe, session)["amount_refunded"] == 100_00
    # The page shown after the first refund offers the next one.
    assert refund_form_of(admin, donation)["version"] == "1"
