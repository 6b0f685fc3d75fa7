"""Provider webhooks: verify, store, handle in one transaction, answer."""

from __future__ import annotations

import logging

from flask import current_app, request
from sqlalchemy.exc import OperationalError

from campaigns import app_settings
from campaigns.extensions import csrf, db, limiter
from campaigns.payments import InvalidSignature
from campaigns.services.giving.webhooks import receive_event, record_failure
from campaigns.webhooks import bp

log = logging.getLogger(__name__)


@bp.post("/webhooks/stripe")
@csrf.exempt
@limiter.spare
def stripe_webhook():
    """Stripe's deliveries. 400 for a bad signature (nothing stored); 2xx once handled or
    already handled; 5xx when the database fails, so Stripe retries."""
    provider = current_app.extensions["payment_provider"]
    payload = request.get_data()
    try:
        event = provider.parse_event(payload, request.headers.get("Stripe-Signature"))
    except InvalidSignature as error:
        log.warning("refused webhook: %s", error)
        return {"error": "invalid signature"}, 400
    text = payload.decode("utf-8")
    try:
        result = receive_event(db.session, provider, app_settings(), event, text)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("webhook %s (%s) failed", event.id, event.type)
        status = 503 if isinstance(error, OperationalError) else 500
        try:
            record_failure(db.session, provider, event, text, repr(error))
            db.session.commit()
        except Exception:  # the database may be the thing that failed
            db.session.rollback()
        return {"error": "not processed, retry"}, status
    return {"received": event.id, "result": result}
