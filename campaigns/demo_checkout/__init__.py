"""The demo provider's hosted checkout page, marked TEST: Pay, Decline or Cancel."""

from flask import Blueprint

bp = Blueprint("demo_checkout", __name__, url_prefix="/demo-checkout")

from campaigns.demo_checkout import views  # noqa: E402,F401
