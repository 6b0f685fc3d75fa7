"""The demo provider's hosted checkout page, marked TEST: Pay, Decline or Cancel.

Each button ends in the same services the Stripe webhook calls.
"""

from __future__ import annotations

from flask import abort, current_app, make_response, redirect, render_template

from campaigns import app_settings
from campaigns.demo_checkout import bp
from campaigns.extensions import db
from campaigns.forms import EmptyForm
from campaigns.payments import ProviderError
from campaigns.payments.demo_provider import DemoProvider
from campaigns.privacy import keep_private
from campaigns.services.giving import settlement
from campaigns.services.giving.donations import donation_by_token


def demo_provider() -> DemoProvider:
    provider = current_app.extensions["payment_provider"]
    if not isinstance(provider, DemoProvider):
        abort(404)
    return provider


def open_checkout(checkout_id: str):
    provider = demo_provider()
    try:
        checkout = provider.retrieve_checkout(checkout_id)
    except ProviderError:
        abort(404)
    return provider, checkout


@bp.get("/<checkout_id>")
def show(checkout_id: str):
    provider, checkout = open_checkout(checkout_id)
    donation = donation_by_token(db.session, checkout.reference or "")
    if donation is None:
        abort(404)
    if checkout.status == "expired":
        # Past its expiry (or cancelled): settled as Stripe's checkout.session.expired
        # webhook would, which releases the stock once.
        settlement.fulfill_checkout(db.session, provider, app_settings(), checkout_id)
        db.session.commit()
    page = render_template(
        "demo_checkout/checkout.html", checkout=checkout, donation=donation, form=EmptyForm()
    )
    return keep_private(make_response(page))  # it links the donor's thank-you page


def _finish(checkout_id: str, act, settle, back: int):
    """Play the donor's part on the demo page, then settle it as Stripe's webhook would."""
    provider, checkout = open_checkout(checkout_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if checkout.status == "open":
        act(provider, checkout_id)
        settle(db.session, provider, app_settings(), checkout_id)
        db.session.commit()
    return redirect(provider.urls(checkout_id)[back], 303)


@bp.post("/<checkout_id>/pay")
def pay(checkout_id: str):
    return _finish(checkout_id, DemoProvider.pay, settlement.fulfill_checkout, back=0)


@bp.post("/<checkout_id>/decline")
def decline(checkout_id: str):
    return _finish(checkout_id, DemoProvider.decline, settlement.fail_checkout, back=0)


@bp.post("/<checkout_id>/cancel")
def cancel(checkout_id: str):
    return _finish(checkout_id, DemoProvider.expire_checkout, settlement.fulfill_checkout, back=1)
