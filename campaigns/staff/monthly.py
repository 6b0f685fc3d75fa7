"""Monthly gifts: the list (status, next charge, last failure) and stopping one, after a
page that says what stopping it does."""

from __future__ import annotations

from types import SimpleNamespace

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from campaigns.extensions import db
from campaigns.forms import EmptyForm, current_actor
from campaigns.models import Donation
from campaigns.payments import ProviderError
from campaigns.services.giving import monthly
from campaigns.staff import bp, requires
from campaigns.staff.donations import page_number
from campaigns.text import parse_int

PER_PAGE = 50


@bp.get("/monthly")
def monthly_gifts():
    page = page_number()
    gifts, total = monthly.monthly_gifts(db.session, page=page, per_page=PER_PAGE)
    if page > 1 and not gifts:
        abort(404)
    pages = max(1, -(-total // PER_PAGE))
    pager = SimpleNamespace(  # what staff/_pagination.html reads of a page
        page=page,
        pages=pages,
        has_prev=page > 1,
        prev_num=page - 1,
        has_next=page < pages,
        next_num=page + 1,
    )
    return render_template("staff/monthly.html", gifts=gifts, page=pager, total=total, args={})


@bp.context_processor
def monthly_helpers() -> dict:
    """For ``staff/donations/_actions.html``: whether a gift is a subscription to stop."""
    return {"is_subscription": monthly.is_subscription}


@bp.post("/donations/<int:donation_id>/cancel-monthly")
@requires("handle_money")
def cancel_monthly(donation_id: int):
    """Without ``confirm``: the page saying what will happen. With it: stop the gift."""
    donation = db.session.get(Donation, donation_id)
    if donation is None or not monthly.is_subscription(donation):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    target = url_for("staff.donation", donation_id=donation.id)
    seen = parse_int(request.form.get("version"), maximum=2**31 - 1)
    if donation.subscription_ended_at is not None or seen != donation.version:
        flash(_("This monthly gift has already ended or changed; please check it again."), "error")
        return redirect(target, 303)
    if request.form.get("confirm") != "yes":
        return render_template("staff/monthly_cancel.html", donation=donation)
    if not monthly.claim_cancel(db.session, donation, seen):
        db.session.rollback()
        flash(_("This monthly gift has already ended or changed; please check it again."), "error")
        return redirect(target, 303)
    db.session.commit()  # the claim stands before the provider is asked
    try:
        monthly.cancel_by_staff(
            db.session,
            current_app.extensions["payment_provider"],
            donation,
            actor=current_actor(),
        )
    except ProviderError:
        db.session.rollback()
        flash(_("We could not reach our payment provider. Please try again in a minute."), "error")
        return redirect(target, 303)
    db.session.commit()
    flash(_("The monthly gift is cancelled: nothing more will be taken."), "info")
    return redirect(target, 303)
