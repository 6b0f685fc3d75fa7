"""Two-step sign-in, set up by each staff member for themselves on /staff/2fa: scan the QR
code, confirm a code from the app, and receive the recovery codes, shown this once.

The secret being set up lives in this browser's signed session until a code confirms it;
nothing is stored before then. With REQUIRE_STAFF_2FA, staff without two-step sign-in are
sent here after the password step and can do nothing else (``campaigns.staff``).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from campaigns import app_settings
from campaigns.extensions import db
from campaigns.forms import current_actor, form_values, show_errors
from campaigns.services import FormInvalid
from campaigns.services.people import lockout, two_factor
from campaigns.services.people.lockout import Outcome
from campaigns.services.people.staff import MAX_CODE, MAX_PASSWORD
from campaigns.services.people.two_factor import CodeForm, TurnOffForm
from campaigns.staff import bp
from campaigns.staff.auth import REQUIRED, current_password_ok

SETUP = "staff_2fa_setup"


class EnableForm(FlaskForm):
    """``two_factor.CodeForm``."""

    code = StringField(
        _l("Code from your app"),
        render_kw=REQUIRED
        | {"autocomplete": "one-time-code", "inputmode": "numeric", "dir": "ltr"}
        | {"maxlength": MAX_CODE},
    )


class DisableForm(FlaskForm):
    """``two_factor.TurnOffForm``."""

    password = PasswordField(
        _l("Password"),
        render_kw=REQUIRED | {"autocomplete": "current-password", "maxlength": MAX_PASSWORD},
    )
    code = StringField(
        _l("Code"),
        description=_l("From your authenticator app, or one of your recovery codes."),
        render_kw=REQUIRED | {"autocomplete": "one-time-code", "dir": "ltr", "maxlength": MAX_CODE},
    )


def setup_secret() -> str:
    """The secret this browser is setting up, made on the first visit."""
    secret = session.get(SETUP)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session[SETUP] = two_factor.new_secret()
    return secret


def render_page(form: FlaskForm, status: int = 200):
    user = current_user._get_current_object()
    if user.two_factor:
        return render_template(
            "staff/two_factor.html",
            form=form,
            codes_left=two_factor.recovery_codes_left(db.session, user),
            required=current_app.config["REQUIRE_STAFF_2FA"],
        ), status
    secret = setup_secret()
    uri = two_factor.setup_uri(secret, user.email, current_app.config["CHARITY_NAME"])
    return render_template(
        "staff/two_factor_setup.html",
        form=form,
        qr=two_factor.qr_data_uri(uri),
        key=two_factor.grouped(secret),
        required=current_app.config["REQUIRE_STAFF_2FA"],
    ), status


@bp.route("/2fa", methods=["GET", "POST"])
def two_factor_setup():
    if current_user.two_factor:
        return render_page(DisableForm())
    form = EnableForm()
    if not form.validate_on_submit():  # a visit, or no valid CSRF token
        return render_page(form, 400 if form.errors else 200)
    # No count of tries here: the secret is this browser's own, nothing to guess.
    user = current_user._get_current_object()
    try:
        codes = two_factor.enable(
            db.session,
            app_settings(),
            current_actor(),
            setup_secret(),
            form_values(form, CodeForm),
        )
    except FormInvalid as invalid:
        db.session.rollback()
        show_errors(form, invalid.errors)
        return render_page(form, 400)
    db.session.commit()
    session.pop(SETUP, None)
    login_user(user)  # every other session has ended: this one goes on with the new token
    return render_template("staff/recovery_codes.html", codes=codes)


@bp.post("/2fa/disable")
def two_factor_disable():
    """Turning two-step sign-in off takes the password and a code, under the lock-out
    rules: a guarded account cannot turn it off until its counts have run out."""
    user = current_user._get_current_object()
    if not user.two_factor:
        return redirect(url_for("staff.two_factor_setup"), 303)
    if current_app.config["REQUIRE_STAFF_2FA"]:
        flash(_("Two-step sign-in is required and cannot be turned off."), "error")
        return redirect(url_for("staff.two_factor_setup"), 303)
    form = DisableForm()
    if not form.validate_on_submit():  # no valid CSRF token
        return render_page(form, 400)
    try:
        typed = two_factor.read_turn_off(form_values(form, TurnOffForm))
    except FormInvalid as invalid:
        show_errors(form, invalid.errors)
        return render_page(form, 400)
    if lockout.is_guarded(app_settings(), user.email):
        flash(_("Too many failed attempts. Please try again later."), "error")
        return render_page(form, 429)
    if current_password_ok(typed.password, None) is not Outcome.OK:
        form.password.errors.append(_("Your current password is not right."))
        return render_page(form, 400)
    if not lockout.take_try(app_settings(), user.email) or not two_factor.use_code(
        db.session, app_settings(), current_actor(), typed.code
    ):
        db.session.rollback()
        form.code.errors.append(_("That code is not right. Please try again."))
        return render_page(form, 400)
    two_factor.disable(db.session, user, actor=current_actor())
    db.session.commit()
    flash(_("Two-step sign-in is off."), "info")
    return redirect(url_for("staff.two_factor_setup"), 303)
