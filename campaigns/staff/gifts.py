"""Money on the staff side (admins only): offline gifts, refunds and their reversal.

The refund form lives on a donation's page (``staff/donations/_actions.html``, included
there); this module gives that template what it needs, takes the form's POST and shows
what the refund will do (``refund_confirm.html``) before its button refunds.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice

from campaigns import app_settings
from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.forms import (
    CheckboxesField,
    choices,
    current_actor,
    flash_errors,
    form_values,
    show_errors,
    staff_locale,
    submit,
    with_errors,
)
from campaigns.labels import label, payment_method
from campaigns.models import Donation, DonationOption
from campaigns.money import format_plain
from campaigns.services import FormInvalid
from campaigns.services.books.receipts import live_receipt
from campaigns.services.giving import offline, refund_requests
from campaigns.services.giving.offline import OfflineGiftForm, PaymentMethod
from campaigns.services.giving.refund_requests import RefundForm
from campaigns.services.giving.refunds import refund_cover
from campaigns.staff import bp, requires
from campaigns.staff.campaigns import campaign_or_404
from campaigns.staff.donations import donation_page

METHOD_LABELS = {m: payment_method(m) for m in (PaymentMethod.BANK_TRANSFER, PaymentMethod.CASH)}


class OfflineGiftEditForm(FlaskForm):
    method = RadioField(_l("Paid by"), choices=choices(METHOD_LABELS), validate_choice=False)
    amount = StringField(
        _l("Amount"), description=_l("Leave empty to take the option's price × quantity.")
    )
    option = SelectField(_l("Donation option"), validate_choice=False)
    quantity = StringField(_l("Quantity"))
    designation = SelectField(_l("Designation"), validate_choice=False)
    donor_name = StringField(_l("Donor name"))
    donor_email = StringField(
        _l("Donor e-mail"), description=_l("Optional. With it, the donor gets a receipt.")
    )
    received_on = StringField(_l("Received on"), widget=widgets.DateInput())
    note = TextAreaField(_l("Note"), description=_l("e.g. the bank reference. Staff only."))


class RefundEditForm(FlaskForm):
    amount = StringField(_l("Amount to refund"))
    shares = CheckboxesField(_l("Shares to refund"))
    reason = TextAreaField(
        _l("Reason"),
        description=_l(
            "Required. Kept on the gift and in the audit log; the donor does not see it."
        ),
        render_kw={"maxlength": refund_requests.MAX_REASON, "rows": 3},
    )
    seen_refunded = HiddenField()
    version = HiddenField()
    confirm = HiddenField()  # "yes" from the confirmation page


def gift_page(form: OfflineGiftEditForm, campaign) -> str:
    return render_template("staff/gifts/new.html", form=form, campaign=campaign)


@bp.route("/campaigns/<int:campaign_id>/gifts/new", methods=["GET", "POST"])
@requires("handle_money")
def new_offline_gift(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    # Submitted values win over these defaults (what a new form offers).
    form = OfflineGiftEditForm(data=vars(OfflineGiftForm(received_on=str(local_today()))))
    options = db.session.scalars(
        select(DonationOption)
        .where(DonationOption.campaign_id == campaign.id, DonationOption.active)
        .order_by(DonationOption.position)
    )
    form.option.choices = [SelectChoice("", _("None: an amount of the donor's choice"))] + [
        SelectChoice(str(o.id), o.label) for o in options
    ]
    form.designation.choices = [SelectChoice(d.value, label(d)) for d in campaign.designation_list]
    if request.method == "GET":
        return gift_page(form, campaign)
    if not form.validate_on_submit():
        return gift_page(form, campaign), 400
    return submit(
        with_errors(form, lambda: gift_page(form, campaign)),
        lambda: offline.record_offline_gift(
            db.session,
            campaign,
            form_values(form, OfflineGiftForm),
            locale=staff_locale(),
            today=local_today(),
            actor=current_actor(),
            receipts=app_settings().receipts,
        ),
        lambda donation: _("Recorded the gift of %(name)s.", name=donation.donor_name),
        lambda donation: url_for("staff.donation", donation_id=donation.id),
    )


def share_label(share: refund_requests.Share) -> str:
    return share.name or _("Share %(n)d", n=share.index + 1)


def with_shares(form: RefundEditForm, donation: Donation) -> RefundEditForm:
    form.shares.choices = [
        SelectChoice(str(share.index), share_label(share))
        for share in refund_requests.shares_left(donation)
    ]
    return form


def refund_form(donation: Donation) -> RefundEditForm:
    """The refund form for a donation's page: the shares left to choose from, or the
    amount left, offered."""
    left = refund_requests.refundable(donation)
    form = RefundEditForm(
        formdata=None,
        data={
            "amount": format_plain(left, donation.currency, staff_locale()) if left else "",
            "seen_refunded": str(donation.refunded_amount),
            "version": str(donation.version),
        },
    )
    return with_shares(form, donation)


@bp.context_processor
def refund_helpers() -> dict:
    """For ``staff/donations/_actions.html`` on the donation page."""
    return {
        "refund_form": refund_form,
        "refundable": refund_requests.refundable,
        "is_offline": offline.is_offline,
    }


@bp.post("/donations/<int:donation_id>/refund")
@requires("handle_money")
def refund_donation(donation_id: int):
    """Two steps: the donation page's form leads to a page showing what the refund will
    do; its button (``confirm``) refunds."""
    donation = db.session.get(Donation, donation_id)
    if donation is None:
        abort(404)
    form = with_shares(RefundEditForm(), donation)
    if not form.validate_on_submit():
        abort(400)
    values = form_values(form, RefundForm)
    target = url_for("staff.donation", donation_id=donation.id)
    if form.confirm.data != "yes":
        return _confirmation(donation, form, values, target)

    def refund() -> bool:
        plan = refund_requests.claim_refund(db.session, donation, values, locale=staff_locale())
        db.session.commit()  # the claim stands before the provider is asked
        return refund_requests.refund_donation(
            db.session,
            current_app.extensions["payment_provider"],
            app_settings(),
            donation,
            plan,
            actor=current_actor(),
        )

    def refunded(settled: bool) -> str:
        if offline.is_offline(donation):
            return _("Reversed: the gift is taken off the totals.")
        if settled:
            return _("Refunded: the totals are updated.")
        return _("Refund requested; the totals change when Stripe confirms.")

    return submit(flash_errors(target), refund, refunded, target, invalid_status=303)


def _confirmation(donation: Donation, form: RefundEditForm, values: RefundForm, target: str):
    """What the refund will do, to be confirmed; the form again with its messages when
    it cannot be done as filled in, or back to the gift when the gift changed."""
    try:
        plan = refund_requests.plan_refund(donation, values, locale=staff_locale())
    except FormInvalid as invalid:
        if "" in invalid.errors:
            return flash_errors(target)(invalid.errors)
        show_errors(form, invalid.errors)
        return donation_page(donation.id, refund_edit=form), 422
    return render_template(
        "staff/donations/refund_confirm.html",
        donation=donation,
        form=form,
        plan=plan,
        share_label=share_label,
        voided=live_receipt(db.session, donation),
        kept=donation.amount - donation.refunded_amount - plan.amount,
        cover=refund_cover(
            db.session,
            donation,
            plan.amount,
            full=plan.amount == donation.amount - donation.refunded_amount,
        ),
        notice=refund_requests.preview_notice(db.session, app_settings(), donation, plan),
    )
