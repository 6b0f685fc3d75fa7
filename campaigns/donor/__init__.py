"""Donor self-service: a sign-in link by e-mail, then gifts, receipts, monthly gifts,
annual statements and the reports of the campaigns the donor funded."""

from flask import Blueprint

bp = Blueprint("donor", __name__, url_prefix="/donor")

from campaigns.donor import views  # noqa: E402,F401
