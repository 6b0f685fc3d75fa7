"""Thin public views: read, render."""

from __future__ import annotations

from sqlalchemy import text

from campaigns.extensions import db
from campaigns.public import bp


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise (for the load balancer)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy"
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
