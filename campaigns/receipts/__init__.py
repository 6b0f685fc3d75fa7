"""Receipts: the stored PDF by its token, and the public page that verifies a number."""

from flask import Blueprint

bp = Blueprint("receipts", __name__, url_prefix="/receipts")

from campaigns.receipts import views  # noqa: E402,F401
