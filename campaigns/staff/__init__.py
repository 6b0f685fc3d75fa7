"""The staff side: sign-in, dashboard, donations, campaigns, reports, users.

Every /staff route needs a signed-in, active staff user, except the sign-in page.
Changing anything needs at least the editor role; money and users need admin.
"""

from __future__ import annotations

from functools import wraps
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from campaigns.models.staff import ACTIONS

bp = Blueprint("staff", __name__, url_prefix="/staff")

OPEN_ENDPOINTS = {"staff.login", "staff.login_code"}
# Every signed-in user, viewers too, may sign out, change their own password and set up
# their own two-step sign-in.
SELF_SERVICE_ENDPOINTS = {
    "staff.logout",
    "staff.password",
    "staff.two_factor_setup",
    "staff.two_factor_disable",
}
# All that staff without two-step sign-in may do while REQUIRE_STAFF_2FA is on.
SET_UP_FIRST_ENDPOINTS = {"staff.logout", "staff.two_factor_setup"}


def must_set_up_two_factor() -> bool:
    return current_app.config["REQUIRE_STAFF_2FA"] and not current_user.two_factor


@bp.before_request
def require_sign_in():
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
    if must_set_up_two_factor() and request.endpoint not in SET_UP_FIRST_ENDPOINTS:
        return redirect(url_for("staff.two_factor_setup"), 303)
    read_only = request.method in ("GET", "HEAD") or request.endpoint in SELF_SERVICE_ENDPOINTS
    if not read_only and not current_user.can("edit"):
        abort(403)
    return None


@bp.after_request
def no_store(response):
    """Staff pages carry donors' personal data: never cache them anywhere."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def requires(action: str):
    """A view that only staff who ``can(action)`` may open (403 for the others)."""
    ACTIONS[action]  # a misspelt action fails at import, not at the first request

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.can(action):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def staff_timezone() -> ZoneInfo:
    """The site's time zone for day boundaries. Babel hands out a pytz zone, which
    ``datetime.combine`` would give its 1880 local mean time offset (+01:56 in Istanbul)."""
    return ZoneInfo(str(get_timezone()))


# The staff menu: (endpoint, label, action it needs). Areas whose module is not registered
# yet are left out, so each area's module adds itself by defining its endpoint.
NAV = (
    ("staff.dashboard", _l("Dashboard"), "view"),
    ("staff.donations", _l("Donations"), "view"),
    ("staff.monthly_gifts", _l("Monthly gifts"), "view"),
    ("staff.campaigns", _l("Campaigns"), "view"),
    ("staff.reports", _l("Reports"), "view"),
    ("staff.site_pages", _l("Site pages"), "view"),
    ("staff.bank", _l("Bank transfers"), "edit"),
    ("staff.users", _l("Staff users"), "manage_staff"),
    ("staff.audit_log", _l("Audit log"), "manage_staff"),
    ("staff.outbox", _l("E-mail not sent"), "manage_staff"),
)


@bp.context_processor
def staff_layout():
    """What staff/base.html needs: the menu this user may see."""
    if not current_user.is_authenticated or must_set_up_two_factor():
        return {"staff_nav": []}
    nav = []
    for endpoint, label, action in NAV:
        if endpoint in current_app.view_functions and current_user.can(action):
            url = url_for(endpoint)
            # An area's pages live under its list's path (/staff/donations/5, ...csv).
            current = request.path == url or (url != "/staff/" and request.path.startswith(url))
            nav.append({"endpoint": endpoint, "url": url, "label": label, "current": current})
    return {"staff_nav": nav}


# Each area registers its views on ``bp`` when imported.
from campaigns.staff import (  # noqa: E402,F401
    animals,
    auth,
    bank,
    campaigns,
    dashboard,
    deliveries,
    donations,
    gifts,
    monthly,
    outbox,
    pages,
    reports,
    two_factor,
    users,
)
from campaigns.staff import audit as audit_views  # noqa: E402,F401
