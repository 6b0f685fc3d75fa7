"""Staff users (admins only): add accounts, change roles, deactivate and reactivate."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from campaigns.extensions import db
from campaigns.forms import EmptyForm, current_actor
from campaigns.labels import label, labels_of
from campaigns.models import StaffUser
from campaigns.models.staff import Role
from campaigns.services.people.staff import (
    MIN_PASSWORD,
    StaffError,
    add_staff_user,
    change_role,
    set_active,
    staff_users,
)
from campaigns.staff import bp, requires
from campaigns.text import OneLine, column_length

ROLE_CHOICES = [SelectChoice(role.value, text) for role, text in labels_of(Role).items()]


class AddUserForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), OneLine(), Length(max=column_length(StaffUser.email))],
        render_kw={"autocomplete": "off"},
    )
    name = StringField(
        _l("Name"), validators=[OneLine(), Length(max=column_length(StaffUser.name))]
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.VIEWER.value)
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD,
                max=200,
                message=_l("Passwords need at least %(count)d characters.", count=MIN_PASSWORD),
            ),
        ],
        description=_l("Give it to them in person; they should change it when they sign in."),
        render_kw={"autocomplete": "new-password"},
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


def staff_user_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


def users_page(form: AddUserForm, status: int = 200):
    users = staff_users(db.session)
    return render_template(
        "staff/users/list.html", users=users, form=form, roles=ROLE_CHOICES
    ), status


@bp.get("/users")
@requires("manage_staff")
def users():
    return users_page(AddUserForm())


@bp.post("/users")
@requires("manage_staff")
def add_user():
    form = AddUserForm()
    if not form.validate_on_submit():
        return users_page(form, 400)
    try:
        user = add_staff_user(
            db.session,
            current_actor(),
            email=form.email.data,
            name=form.name.data or "",
            role=Role(form.role.data),
            password=form.password.data,
        )
    except StaffError as error:
        form.email.errors.append(str(error))
        return users_page(form, 400)
    db.session.commit()
    flash(_("Added %(email)s.", email=user.email), "info")
    return redirect(url_for("staff.users"), 303)


@bp.post("/users/<int:user_id>/role")
@requires("manage_staff")
def user_role(user_id: int):
    user = staff_user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        change_role(db.session, current_actor(), user, Role(form.role.data))
    except StaffError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.users"), 303)
    db.session.commit()
    flash(_("%(email)s is now %(role)s.", email=user.email, role=label(user.role)), "info")
    return redirect(url_for("staff.users"), 303)


@bp.post("/users/<int:user_id>/deactivate")
@requires("manage_staff")
def user_deactivate(user_id: int):
    return set_user_active(user_id, active=False)


@bp.post("/users/<int:user_id>/reactivate")
@requires("manage_staff")
def user_reactivate(user_id: int):
    return set_user_active(user_id, active=True)


def set_user_active(user_id: int, active: bool):
    user = staff_user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        set_active(db.session, current_actor(), user, active)
    except StaffError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.users"), 303)
    db.session.commit()
    if active:
        flash(_("%(email)s can sign in again.", email=user.email), "info")
    else:
        flash(_("%(email)s is deactivated and signed out everywhere.", email=user.email), "info")
    return redirect(url_for("staff.users"), 303)
