"""Activity reports: list, create, edit, publish and unpublish (editors and admins).

No script is needed: the form offers blank figure rows and photo slots, and a Preview
button that renders the body on the server.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice

from campaigns import app_settings
from campaigns.extensions import db
from campaigns.forms import (
    CheckboxesField,
    EmptyForm,
    add_translations,
    current_actor,
    flash_errors,
    show_errors,
    staff_locale,
    submit,
)
from campaigns.languages import translation_languages
from campaigns.markdown import render_markdown
from campaigns.models import ActivityReport, Campaign, ReportFigure, ReportImage
from campaigns.services.content import report_editing
from campaigns.services.content.report_editing import NewPhoto, ReportForm
from campaigns.services.content.uploads import discard_images
from campaigns.staff import bp
from campaigns.text import column_length

BLANK_FIGURE_ROWS = 5
PHOTO_SLOTS = 3
MAX_LENGTHS = {
    "figure_label": column_length(ReportFigure.label),
    "alt": column_length(ReportImage.alt),
}


class ReportEditForm(FlaskForm):
    title = StringField(_l("Title"))
    slug = StringField(_l("Web address"), description=_l("/reports/…, e.g. winter-tents-hatay"))
    happened_on = StringField(_l("Date"), widget=widgets.DateInput())
    place = StringField(_l("Place"))
    summary = TextAreaField(_l("Summary"), description=_l("One or two sentences for the card."))
    body = TextAreaField(
        _l("Report"),
        description=_l("Markdown: **bold**, _italic_, [links](https://…), lists, headings."),
        render_kw={"rows": 14},
    )
    campaigns = CheckboxesField(_l("Campaigns it reports on"))


add_translations(ReportEditForm, ActivityReport.TRANSLATED)


def report_or_404(report_id: int) -> ActivityReport:
    report = db.session.get(ActivityReport, report_id)
    if report is None:
        abort(404)
    return report


def new_form(values: ReportForm | None = None) -> ReportEditForm:
    """The form with its campaign choices; filled from ``values`` (GET) or the request."""
    if values is None:
        form = ReportEditForm()
    else:
        form = ReportEditForm(
            formdata=None,
            data=vars(values) | values.translations | {"campaigns": values.campaign_ids},
        )
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.title))
    form.campaigns.choices = [SelectChoice(str(c.id), c.title) for c in campaigns]
    return form


def submitted(form: ReportEditForm, report: ActivityReport | None) -> ReportForm:
    """What was sent: the fields, the figure rows, the photos' descriptions and files."""
    images = report.images if report is not None else []
    languages = translation_languages()
    labels = request.form.getlist("figure_label")
    photos = []
    for slot in range(PHOTO_SLOTS):
        upload = request.files.get(f"photo_{slot}")
        file = upload.stream if upload is not None and upload.filename else None
        photos.append(NewPhoto(file=file, alt=request.form.get(f"photo_alt_{slot}", "")))
    return ReportForm(
        title=form.title.data or "",
        slug=form.slug.data or "",
        summary=form.summary.data or "",
        body=form.body.data or "",
        place=form.place.data or "",
        happened_on=form.happened_on.data or "",
        figures=list(zip(labels, request.form.getlist("figure_value"), strict=False)),
        campaign_ids=form.campaigns.data or [],
        image_alts={i.id: request.form.get(f"image_alt_{i.id}", i.alt) for i in images},
        remove_images={i.id for i in images if request.form.get(f"image_remove_{i.id}")},
        new_photos=photos,
        translations={code: form[code].data for code in languages},
        figure_labels=[
            {code: request.form.get(f"{code}-figure_label-{index}", "") for code in languages}
            for index in range(len(labels))
        ],
        image_alt_translations={
            i.id: {
                code: request.form.get(f"{code}-image_alt_{i.id}", i.translation("alt", code))
                for code in languages
            }
            for i in images
        },
    )


