"""The staff side: sign-in, dashboard, donations, campaigns, reports, users.

Every /staff route needs a signed-in, active staff user, except the sign-in page.
Changing anything needs at least the editor role; money and users need admin.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from campaigns.models.staff import Role

bp = Blueprint("staff", __name__, url_prefix="/staff")

RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}
OPEN_ENDPOINTS = {"staff.login"}
# Every signed-in user, viewers too, may sign out and change their own password.
SELF_SERVICE_ENDPOINTS = {"staff.logout", "staff.password"}


@bp.before_request
def require_sign_in():
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
    read_only = request.method in ("GET", "HEAD") or request.endpoint in SELF_SERVICE_ENDPOINTS
    if not read_only and RANK[current_user.role] < RANK[Role.EDITOR]:
        abort(403)
    return None


@bp.after_request
def no_store(response):
    """Staff pages carry donors' personal data: never cache them anywhere."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def requires(role: Role):
    """At least ``role`` for this view (admins can do all an editor can, and so on)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if RANK[current_user.role] < RANK[role]:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


from campaigns.staff import auth  # noqa: E402,F401
