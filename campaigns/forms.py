"""One way to read a form, for every blueprint.

1. Request to typed input: the service's input dataclass (raw strings; a bool for a
   checkbox, a list for a repeated field), its fields named as the form's inputs, which
   are the public contract's names. Staff pages read it through a ``FlaskForm`` with no
   validators (``form_values``): the form parses the request, checks the CSRF token and
   renders labels, hints and widgets. The public donation form, a hand-written template,
   reads its dataclass straight from the posted fields (``donations.forms.gift_form``).
2. Service: validates every field by the rules of ``campaigns.text`` (the ``read_*``
   helpers; lengths from the model columns) and the database's own rules, and raises
   ``FormInvalid`` with a message per field, changing nothing; or it does its work and
   flushes.
3. Template: ``submit`` is the edge. On FormInvalid it rolls back and shows the page
   again with the messages beside their fields (``show_errors``); otherwise it commits,
   flashes and redirects. A button with no page of its own (publish, deactivate, a
   role on a list) flashes the messages and goes back instead (``flash_errors``). Steps
   that answer otherwise (sign-in, its second step, two-step set-up) catch FormInvalid
   and call ``show_errors`` themselves.

No form declares WTForms validators: a field's ``required`` and ``maxlength`` attributes,
where a page shows them, are ``render_kw`` from the same constants the service reads by.

Why this pipeline rather than WTForms validators: most checks need the database or the
campaign (stock, currency, designations, a slug in use), which only a service has, so
validators would split a form's rules between two places; the services are also called
from commands and tests without a request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import TypeVar

from flask import flash, redirect, request
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import Form, FormField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice

from campaigns.extensions import db
from campaigns.languages import LANGUAGE_NAMES, translation_languages
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor

T = TypeVar("T")


class EmptyForm(FlaskForm):
    """CSRF protection for POST-only buttons (Pay, Cancel, Sign out)."""


def choices(labels: dict) -> list[SelectChoice]:
    """Select options from an enum's labels."""
    return [SelectChoice(member.value, label) for member, label in labels.items()]


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (no script needed). The service checks the values,
    with its own message, as for every select on these forms (validate_choice=False)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, validate_choice=False, **kwargs)

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def staff_locale() -> str:
    """The locale staff type numbers and amounts in."""
    return str(get_locale() or "en")


def current_actor() -> Actor:
    """The signed-in staff member and their address, for the audit log."""
    return Actor(current_user._get_current_object(), request.remote_addr)


def add_translations(form_class: type[FlaskForm], names: tuple[str, ...]) -> None:
    """Give ``form_class`` a sub-form per language holding its fields ``names`` again,
    posted as ``tr-title``, ``ar-summary``...: the same labels, hints and limits. A page
    shows those of ``translation_languages()``; the source fields keep their names."""
    texts = type(
        f"{form_class.__name__}Texts", (Form,), {name: getattr(form_class, name) for name in names}
    )
    for code in LANGUAGE_NAMES:
        setattr(form_class, code, FormField(texts, separator="-"))


def form_values(form: FlaskForm, target: type[T]) -> T:
    """The service's input dataclass from the submitted fields of the same names; its
    ``translations``, if it has them, from the sub-forms of ``translation_languages()``."""
    values = {
        f.name: form[f.name].data
        for f in fields(target)
        if f.name in form and form[f.name].data is not None
    }
    if "translations" in {f.name for f in fields(target)}:
        values["translations"] = {
            code: form[code].data for code in translation_languages() if code in form
        }
    return target(**values)


def _field_named(form: FlaskForm, name: str):
    """The field called ``name``, or a language sub-form's field for ``tr-title``."""
    field = form._fields.get(name)
    if field is None and "-" in name:
        code, rest = name.split("-", 1)
        group = form._fields.get(code)
        if isinstance(group, FormField):
            return group.form._fields.get(rest)
    return field


def show_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Put a service's messages beside the fields they concern ("" above the form)."""
    for name, message in errors.items():
        field = _field_named(form, name)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def with_errors(form: FlaskForm, page: Callable[[], str]) -> Callable[[dict[str, str]], str]:
    """``submit``'s form page for a staff form: ``page()`` rendered once the service's
    messages are beside ``form``'s fields."""

    def show(errors: dict[str, str]) -> str:
        show_errors(form, errors)
        return page()

    return show


def flash_errors(target: str) -> Callable[[dict[str, str]], Response]:
    """``submit``'s form page for a button with no page of its own: each message flashed,
    and back to ``target`` (with ``invalid_status=303``)."""

    def show(errors: dict[str, str]) -> Response:
        for message in errors.values():
            flash(message, "error")
        return redirect(target, 303)

    return show


def submit(
    form_page: Callable[[dict[str, str]], object],
    action: Callable[[], T],
    success_message: Callable[[T], str] | str | None,
    redirect_to: Callable[[T], str] | str,
    *,
    invalid_status: int = 422,
    after_commit: Callable[[T], None] | None = None,
):
    """Run ``action`` (a service call); on FormInvalid roll back and return
    ``form_page(errors)`` with ``invalid_status``. Otherwise commit, run ``after_commit``
    (e.g. discard replaced files), flash the message (none if None) and redirect (303).
    The message and the target may be functions of what ``action`` returned."""
    try:
        result = action()
    except FormInvalid as invalid:
        db.session.rollback()
        return form_page(invalid.errors), invalid_status
    db.session.commit()
    if after_commit is not None:
        after_commit(result)
    message = success_message(result) if callable(success_message) else success_message
    if message is not None:
        flash(message, "info")
    target = redirect_to(result) if callable(redirect_to) else redirect_to
    return redirect(target, 303)
