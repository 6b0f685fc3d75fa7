"""Staff users (admins only): add accounts, change roles, deactivate and reactivate."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from campaigns.extensions import db
from campaigns.forms import (
    EmptyForm,
    current_actor,
    flash_errors,
    form_values,
    submit,
    with_errors,
)
from campaigns.labels import label, labels_of
from campaigns.models import StaffUser
from campaigns.models.staff import Role
from campaigns.services.people import staff
from campaigns.services.people.staff import MAX_PASSWORD, MIN_PASSWORD, NewStaffForm
from campaigns.staff import bp, requires
from campaigns.text import column_length

ROLE_CHOICES = [SelectChoice(role.value, text) for role, text in labels_of(Role).items()]


class AddUserForm(FlaskForm):
    """``staff.NewStaffForm``; the service checks the role, as every select's value."""

    email = EmailField(
        _l("E-mail"),
        render_kw={
            "autocomplete": "off",
            "maxlength": column_length(StaffUser.email),
            "required": True,
        },
    )
    name = StringField(_l("Name"), render_kw={"maxlength": column_length(StaffUser.name)})
    role = SelectField(
        _l("Role"), choices=ROLE_CHOICES, default=Role.VIEWER.value, validate_choice=False
    )
    password = PasswordField(
        _l("Initial password"),
        description=_l("Give it to them in person; they should change it when they sign in."),
        render_kw={
            "autocomplete": "new-password",
            "maxlength": MAX_PASSWORD,
            "minlength": MIN_PASSWORD,
            "required": True,
        },
    )


class RoleEditForm(FlaskForm):
    """``staff.RoleForm``."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)


def staff_user_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


def users_page(form: AddUserForm) -> str:
    users = staff.staff_users(db.session)
    return render_template("staff/users/list.html", users=users, form=form, roles=ROLE_CHOICES)


@bp.get("/users")
@requires("manage_staff")
def users():
    return users_page(AddUserForm())


@bp.post("/users")
@requires("manage_staff")
def add_user():
    form = AddUserForm()
    if not form.validate_on_submit():  # no valid CSRF token
        return users_page(form), 400
    return submit(
        with_errors(form, lambda: users_page(form)),
        lambda: staff.add_staff_user(db.session, current_actor(), form_values(form, NewStaffForm)),
        lambda user: _("Added %(email)s.", email=user.email),
        url_for("staff.users"),
        invalid_status=400,
    )


@bp.post("/users/<int:user_id>/role")
@requires("manage_staff")
def user_role(user_id: int):
    user = staff_user_or_404(user_id)
    form = RoleEditForm()
    if not form.validate_on_submit():  # no valid CSRF token
        abort(400)
    target = url_for("staff.users")
    return submit(
        flash_errors(target),
        lambda: staff.change_role(
            db.session, current_actor(), user, form_values(form, staff.RoleForm)
        ),
        lambda _none: _("%(email)s is now %(role)s.", email=user.email, role=label(user.role)),
        target,
        invalid_status=303,
    )


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
    target = url_for("staff.users")
    if active:
        done = _("%(email)s can sign in again.", email=user.email)
    else:
        done = _("%(email)s is deactivated and signed out everywhere.", email=user.email)
    return submit(
        flash_errors(target),
        lambda: staff.set_active(db.session, current_actor(), user, active),
        done,
        target,
        invalid_status=303,
    )
