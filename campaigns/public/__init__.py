"""Public pages: campaigns, their progress and the charity's activity reports."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from campaigns.public import views  # noqa: E402,F401
