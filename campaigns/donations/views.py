"""Thin views: validate -> one service call -> commit -> redirect."""

from __future__ import annotations

import logging

from flask import abort, current_app, render_template, request

from campaigns.donations import bp
from campaigns.extensions import db
from campaigns.models import DonationStatus
from campaigns.payments import ProviderError
from campaigns.services import payments
from campaigns.services.donations import donation_by_token

log = logging.getLogger(__name__)


@bp.get("/donations/<token>/thanks")
def thanks(token: str):
    """The page Stripe sends the donor back to. It fulfils the donation only on the
    provider's word (re-read by session id), never on the strength of the URL."""
    donation = donation_by_token(db.session, token)
    if donation is None:
        abort(404)
    outcome = None
    session_id = request.args.get("session_id", "")
    if donation.status == DonationStatus.PENDING and session_id == donation.provider_session_id:
        provider = current_app.extensions["payment_provider"]
        try:
            outcome = payments.fulfill_checkout(db.session, provider, session_id)
            db.session.commit()
        except ProviderError:
            db.session.rollback()
            log.warning("thank-you page could not reach the provider for %s", session_id)
        db.session.refresh(donation)
    return render_template("donations/thanks.html", donation=donation, outcome=outcome)
