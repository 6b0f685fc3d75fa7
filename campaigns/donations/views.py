"""Thin views: validate -> one service call -> commit -> redirect."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import (
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from campaigns import app_settings
from campaigns.donations import bp
from campaigns.donations.forms import gift_form, is_bot
from campaigns.extensions import client_address, db, limiter
from campaigns.filters import local_today
from campaigns.models import Campaign, DonationStatus
from campaigns.payments import ProviderError
from campaigns.privacy import keep_private
from campaigns.services.books.receipts import live_receipt
from campaigns.services.content import catalog
from campaigns.services.giving import bank, settlement
from campaigns.services.giving.donations import (
    GiftForm,
    GiftInvalid,
    donation_by_token,
    start_donation,
    validate_gift,
)

log = logging.getLogger(__name__)


def donate_rate_limit() -> str:
    """The DONATE_RATE_LIMIT setting, read per request so each app (and test) has its own."""
    return current_app.config["DONATE_RATE_LIMIT"]


def return_urls(campaign: Campaign) -> Callable[[str], tuple[str, str]]:
    """Where the provider sends the donor back: the thank-you page (with the session id
    the provider fills in) after paying, the campaign's form after cancelling. Built on
    SITE_URL, never on the request's Host header, which the client chooses."""
    settings = app_settings()

    def urls(token: str) -> tuple[str, str]:
        thanks = settings.absolute_url("donations.thanks", token=token)
        back = settings.absolute_url("public.campaign", slug=campaign.slug) + "#give"
        return thanks + "?session_id={CHECKOUT_SESSION_ID}", back

    return urls


def refused(campaign: Campaign, gift: GiftForm, errors: dict[str, str]):
    """The campaign page again, the form keeping what the donor typed, with the errors."""
    page = catalog.campaign_page(db.session, campaign)
    context = page._asdict() | {"gift": gift, "errors": errors}
    return render_template("public/campaign.html", **context), 422


@bp.post("/campaigns/<slug>/donate")
@limiter.limit(donate_rate_limit)
def donate(slug: str):
    """Validate the gift, store it pending with its stock held, send the donor to the
    provider's checkout. CSRF is checked before this runs (CSRFProtect). The giving
    service commits through ``db.session.commit`` between its steps, so that no
    transaction stays open while the provider is called (see ``start_donation``)."""
    campaign = catalog.public_campaign(db.session, slug)
    if campaign is None:
        abort(404)
    gift = gift_form(request.form)
    if is_bot(request.form):
        return refused(campaign, gift, {"": _("Sorry, we could not take this gift.")})
    provider = current_app.extensions["payment_provider"]
    try:
        valid = validate_gift(
            db.session,
            campaign,
            gift,
            locale=str(get_locale() or "en"),
            today=local_today(),
            cover_basis_points=app_settings().fee_cover_basis_points,
        )
        if gift.method == "bank_transfer":
            pledge = bank.start_pledge(
                db.session, app_settings(), campaign, valid, client=client_address()
            )
            db.session.commit()
            return redirect(url_for("donations.thanks", token=pledge.token), 303)
        _donation, checkout_url = start_donation(
            db.session,
            provider,
            app_settings(),
            campaign,
            valid,
            return_urls(campaign),
            commit=db.session.commit,
            client=client_address(),
        )
    except GiftInvalid as invalid:
        db.session.rollback()  # a donation not yet committed and any stock it held
        return refused(campaign, gift, invalid.errors)
    return redirect(checkout_url, 303)


@bp.get("/donations/<token>/thanks")
def thanks(token: str):
    """The page Stripe sends the donor back to. It fulfils the donation only on the
    provider's word (re-read by session id), never on the strength of the URL. It shows
    the donor's name and e-mail: private (campaigns.privacy)."""
    donation = donation_by_token(db.session, token)
    if donation is None:
        abort(404)
    outcome = None
    session_id = request.args.get("session_id", "")
    if donation.status == DonationStatus.PENDING and session_id == donation.provider_session_id:
        provider = current_app.extensions["payment_provider"]
        try:
            outcome = settlement.fulfill_checkout(db.session, provider, app_settings(), session_id)
            db.session.commit()
        except ProviderError:
            db.session.rollback()
            log.warning("thank-you page could not reach the provider for %s", session_id)
        db.session.refresh(donation)
    page = render_template(
        "donations/thanks.html",
        donation=donation,
        outcome=outcome,
        receipt=live_receipt(db.session, donation),
        accounts=app_settings().accounts_for(donation.currency),
    )
    return keep_private(make_response(page))
