"""Campaigns and their donation options: list, create, edit (editors and admins)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice

from campaigns.extensions import db
from campaigns.forms import (
    CheckboxesField,
    EmptyForm,
    add_translations,
    choices,
    current_actor,
    form_values,
    staff_locale,
    submit,
    with_errors,
)
from campaigns.labels import labels_of
from campaigns.languages import translation_languages
from campaigns.markdown import render_markdown
from campaigns.models import Campaign, DonationOption
from campaigns.models.campaign import CampaignStatus, Designation
from campaigns.money import CURRENCIES
from campaigns.services.content import campaign_editing
from campaigns.services.content.campaign_editing import CampaignForm, OptionForm
from campaigns.services.content.uploads import discard_images
from campaigns.staff import bp


class CampaignEditForm(FlaskForm):
    title = StringField(_l("Title"))
    slug = StringField(
        _l("Web address"), description=_l("Lower-case letters, digits and hyphens: /campaigns/…")
    )
    summary = TextAreaField(_l("Summary"), description=_l("One or two sentences for the card."))
    story = TextAreaField(
        _l("Story"),
        description=_l("Markdown: **bold**, _italic_, [links](https://…), lists, headings."),
        render_kw={"rows": 14},
    )
    next_steps = TextAreaField(
        _l("What happens next"),
        description=_l(
            "Shown on the thank-you page and in the thank-you e-mail, e.g. "
            "“Sacrifices are performed on the days of Eid; we will e-mail you when yours is done.”"
        ),
        render_kw={"rows": 3},
    )
    faq = TextAreaField(
        _l("Questions and answers"),
        description=_l(
            "One question per block: the question on the first line, its answer below; "
            "a blank line between blocks."
        ),
        render_kw={"rows": 8},
    )
    cover = FileField(
        _l("Cover photo"),
        description=_l("JPEG, PNG or WebP, at most 8 MB. Choose it again after a preview."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    cover_alt = StringField(
        _l("Cover photo description"), description=_l("What the photo shows, for screen readers.")
    )
    remove_cover = BooleanField(_l("Remove the cover photo"))
    currency = SelectField(
        _l("Currency"), choices=[SelectChoice(code) for code in CURRENCIES], validate_choice=False
    )
    goal = StringField(_l("Goal"), description=_l("In the campaign's currency, e.g. 250,000."))
    units_goal = StringField(_l("Goal in units"), description=_l("Optional, e.g. 500."))
    unit_label = StringField(_l("Unit name"), description=_l("e.g. food parcels, wells."))
    starts_on = StringField(_l("Starts on"), widget=widgets.DateInput())
    ends_on = StringField(_l("Ends on"), widget=widgets.DateInput())
    status = SelectField(
        _l("Status"), choices=choices(labels_of(CampaignStatus)), validate_choice=False
    )
    designations = CheckboxesField(
        _l("Designations offered"),
        choices=choices(labels_of(Designation)),
    )
    unit_price = StringField(
        _l("Price of one unit"),
        description=_l(
            "Optional. A gift of the donor's own amount then counts towards the units "
            "by this price, e.g. 1,500 for a food parcel."
        ),
    )
    suggested_1 = StringField(_l("Suggested amount 1"))
    # Numbered, as each language's section lists them apart from their amounts.
    impact_1 = StringField(
        _l("What amount %(n)d does", n=1),
        description=_l("Optional, e.g. food for a family for a month."),
    )
    suggested_2 = StringField(_l("Suggested amount 2"))
    impact_2 = StringField(_l("What amount %(n)d does", n=2))
    suggested_3 = StringField(_l("Suggested amount 3"))
    impact_3 = StringField(_l("What amount %(n)d does", n=3))
    suggested_4 = StringField(_l("Suggested amount 4"))
    impact_4 = StringField(_l("What amount %(n)d does", n=4))
    hide_gift_amounts = BooleanField(_l("Hide amounts in the list of recent gifts"))


class OptionEditForm(FlaskForm):
    label = StringField(_l("Label"), description=_l("e.g. One sheep, Food parcel for a family."))
    description = StringField(_l("Description"))
    price = StringField(_l("Price"))
    units = StringField(_l("Units it funds"))
    stock = StringField(_l("Stock"), description=_l("Leave empty for no limit."))
    needs_on_behalf = BooleanField(_l("Each unit needs an “on behalf of” name"))
    on_behalf_label = StringField(
        _l("What the name is for"),
        description=_l("Optional, e.g. Name on the well’s plate. Empty: Name for share 1, 2, …"),
    )
    needs_proxy = BooleanField(
        _l("The donor must authorise us to perform the sacrifice (proxy, vekalet)")
    )
    shares_per_animal = StringField(
        _l("Shares per animal"),
        description=_l("For sacrifices: 1 for a sheep, 7 for a cow share. Leave empty if none."),
    )
    position = StringField(_l("Position"), description=_l("Lower numbers come first."))
    active = BooleanField(_l("Offered on the donation form"))
    designations = CheckboxesField(
        _l("Designations it may be given for"),
        description=_l("None ticked: all of the campaign's."),
        choices=choices(labels_of(Designation)),
    )


add_translations(CampaignEditForm, Campaign.TRANSLATED)
add_translations(OptionEditForm, DonationOption.TRANSLATED)


def campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def option_or_404(campaign: Campaign, option_id: int) -> DonationOption:
    option = db.session.get(DonationOption, option_id)
    if option is None or option.campaign_id != campaign.id:
        abort(404)
    return option


@bp.get("/campaigns")
def campaigns():
    search = campaign_editing.read_search(request.args.get("q"))
    listed = campaign_editing.find_campaigns(db.session, search)
    return render_template(
        "staff/campaigns/list.html",
        campaigns=listed,
        search=search,
        complete_in=campaign_editing.complete_in,
    )


def edit_page(form: CampaignEditForm, campaign: Campaign | None, preview=None) -> str:
    if campaign is not None and campaign_editing.has_money(db.session, campaign):
        form.currency.description = _(
            "Fixed: this campaign already has donations in %(code)s.", code=campaign.currency
        )
    return render_template(
        "staff/campaigns/edit.html", form=form, campaign=campaign, preview=preview
    )


def submit_campaign(form: CampaignEditForm, campaign: Campaign | None):
    """Preview the story, or save the campaign; the same page again with the messages
    when anything is wrong."""
    if not form.validate_on_submit():
        return edit_page(form, campaign), 400
    if request.form.get("action") == "preview":
        return edit_page(form, campaign, preview=render_markdown(form.story.data))
    upload = form.cover.data
    folder = current_app.config["UPLOAD_FOLDER"]
    return submit(
        with_errors(form, lambda: edit_page(form, campaign)),
        lambda: campaign_editing.save_campaign(
            db.session,
            form_values(form, CampaignForm),
            locale=staff_locale(),
            actor=current_actor(),
            folder=folder,
            cover=upload.stream if upload else None,
            campaign=campaign,
            languages=translation_languages(),
        ),
        lambda saved: _("Saved “%(title)s”.", title=saved[0].title),
        lambda saved: url_for("staff.edit_campaign", campaign_id=saved[0].id),
        after_commit=lambda saved: discard_images(saved[1], folder),
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new_campaign():
    form = CampaignEditForm()
    if request.method == "GET":
        form.process(data=vars(CampaignForm()))
        return edit_page(form, None)
    return submit_campaign(form, None)


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
def edit_campaign(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = CampaignEditForm()
    if request.method == "GET":
        values = campaign_editing.campaign_form(campaign, staff_locale())
        form.process(data=vars(values) | values.translations)
        return edit_page(form, campaign)
    return submit_campaign(form, campaign)


def option_page(form: OptionEditForm, campaign: Campaign, option) -> str:
    return render_template(
        "staff/campaigns/option.html", form=form, campaign=campaign, option=option
    )


def submit_option(form: OptionEditForm, campaign: Campaign, option: DonationOption | None):
    if not form.validate_on_submit():
        return option_page(form, campaign, option), 400
    return submit(
        with_errors(form, lambda: option_page(form, campaign, option)),
        lambda: campaign_editing.save_option(
            db.session,
            campaign,
            form_values(form, OptionForm),
            locale=staff_locale(),
            actor=current_actor(),
            option=option,
            languages=translation_languages(),
        ),
        lambda saved: _("Saved the option “%(label)s”.", label=saved.label),
        url_for("staff.edit_campaign", campaign_id=campaign.id, _anchor="options"),
    )


@bp.route("/campaigns/<int:campaign_id>/options/new", methods=["GET", "POST"])
def new_option(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = OptionEditForm()
    if request.method == "GET":
        position = max((o.position for o in campaign.options), default=-1) + 1
        form.process(data=vars(OptionForm(position=str(position))))
        return option_page(form, campaign, None)
    return submit_option(form, campaign, None)


@bp.route("/campaigns/<int:campaign_id>/options/<int:option_id>", methods=["GET", "POST"])
def edit_option(campaign_id: int, option_id: int):
    campaign = campaign_or_404(campaign_id)
    option = option_or_404(campaign, option_id)
    form = OptionEditForm()
    if request.method == "GET":
        values = campaign_editing.option_form(option, staff_locale())
        form.process(data=vars(values) | values.translations)
        return option_page(form, campaign, option)
    return submit_option(form, campaign, option)


@bp.post("/campaigns/<int:campaign_id>/options/<int:option_id>/remove")
def remove_option(campaign_id: int, option_id: int):
    campaign = campaign_or_404(campaign_id)
    option = option_or_404(campaign, option_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    label = option.label
    deleted = campaign_editing.remove_option(db.session, option, actor=current_actor())
    db.session.commit()
    if deleted:
        flash(_("Deleted the option “%(label)s”.", label=label), "info")
    else:
        flash(
            _(
                "“%(label)s” has donations, so it was retired: hidden from the form, "
                "kept for the donations that chose it.",
                label=label,
            ),
            "info",
        )
    return redirect(url_for("staff.edit_campaign", campaign_id=campaign.id, _anchor="options"), 303)
