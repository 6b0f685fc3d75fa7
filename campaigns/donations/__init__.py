"""Giving: the donation form's POST and the thank-you page."""

from flask import Blueprint

bp = Blueprint("donations", __name__)

from campaigns.donations import views  # noqa: E402,F401
