"""Deliveries of a campaign's units: the list, and recording one (editors and admins)."""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, widgets

from campaigns import app_settings
from campaigns.extensions import db
from campaigns.forms import current_actor, form_values, submit, with_errors
from campaigns.services.giving import deliveries
from campaigns.services.giving.deliveries import DeliveryForm
from campaigns.staff import bp
from campaigns.staff.campaigns import campaign_or_404


class DeliveryEditForm(FlaskForm):
    units = StringField(_l("Units delivered"), render_kw={"inputmode": "numeric"})
    delivered_on = StringField(_l("Day"), widget=widgets.DateInput())
    note = StringField(
        _l("Note"), description=_l("Optional: a well's plate name, where the parcels went.")
    )
    photo = FileField(
        _l("Photo (optional)"), render_kw={"accept": "image/jpeg,image/png,image/webp"}
    )


def deliveries_page(form: DeliveryEditForm, campaign) -> str:
    return render_template(
        "staff/deliveries.html",
        form=form,
        campaign=campaign,
        deliveries=deliveries.deliveries_of(db.session, campaign),
    )


@bp.route("/campaigns/<int:campaign_id>/deliveries", methods=["GET", "POST"])
def campaign_deliveries(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = DeliveryEditForm()
    if not form.validate_on_submit():
        return deliveries_page(form, campaign), 400 if form.is_submitted() else 200
    upload = form.photo.data
    return submit(
        with_errors(form, lambda: deliveries_page(form, campaign)),
        lambda: deliveries.record_delivery(
            db.session,
            app_settings(),
            campaign,
            form_values(form, DeliveryForm),
            upload.stream if upload else None,
            current_app.config["UPLOAD_FOLDER"],
            actor=current_actor(),
        ),
        lambda delivery: ngettext(
            "Recorded %(num)d unit delivered.", "Recorded %(num)d units delivered.", delivery.units
        ),
        url_for("staff.campaign_deliveries", campaign_id=campaign.id),
    )
