"""Donations: the filtered list, one donation's page and the CSV and .xlsx exports."""

from __future__ import annotations

from flask import Response, abort, flash, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaigns.extensions import db
from campaigns.filters import local_today
from campaigns.models import DonationStatus
from campaigns.models.campaign import Designation
from campaigns.models.donation import Frequency
from campaigns.services.books.dashboard import (
    MAX_SEARCH,
    campaign_choices,
    donation_query,
    donation_record,
    parse_filters,
)
from campaigns.services.books.export import XLSX_MIMETYPE, export_csv, export_xlsx
from campaigns.staff import bp, staff_timezone
from campaigns.text import parse_int

PER_PAGE = 50
MAX_PAGE = 999_999_999  # beyond it OFFSET would not fit the database's integers
FILTER_LABELS = {
    "campaign": _l("campaign"),
    "status": _l("status"),
    "designation": _l("designation"),
    "frequency": _l("frequency"),
    "from": _l("from date"),
    "to": _l("to date"),
    "q": _l("search"),
}


def page_number() -> int:
    """The ?page= argument; anything but a plain positive number is no such page."""
    page = parse_int(request.args.get("page", "1"), minimum=1, maximum=MAX_PAGE)
    if page is None:
        abort(404)
    return page


@bp.get("/donations")
def donations():
    filters, invalid = parse_filters(request.args)
    if invalid:
        names = ", ".join(str(FILTER_LABELS[name]) for name in invalid)
        flash(_("These filters were not valid and were ignored: %(names)s.", names=names), "error")
    page = db.paginate(
        donation_query(filters, staff_timezone()), page=page_number(), per_page=PER_PAGE
    )
    return render_template(
        "staff/donations/list.html",
        page=page,
        filters=filters,
        campaigns=campaign_choices(db.session),
        statuses=list(DonationStatus),
        designations=list(Designation),
        frequencies=list(Frequency),
        max_search=MAX_SEARCH,
    )


def _export(write, mimetype: str, extension: str) -> Response:
    filters, invalid = parse_filters(request.args)
    if invalid:
        # An export with a filter silently dropped would hold more donors than asked for.
        abort(400)
    filename = f"donations-{local_today().isoformat()}.{extension}"
    return Response(
        stream_with_context(write(db.session, filters, staff_timezone())),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/donations.csv")
def donations_csv():
    return _export(export_csv, "text/csv", "csv")


@bp.get("/donations.xlsx")
def donations_xlsx():
    return _export(export_xlsx, XLSX_MIMETYPE, "xlsx")


def donation_page(donation_id: int, **context) -> str:
    """One donation's page; ``context`` for its actions (a refund form with messages)."""
    record = donation_record(db.session, donation_id)
    if record is None:
        abort(404)
    return render_template(
        "staff/donations/detail.html", record=record, donation=record.donation, **context
    )


@bp.get("/donations/<int:donation_id>")
def donation(donation_id: int):
    return donation_page(donation_id)
