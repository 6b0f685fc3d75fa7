"""JSON API, read-only: campaigns and their totals (amounts in minor units)."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from campaigns.api import views  # noqa: E402,F401
