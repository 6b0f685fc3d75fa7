"""Sign-in (password, then the second step when the account has one), sign-out and
password change.

Sign-in is two steps for staff with two-step sign-in: the password step leaves only a
pending state in the (signed) session, naming the account's session token and when the
password passed; Flask-Login signs the user in only once the code passes too, within
PENDING_SECONDS. The lock-out rules (``services.lockout``) apply to both steps and to the
current password on /staff/password.
"""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash
from wtforms import EmailField, PasswordField, StringField

from campaigns import app_settings
from campaigns.extensions import db, limiter
from campaigns.forms import EmptyForm, current_actor, form_values, show_errors
from campaigns.models import StaffUser
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change
from campaigns.services.people import lockout, two_factor
from campaigns.services.people.lockout import Outcome
from campaigns.services.people.staff import (
    MAX_CODE,
    MAX_PASSWORD,
    MIN_PASSWORD,
    PasswordChangeForm,
    SignInForm,
    authenticate,
    end_sessions,
    read_password_change,
    read_sign_in,
    set_password,
)
from campaigns.staff import bp
from campaigns.text import column_length, has_unsafe

PENDING = "staff_pending_sign_in"
PENDING_SECONDS = 300
CODE_FIELD = {"autocomplete": "one-time-code", "inputmode": "numeric", "dir": "ltr"}
# What the browser may check before sending (the services read every field again).
REQUIRED = {"required": True}
PASSWORD_FIELD = REQUIRED | {"maxlength": MAX_PASSWORD}


def email_code_field():
    return StringField(_l("Code from the e-mail"), render_kw=CODE_FIELD | {"maxlength": MAX_CODE})


class LoginForm(FlaskForm):
    """``staff.SignInForm``."""

    email = EmailField(
        _l("E-mail"),
        render_kw=REQUIRED
        | {"autocomplete": "username", "maxlength": column_length(StaffUser.email)},
    )
    password = PasswordField(
        _l("Password"), render_kw=PASSWORD_FIELD | {"autocomplete": "current-password"}
    )
    code = email_code_field()


class SecondStepForm(FlaskForm):
    """``two_factor.CodeForm``."""

    code = StringField(
        _l("Code"),
        description=_l("From your authenticator app, or one of your recovery codes."),
        render_kw=REQUIRED
        | {"autocomplete": "one-time-code", "dir": "ltr", "autofocus": True, "maxlength": MAX_CODE},
    )


class PasswordForm(FlaskForm):
    """``staff.PasswordChangeForm``."""

    current = PasswordField(
        _l("Current password"), render_kw=REQUIRED | {"autocomplete": "current-password"}
    )
    new = PasswordField(
        _l("New password"),
        render_kw=PASSWORD_FIELD | {"minlength": MIN_PASSWORD, "autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"), render_kw=REQUIRED | {"autocomplete": "new-password"}
    )
    code = email_code_field()


def failed_sign_in(response) -> bool:
    return response.status_code != 303


def safe_next(target: str | None) -> str:
    """Only paths inside the staff side: never an open redirect to another site, nor a
    header broken by a line end (an unsafe target is no target)."""
    if (
        target
        and target.startswith("/staff")
        and "//" not in target
        and "\\" not in target
        and not has_unsafe(target)
    ):
        return target
    return url_for("staff.dashboard")


def lockout_message(outcome: Outcome) -> None:
    """Flash what a refused password check means; the same words whether the password
    was right or not."""
    if outcome is Outcome.CODE_NEEDED:
        flash(
            _(
                "Too many failed sign-ins for this account. If the password is right, we "
                "have e-mailed a code: enter it with your password."
            ),
            "info",
        )
    elif outcome is Outcome.CODE_WRONG:
        flash(_("That e-mail, password and code do not match."), "error")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["STAFF_LOGIN_RATE_LIMIT"],
    methods=["POST"],
    deduct_when=failed_sign_in,
)
def login():
    form = LoginForm()

    def page(ask_code: bool) -> str:
        return render_template("staff/login.html", form=form, ask_code=ask_code)

    if not form.validate_on_submit():  # a visit, or no valid CSRF token
        return page(bool(form.code.data)), 400 if form.errors else 200
    try:
        typed = read_sign_in(form_values(form, SignInForm))
    except FormInvalid as invalid:
        show_errors(form, invalid.errors)
        return page(bool(form.code.data)), 400
    user = authenticate(db.session, typed.email, typed.password)
    outcome = lockout.check(db.session, app_settings(), typed.email, user, typed.code)
    if outcome is Outcome.OK:
        return password_passed(user)
    db.session.commit()  # an e-mailed code, or a try at one
    if outcome is Outcome.WRONG:
        flash(_("That e-mail and password do not match an active staff account."), "error")
    lockout_message(outcome)
    return page(outcome is not Outcome.WRONG), 401


