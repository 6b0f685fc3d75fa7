"""Qurban animals of a campaign: fill them with paid shares, move a share, mark animals
performed, print the names to read. Everyone sees them; editors and admins change them."""

from __future__ import annotations

from flask import abort, current_app, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField

from campaigns import app_settings
from campaigns.extensions import db
from campaigns.forms import (
    EmptyForm,
    current_actor,
    flash_errors,
    form_values,
    staff_locale,
    submit,
)
from campaigns.services.giving import fulfilment
from campaigns.services.giving.fulfilment import MoveForm, PerformedForm
from campaigns.staff import bp
from campaigns.staff.campaigns import campaign_or_404


class MoveShareForm(FlaskForm):
    share = HiddenField()
    current = HiddenField()
    to = StringField()
    new = BooleanField()


class MarkPerformedForm(FlaskForm):
    animals = SelectMultipleField(validate_choice=False)
    performed_on = StringField()
    place = StringField()


def animals_url(campaign_id: int, anchor: str | None = None) -> str:
    return url_for("staff.animals", campaign_id=campaign_id, _anchor=anchor)


@bp.get("/campaigns/<int:campaign_id>/animals")
def animals(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    return render_template(
        "staff/animals/list.html",
        campaign=campaign,
        animals=fulfilment.animals_of(db.session, campaign),
        waiting=fulfilment.waiting_shares(db.session, campaign),
        grouped=[o for o in campaign.options if o.shares_per_animal],
    )


@bp.post("/campaigns/<int:campaign_id>/animals/fill")
def fill_animals(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return submit(
        flash_errors(animals_url(campaign.id)),
        lambda: fulfilment.fill_animals(db.session, campaign, actor=current_actor()),
        lambda placed: (
            ngettext(
                "%(num)d share was placed in an animal.",
                "%(num)d shares were placed in animals.",
                placed,
            )
            if placed
            else _("No share was waiting.")
        ),
        animals_url(campaign.id),
    )


@bp.post("/campaigns/<int:campaign_id>/animals/move")
def move_share(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = MoveShareForm()
    if not form.validate_on_submit():
        abort(400)
    values = form_values(form, MoveForm)
    if form.new.data:
        values.to = "new"
    return submit(
        flash_errors(animals_url(campaign.id)),
        lambda: fulfilment.move_share(db.session, campaign, values, actor=current_actor()),
        lambda moved: _(
            "Moved the share of %(name)s to animal %(n)d.",
            name=moved[0].name,
            n=moved[1].number,
        ),
        lambda moved: animals_url(campaign.id, f"animal-{moved[1].number}"),
        invalid_status=303,
    )


@bp.post("/campaigns/<int:campaign_id>/animals/performed")
def animals_performed(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = MarkPerformedForm()
    if not form.validate_on_submit():
        abort(400)
    photos = [f.stream for f in request.files.getlist("photos") if f.filename]
    return submit(
        flash_errors(animals_url(campaign.id)),
        lambda: fulfilment.mark_performed(
            db.session,
            app_settings(),
            campaign,
            form_values(form, PerformedForm),
            photos,
            current_app.config["UPLOAD_FOLDER"],
            actor=current_actor(),
        ),
        lambda marked: ngettext(
            "Marked %(num)d animal performed. Donors whose shares are all performed will be "
            "e-mailed.",
            "Marked %(num)d animals performed. Donors whose shares are all performed will be "
            "e-mailed.",
            len(marked),
        ),
        animals_url(campaign.id),
        invalid_status=303,
    )


@bp.get("/campaigns/<int:campaign_id>/animals/names.pdf")
def animal_names_pdf(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    pdf = fulfilment.names_pdf(db.session, app_settings(), campaign, staff_locale())
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="names-{campaign.slug}.pdf"'
    return response
