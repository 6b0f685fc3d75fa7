"""The audit log (admins only): every change made on the staff side, newest first."""

from __future__ import annotations

from flask import render_template

from campaigns.extensions import db
from campaigns.services.audit import audit_query, changed_fields
from campaigns.staff import bp, requires
from campaigns.staff.donations import page_number

PER_PAGE = 50


@bp.get("/audit")
@requires("manage_staff")
def audit_log():
    page = db.paginate(audit_query(), page=page_number(), per_page=PER_PAGE)
    return render_template("staff/audit.html", page=page, audit_changes=changed_fields)
