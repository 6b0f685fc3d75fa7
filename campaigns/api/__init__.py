"""JSON API, read-only: campaigns and their totals (amounts in minor units)."""

from flask import Blueprint

bp = Blueprint("api", __name__)