def password_passed(user: StaffUser):
    """The password step passed: sign in, or go on to the second step."""
    target = safe_next(request.args.get("next"))
    session.clear()  # a fresh session at sign-in: nothing carried over
    if user.two_factor:
        session[PENDING] = {"token": user.session_token, "at": int(time.time()), "next": target}
        db.session.commit()
        return redirect(url_for("staff.login_code"), 303)
    complete_sign_in(user)
    return redirect(target, 303)


def complete_sign_in(user: StaffUser) -> None:
    session.clear()
    login_user(user)
    user.locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    record_change(
        db.session,
        actor=Actor(user, request.remote_addr),
        action="staff.sign_in",
        entity_type="staff_user",
        entity_id=user.id,
    )
    db.session.commit()


def pending_sign_in() -> tuple[StaffUser, str] | None:
    """The account whose password passed in this session less than PENDING_SECONDS ago,
    and where to go next; None when there is none (or it ended: sign-out everywhere,
    a new password or a deactivation rotate the token it names)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int):
        return None
    if not 0 <= time.time() - pending["at"] <= PENDING_SECONDS:
        return None
    user = db.session.scalars(
        select(StaffUser).where(
            StaffUser.session_token == str(pending.get("token")), StaffUser.active
        )
    ).first()
    if user is None or not user.two_factor:
        return None
    return user, safe_next(pending.get("next"))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["STAFF_LOGIN_RATE_LIMIT"],
    methods=["POST"],
    deduct_when=failed_sign_in,
)
def login_code():
    pending = pending_sign_in()
    if pending is None:
        if session.pop(PENDING, None) is not None:
            flash(_("Please sign in again."), "info")
        return redirect(url_for("staff.login"))
    user, target = pending
    form = SecondStepForm()

    def page() -> str:
        return render_template("staff/login_code.html", form=form)

    if not form.validate_on_submit():  # a visit, or no valid CSRF token
        return page(), 400 if form.errors else 200
    try:
        code = two_factor.read_second_step(form_values(form, two_factor.CodeForm))
    except FormInvalid as invalid:
        show_errors(form, invalid.errors)
        return page(), 400
    if not lockout.take_try(app_settings(), user.email):
        session.pop(PENDING, None)
        flash(_("Too many wrong codes. Please sign in again."), "error")
        return redirect(url_for("staff.login"), 303)
    if two_factor.use_code(db.session, app_settings(), Actor(user, request.remote_addr), code):
        complete_sign_in(user)
        return redirect(target, 303)
    db.session.rollback()
    form.code.errors.append(_("That code is not right. Please try again."))
    return page(), 401


@bp.post("/logout")
def logout():
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("staff.dashboard"))
    end_sessions(current_user)
    sign_out("staff.sign_out")
    return redirect(url_for("staff.login"), 303)


def sign_out(action: str) -> None:
    """Audit ``action`` on the signed-in user, commit, and end this browser's session."""
    record_change(
        db.session,
        actor=current_actor(),
        action=action,
        entity_type="staff_user",
        entity_id=current_user.id,
    )
    db.session.commit()
    logout_user()
    session.clear()


def current_password_ok(password: str, code: str | None) -> Outcome:
    """The lock-out rules for the signed-in user's current password (password change,
    turning two-step sign-in off)."""
    user = current_user._get_current_object()
    right = check_password_hash(user.password_hash, password)
    return lockout.check(db.session, app_settings(), user.email, user if right else None, code)


@bp.route("/password", methods=["GET", "POST"])
def password():
    form = PasswordForm()

    def page(ask_code: bool) -> str:
        return render_template("staff/password.html", form=form, ask_code=ask_code)

    if not form.validate_on_submit():  # a visit, or no valid CSRF token
        return page(bool(form.code.data)), 400 if form.errors else 200
    try:
        typed = read_password_change(form_values(form, PasswordChangeForm))
    except FormInvalid as invalid:
        show_errors(form, invalid.errors)
        return page(bool(form.code.data)), 400
    outcome = current_password_ok(typed.current, typed.code)
    if outcome is not Outcome.OK:
        db.session.commit()  # an e-mailed code, or a try at one
        ask_code = outcome is not Outcome.WRONG
        if ask_code:
            lockout_message(outcome)
        else:
            form.current.errors.append(_("Your current password is not right."))
        return page(ask_code), 400
    set_password(current_user, typed.new)
    sign_out("staff.password_change")
    flash(_("Password changed. Please sign in with your new password."), "info")
    return redirect(url_for("staff.login"), 303)
