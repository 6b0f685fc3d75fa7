"""Bank transfers on the staff side (admins and editors): importing statements, the
queue of lines no pledge matched and the decision on each, and banks' CSV columns."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from campaigns import app_settings
from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.forms import current_actor, form_values, staff_locale, submit, with_errors
from campaigns.labels import label
from campaigns.models import BankLine, Campaign
from campaigns.models.campaign import Designation
from campaigns.money import CURRENCIES
from campaigns.services import FormInvalid
from campaigns.services.giving import bank_import, bank_queue
from campaigns.services.giving.bank import bank_figures
from campaigns.staff import bp, requires
from campaigns.statements import StatementError


class ImportForm(FlaskForm):
    file = FileField(
        _l("Statement file"),
        description=_l("MT940, camt.053 XML, or the CSV of a bank whose columns are set below."),
    )


class CsvColumnsForm(FlaskForm):
    bank = StringField(_l("Bank"))
    date_column = StringField(_l("Date column"))
    description_column = StringField(_l("Description column"))
    amount_column = StringField(_l("Amount column"))
    currency_column = StringField(
        _l("Currency column"), description=_l("Leave empty when every line is in one currency.")
    )
    currency = SelectField(_l("Currency"), choices=list(CURRENCIES), validate_choice=False)
    transaction_id_column = StringField(_l("Transaction id column (if any)"))
    sender_column = StringField(_l("Sender column (if any)"))


class MatchEditForm(FlaskForm):
    code = StringField(_l("Reference code"))
    pledge = StringField()


class LineGiftEditForm(FlaskForm):
    campaign = SelectField(_l("Campaign"), validate_choice=False)
    donor_name = StringField(_l("Donor name"))
    donor_email = StringField(
        _l("Donor e-mail"), description=_l("Optional. With it, the donor gets a receipt.")
    )
    designation = SelectField(_l("Designation"), validate_choice=False)


class DismissEditForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), description=_l("e.g. a refund from a supplier."))


def bank_page(form: ImportForm, columns: CsvColumnsForm, report=None) -> str:
    return render_template(
        "staff/bank/index.html",
        form=form,
        columns=columns,
        report=report,
        figures=bank_figures(db.session),
        waiting=bank_queue.waiting_lines(db.session),
        recent=bank_queue.recent_lines(db.session),
        formats=bank_import.csv_formats(db.session),
    )


@bp.route("/bank", methods=["GET", "POST"])
@requires("edit")
def bank():
    """The import page: upload a statement; below, the lines waiting and those done."""
    form, columns = ImportForm(), CsvColumnsForm(formdata=None)
    if request.method == "GET":
        return bank_page(form, columns)
    if not form.validate_on_submit():
        abort(400)
    upload = form.file.data

    def run():
        if upload is None or not upload.filename:
            raise FormInvalid({"file": _("Please choose a statement file.")})
        try:
            statement = bank_import.parse_file(db.session, upload.read())
        except StatementError as error:
            raise FormInvalid({"file": str(error)}) from error
        return bank_import.import_statement(
            db.session,
            app_settings(),
            statement,
            file_name=upload.filename,
            actor=current_actor(),
            today=local_today(),
        )

    def imported(report) -> str:
        return _(
            "Imported %(credits)d credits: %(new)d new, %(matched)d paid a pledge, "
            "%(waiting)d wait for you, %(known)d were imported before.",
            credits=report.credits,
            new=report.new,
            matched=report.matched,
            waiting=report.waiting,
            known=report.known,
        )

    return submit(
        with_errors(form, lambda: bank_page(form, columns)), run, imported, url_for("staff.bank")
    )


@bp.post("/bank/csv-columns")
@requires("edit")
def bank_csv_columns():
    form, columns = ImportForm(formdata=None), CsvColumnsForm()
    if not columns.validate_on_submit():
        abort(400)
    return submit(
        with_errors(columns, lambda: bank_page(form, columns)),
        lambda: bank_import.add_csv_format(
            db.session, form_values(columns, bank_import.CsvFormatForm), actor=current_actor()
        ),
        lambda saved: _("Saved the CSV columns of %(bank)s.", bank=saved.bank),
        url_for("staff.bank"),
    )


def line_or_404(line_id: int) -> BankLine:
    line = db.session.get(BankLine, line_id)
    if line is None:
        abort(404)
    return line


def line_forms(line: BankLine, match=None, gift=None, dismiss=None):
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.currency == line.currency).order_by(Campaign.title)
    )
    gift = gift or LineGiftEditForm(formdata=None, data={"donor_name": line.sender})
    gift.campaign.choices = [SelectChoice(str(c.id), c.title) for c in campaigns]
    gift.designation.choices = [SelectChoice(d.value, label(d)) for d in Designation]
    return match or MatchEditForm(formdata=None), gift, dismiss or DismissEditForm(formdata=None)


def line_page(line: BankLine, match=None, gift=None, dismiss=None) -> str:
    match, gift, dismiss = line_forms(line, match, gift, dismiss)
    query = request.args.get("q", "")[: bank_queue.MAX_SEARCH]
    return render_template(
        "staff/bank/line.html",
        line=line,
        match=match,
        gift=gift,
        dismiss=dismiss,
        query=query,
        pledges=bank_queue.find_pledges(db.session, line, query),
    )


@bp.get("/bank/lines/<int:line_id>")
@requires("edit")
def bank_line(line_id: int):
    return line_page(line_or_404(line_id))


def _decide(line: BankLine, form: FlaskForm, page, action, message):
    if not form.validate_on_submit():
        abort(400)
    return submit(with_errors(form, page), action, message, url_for("staff.bank"))


@bp.post("/bank/lines/<int:line_id>/match")
@requires("edit")
def bank_line_match(line_id: int):
    line, form = line_or_404(line_id), MatchEditForm()
    return _decide(
        line,
        form,
        lambda: line_page(line, match=form),
        lambda: bank_queue.match_line(
            db.session,
            app_settings(),
            line,
            form_values(form, bank_queue.MatchForm),
            actor=current_actor(),
            today=local_today(),
        ),
        lambda pledge: _("The line paid the pledge of %(name)s.", name=pledge.donor_name),
    )


@bp.post("/bank/lines/<int:line_id>/gift")
@requires("edit")
def bank_line_gift(line_id: int):
    line, form = line_or_404(line_id), LineGiftEditForm()
    return _decide(
        line,
        form,
        lambda: line_page(line, gift=form),
        lambda: bank_queue.record_line_gift(
            db.session,
            app_settings(),
            line,
            form_values(form, bank_queue.LineGiftForm),
            actor=current_actor(),
            locale=staff_locale(),
            today=local_today(),
        ),
        lambda gift: _("Recorded the gift of %(name)s.", name=gift.donor_name),
    )


@bp.post("/bank/lines/<int:line_id>/dismiss")
@requires("edit")
def bank_line_dismiss(line_id: int):
    line, form = line_or_404(line_id), DismissEditForm()
    return _decide(
        line,
        form,
        lambda: line_page(line, dismiss=form),
        lambda: bank_queue.dismiss_line(
            db.session, line, form_values(form, bank_queue.DismissForm), actor=current_actor()
        ),
        _("Marked as not a donation."),
    )
