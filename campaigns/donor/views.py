"""Thin views over services.giving.donors. Every response is private: never cached, never
named in a Referer header (the URL is the donor's key for an hour)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, to_user_timezone
from flask_babel import gettext as _

from campaigns import app_settings
from campaigns.addresses import email_key
from campaigns.donor import bp
from campaigns.donor.forms import SignInForm
from campaigns.extensions import db, limiter
from campaigns.forms import EmptyForm, form_values, submit, with_errors
from campaigns.languages import localized
from campaigns.payments import ProviderError
from campaigns.privacy import keep_private
from campaigns.services.books.receipts import render_statement, statement_version
from campaigns.services.giving import donors, fulfilment
from campaigns.text import YEARS, day_in_range, parse_day

# Each sign-in link is an e-mail sent on someone's request: few per address and per mailbox.
LINKS_PER_CLIENT = "10 per hour"
LINKS_PER_EMAIL = "3 per hour"
# A statement is rendered at most once per version (cached), but each is CPU work.
STATEMENTS_PER_CLIENT = "10 per minute;60 per hour"
LONGEST_STATEMENT = 10 * 366  # days


bp.after_request(keep_private)


@bp.errorhandler(429)
def too_many_links(error):
    if request.endpoint != "donor.start":
        return render_template("errors/error.html", error=error), 429
    return notice(
        429,
        _("Too many links requested"),
        _(
            "We have sent several links already. Please look for them in your inbox "
            "(and spam folder), or try again in an hour."
        ),
    )


def notice(
    status: int, title: str, message: str, *, new_link: bool = False, back: str | None = None
):
    """A short page explaining why we cannot go on, offering a new link or a way back."""
    form = SignInForm() if new_link else None
    page = render_template("donor/notice.html", title=title, message=message, form=form, back=back)
    return make_response(page, status)


def _mailbox() -> str:
    """The rate-limit key of the address typed, hashed: storage never holds it in clear."""
    email = email_key(request.form.get("email", ""))
    return "donor-link:" + hashlib.sha256(email.encode()).hexdigest()


@bp.route("", methods=["GET", "POST"])
@limiter.limit(LINKS_PER_CLIENT, methods=["POST"])
@limiter.limit(LINKS_PER_EMAIL, methods=["POST"], key_func=_mailbox)
def start():
    """Ask for an e-mail address; answer the same whether or not it has given."""
    form = SignInForm()

    def page() -> str:
        return render_template("donor/start.html", form=form, sent="sent" in request.args)

    if not form.validate_on_submit():  # a visit, or no valid CSRF token
        return page(), 400 if form.errors else 200
    return submit(
        with_errors(form, page),
        lambda: donors.request_sign_in_link(
            db.session,
            app_settings(),
            form_values(form, donors.SignInLinkForm),
            str(get_locale() or "en"),
        ),
        None,  # the page itself says what happened, the same for every address
        url_for("donor.start", sent=1),
        invalid_status=400,
    )


def signed_in_donor(token: str) -> str:
    """The e-mail a sign-in link stands for, or a page saying why it cannot be used."""
    try:
        return donors.donor_email(db.session, app_settings().secret_keys[0], token)
    except donors.LinkExpired:
        abort(
            notice(
                410,
                _("This link has expired"),
                _("Links to your gifts work for one hour. We can send you a new one."),
                new_link=True,
            )
        )
    except donors.LinkInvalid:
        abort(
            notice(
                400,
                _("This link does not work"),
                _(
                    "It may have been cut short when it was copied. Please open the link "
                    "from the e-mail again, or ask for a new one."
                ),
                new_link=True,
            )
        )


def last_calendar_year() -> tuple[date, date]:
    year = to_user_timezone(datetime.now(UTC)).year - 1
    return date(year, 1, 1), date(year, 12, 31)


@bp.get("/<token>")
def gifts(token: str):
    email = signed_in_donor(token)
    given = donors.gifts(db.session, email)
    start, end = last_calendar_year()
    return render_template(
        "donor/gifts.html",
        token=token,
        email=email,
        gifts=given,
        receipts=donors.current_receipts(db.session, given),
        shares=fulfilment.share_states(db.session, given),
        monthly=donors.monthly_gifts(given),
        reports=donors.funded_reports(db.session, given),
        statement_start=start,
        statement_end=end,
        cancel_form=EmptyForm(),
    )


@bp.post("/<token>/monthly/<donation_token>/cancel")
def cancel_monthly(token: str, donation_token: str):
    email = signed_in_donor(token)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "yes":  # the page's button asks first
        gift = donors.running_monthly_gift(db.session, email, donation_token)
        if gift is None:
            abort(404)
        return render_template("donor/cancel_monthly.html", token=token, gift=gift, form=form)
    provider = current_app.extensions["payment_provider"]
    try:
        gift = donors.cancel_monthly_gift(db.session, provider, email, donation_token)
    except ProviderError:
        db.session.rollback()
        flash(_("We could not reach our payment provider. Please try again in a minute."))
        return redirect(url_for("donor.gifts", token=token), 303)
    if gift is None:
        ended = [g for g in donors.gifts(db.session, email) if g.token == donation_token]
        if not ended:
            abort(404)
        flash(_("This monthly gift is already cancelled."))  # a second click
        return redirect(url_for("donor.gifts", token=token), 303)
    db.session.commit()
    flash(
        _(
            "Your monthly gift to %(campaign)s is cancelled: nothing more will be taken.",
            campaign=localized(gift.campaign, "title"),
        )
    )
    return redirect(url_for("donor.gifts", token=token), 303)


def statement_range(token: str) -> tuple[date, date]:
    """The ``start`` and ``end`` query dates, or a 400 page saying what is wrong."""
    problem = None
    start, end = parse_day(request.args.get("start")), parse_day(request.args.get("end"))
    if start is None or end is None:
        problem = _("Please give a start and an end date, such as 2025-01-01 and 2025-12-31.")
    elif not (day_in_range(start) and day_in_range(end)):
        problem = _("Please enter a date between %(first)d and %(last)d.", **YEARS)
    elif end < start:
        problem = _("The end date is before the start date.")
    elif (end - start).days > LONGEST_STATEMENT:
        problem = _("A statement covers at most ten years; please choose a shorter period.")
    if problem:
        back = url_for("donor.gifts", token=token)
        abort(notice(400, _("Please check the dates"), problem, back=back))
    return start, end


@bp.get("/<token>/statement.pdf")
@limiter.limit_reads(STATEMENTS_PER_CLIENT)
def statement(token: str):
    """The donor's statement for a range, rendered once per version of their gifts and
    kept (statement_version): asking again costs one small query, not a rendering."""
    email = signed_in_donor(token)
    start, end = statement_range(token)
    locale = str(get_locale() or "en")
    settings = app_settings().receipts
    cache = current_app.extensions["statement_cache"]
    version = statement_version(db.session, email, settings)
    key = (email_key(email), start, end, locale, version)
    pdf = cache.get(key)
    if pdf is None:
        pdf = render_statement(db.session, email, start, end, locale, settings)
        cache.put(key, pdf)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="statement-{start.isoformat()}-{end.isoformat()}.pdf"'
    )
    return response
