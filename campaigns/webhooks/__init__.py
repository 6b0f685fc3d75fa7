"""Provider webhooks: verify, store, handle in one transaction, answer."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__)

from campaigns.webhooks import views  # noqa: E402,F401
