"""The audit log (admins only): every change made on the staff side, newest first, each
showing only what changed, amounts in their currency and codes by their labels."""

from __future__ import annotations

import enum

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaigns.extensions import db
from campaigns.filters import money
from campaigns.labels import label, payment_method
from campaigns.models import AuditEntry, DonationStatus
from campaigns.models.campaign import CampaignStatus, Designation
from campaigns.models.staff import Role
from campaigns.services.audit import audit_query, changed_fields, entry_currency, option_currencies
from campaigns.staff import bp, requires
from campaigns.staff.donations import page_number

PER_PAGE = 50

# Fields that hold minor units of the entry's currency (campaign_snapshot, option_snapshot,
# donation_snapshot, a refund's "requested").
MONEY_FIELDS = frozenset({"goal_amount", "unit_price", "amount", "refunded_amount", "requested"})
# Fields that hold an enum's code, by the table the entry is about.
CODED_FIELDS: dict[tuple[str, str], type[enum.StrEnum]] = {
    ("campaign", "status"): CampaignStatus,
    ("donation", "status"): DonationStatus,
    ("staff_user", "role"): Role,
}

# What staff call each field the snapshots keep (the edit forms' own labels); a field not
# named here is shown by its name.
FIELD_LABELS = {
    "title": _l("Title"),
    "slug": _l("Web address"),
    "summary": _l("Summary"),
    "story": _l("Story"),
    "body": _l("Report"),
    "cover_image": _l("Cover photo"),
    "cover_alt": _l("Cover photo description"),
    "currency": _l("Currency"),
    "goal_amount": _l("Goal"),
    "units_goal": _l("Goal in units"),
    "unit_label": _l("Unit name"),
    "starts_on": _l("Starts on"),
    "ends_on": _l("Ends on"),
    "status": _l("Status"),
    "designations": _l("Designations offered"),
    "label": _l("Label"),
    "description": _l("Description"),
    "unit_price": _l("Price"),
    "units": _l("Units it funds"),
    "stock": _l("Stock"),
    "position": _l("Position"),
    "active": _l("Active"),
    "amount": _l("Amount"),
    "refunded_amount": _l("Refunded"),
    "requested": _l("Refund requested"),
    "provider": _l("Payment"),
    "note": _l("Note"),
    "reference": _l("Reference"),
    "place": _l("Place"),
    "happened_on": _l("Date"),
    "published": _l("Published"),
    "figures": _l("Figures"),
    "images": _l("Photos"),
    "campaigns": _l("Campaigns"),
    "email": _l("E-mail"),
    "name": _l("Name"),
    "role": _l("Role"),
    "attempts": _l("Tries"),
}


@bp.get("/audit")
@requires("manage_staff")
def audit_log():
    page = db.paginate(audit_query(), page=page_number(), per_page=PER_PAGE)
    currencies = option_currencies(db.session, page.items)

    def audit_changes(entry: AuditEntry) -> list[tuple[object, object, object]]:
        currency = entry_currency(entry, currencies)
        return [
            (
                FIELD_LABELS.get(name, name),
                shown(entry, name, before, currency),
                shown(entry, name, after, currency),
            )
            for name, before, after in changed_fields(entry)
        ]

    return render_template("staff/audit.html", page=page, audit_changes=audit_changes)


def shown(entry: AuditEntry, name: str, value: object, currency: str | None) -> object:
    """One value of an audit entry as staff read it: money formatted, codes labelled."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name in MONEY_FIELDS and currency and isinstance(value, int):
        return money(value, currency)
    if name == "provider" and isinstance(value, str):
        return payment_method(value)
    if name == "designations" and isinstance(value, list):
        return ", ".join(str(_labelled(Designation, code)) for code in value)
    kind = CODED_FIELDS.get((entry.entity_type, name))
    return _labelled(kind, value) if kind else value


def _labelled(kind: type[enum.StrEnum], code: object) -> object:
    """The label of ``code`` in ``kind``, or the code itself if it is no longer one."""
    try:
        return label(kind(code))
    except ValueError:
        return code