def edit_page(
    form: ReportEditForm,
    report: ActivityReport | None,
    values: ReportForm,
    *,
    errors: dict[str, str] | None = None,
    preview=None,
) -> str:
    filled = [i for i, row in enumerate(values.figures) if any(cell.strip() for cell in row)]
    rows = [values.figures[i] for i in filled]
    # Each kept row's translations, by language, in the order of ``rows``.
    labels = [values.figure_labels[i] if i < len(values.figure_labels) else {} for i in filled]
    return render_template(
        "staff/reports/edit.html",
        form=form,
        report=report,
        figure_rows=rows + [("", "")] * BLANK_FIGURE_ROWS,
        figure_labels=labels,
        image_alt_translations=values.image_alt_translations,
        also_missing={
            code: missing_inputs(rows, labels, report, code) for code in translation_languages()
        },
        image_alts=values.image_alts,
        removed=values.remove_images,
        photo_slots=range(PHOTO_SLOTS),
        errors=errors or {},
        preview=preview,
        max_length=MAX_LENGTHS,
    )


def missing_inputs(
    rows: list[tuple[str, str]],
    labels: list[dict[str, str]],
    report: ActivityReport | None,
    code: str,
) -> list[str]:
    """The figure labels and photo descriptions not yet written in ``code``."""
    missing = [
        _("Figure %(n)d: label", n=n)
        for n, ((label, _value), typed) in enumerate(zip(rows, labels, strict=True), 1)
        if label and not typed.get(code)
    ]
    images = report.images if report is not None else []
    missing += [
        _("Photo %(n)d: description", n=n)
        for n, image in enumerate(images, 1)
        if not image.translation("alt", code)
    ]
    return missing


@bp.get("/reports")
def reports():
    listed = db.session.scalars(
        select(ActivityReport).order_by(ActivityReport.happened_on.desc(), ActivityReport.id.desc())
    )
    return render_template("staff/reports/list.html", reports=list(listed))


def submit_report(report: ActivityReport | None):
    form = new_form()
    values = submitted(form, report)
    if not form.validate_on_submit():
        return edit_page(form, report, values), 400
    if request.form.get("action") == "preview":
        return edit_page(form, report, values, preview=render_markdown(values.body))
    folder = current_app.config["UPLOAD_FOLDER"]

    def invalid_page(errors: dict[str, str]) -> str:
        show_errors(form, errors)
        return edit_page(form, report, values, errors=errors)

    return submit(
        invalid_page,
        lambda: report_editing.save_report(
            db.session,
            values,
            locale=staff_locale(),
            actor=current_actor(),
            folder=folder,
            report=report,
            languages=translation_languages(),
        ),
        lambda saved: _("Saved “%(title)s”.", title=saved[0].title),
        lambda saved: url_for("staff.edit_report", report_id=saved[0].id),
        after_commit=lambda saved: discard_images(saved[1], folder),
    )


@bp.route("/reports/new", methods=["GET", "POST"])
def new_report():
    if request.method == "POST":
        return submit_report(None)
    values = ReportForm()
    return edit_page(new_form(values), None, values)


@bp.route("/reports/<int:report_id>", methods=["GET", "POST"])
def edit_report(report_id: int):
    report = report_or_404(report_id)
    if request.method == "POST":
        return submit_report(report)
    values = report_editing.report_form(report)
    return edit_page(new_form(values), report, values)


@bp.post("/reports/<int:report_id>/publish")
def publish_report(report_id: int):
    report = report_or_404(report_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    target = url_for("staff.edit_report", report_id=report.id)
    return submit(
        flash_errors(target),
        lambda: report_editing.publish_report(
            db.session, app_settings(), report, actor=current_actor()
        ),
        published,
        target,
        invalid_status=303,
    )


def published(queued: int) -> str:
    if queued:
        return ngettext(
            "Published. %(num)d donor who asked for news will get an e-mail.",
            "Published. %(num)d donors who asked for news will get an e-mail.",
            queued,
        )
    return _("Published; no e-mails to send.")


@bp.post("/reports/<int:report_id>/unpublish")
def unpublish_report(report_id: int):
    report = report_or_404(report_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    target = url_for("staff.edit_report", report_id=report.id)
    return submit(
        flash_errors(target),
        lambda: report_editing.unpublish_report(db.session, report, actor=current_actor()),
        _("Taken off the site; it is a draft again."),
        target,
        invalid_status=303,
    )
