"""JSON API, read-only: campaigns and their totals (amounts in minor units).

Any site may read it from a browser (CORS for GET, without credentials: the API has no
cookies to offer and sets none it reads)."""

from flask import Blueprint

bp = Blueprint("api", __name__)


@bp.after_request
def allow_any_origin(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET"
    return response


from campaigns.api import views  # noqa: E402,F401
