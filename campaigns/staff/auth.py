"""Sign-in, sign-out and password change."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from campaigns.extensions import db, limiter
from campaigns.forms import EmptyForm
from campaigns.services.audit import record_change
from campaigns.services.staff import (
    MIN_PASSWORD,
    StaffError,
    authenticate,
    change_password,
    end_sessions,
)
from campaigns.staff import bp
from campaigns.text import OneLine, has_unsafe


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), OneLine(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD,
                max=200,
                message=_l("Passwords need at least %(count)d characters.", count=MIN_PASSWORD),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


def login_account_key() -> str:
    """Failed sign-ins are also counted per account, whatever address they come from."""
    return "staff-login:" + request.form.get("email", "").strip().lower()[:254]


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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["STAFF_LOGIN_RATE_LIMIT"],
    methods=["POST"],
    deduct_when=failed_sign_in,
)
@limiter.limit(
    lambda: current_app.config["STAFF_ACCOUNT_RATE_LIMIT"],
    key_func=login_account_key,
    methods=["POST"],
    deduct_when=failed_sign_in,
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session at sign-in: nothing carried over
            login_user(user)
            record_change(
                db.session,
                actor=user,
                action="staff.sign_in",
                entity_type="staff_user",
                entity_id=user.id,
                address=request.remote_addr,
            )
            db.session.commit()
            return redirect(safe_next(request.args.get("next")), 303)
        flash(_("That e-mail and password do not match an active staff account."), "error")
        return render_template("staff/login.html", form=form), 401
    return render_template("staff/login.html", form=form), 400 if form.errors else 200


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
        actor=current_user,
        action=action,
        entity_type="staff_user",
        entity_id=current_user.id,
        address=request.remote_addr,
    )
    db.session.commit()
    logout_user()
    session.clear()


@bp.route("/password", methods=["GET", "POST"])
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data, form.new.data)
        except StaffError as error:
            form.current.errors.append(str(error))
        else:
            sign_out("staff.password_change")
            flash(_("Password changed. Please sign in with your new password."), "info")
            return redirect(url_for("staff.login"), 303)
    return render_template("staff/password.html", form=form), 400 if form.errors else 200
