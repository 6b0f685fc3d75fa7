"""The webhook's floor: a bare Flask app doing the least a correct Stripe webhook can do.

For each ``checkout.session.completed`` delivery it verifies the signature as the app does
(``stripe.WebhookSignature.verify_header``, same secret and tolerance), makes the same one
API round trip the same way (the Checkout Session re-read as its JSON by the app's own
client, ``stripe_provider.stripe_client``, from the fake Stripe), then in one transaction
inserts one row and adds the gift to one totals row.
No ORM, no extensions, no blueprints. Its two tables (``bare_event``, ``bare_totals``) are
its own, so the app's books are untouched; ``create_tables`` makes them.

Served by gunicorn as ``benchmarks.bare_webhook:app`` with DATABASE_URL,
STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_API_BASE in the environment.
"""

from __future__ import annotations

import json
import os

import stripe
from flask import Flask, request
from sqlalchemy import create_engine, text

from campaigns.payments.stripe_provider import SIGNATURE_TOLERANCE, stripe_client

TABLES = (
    "CREATE TABLE IF NOT EXISTS bare_event (event_id VARCHAR(255) PRIMARY KEY, "
    "session_id VARCHAR(255) NOT NULL, "
    "amount BIGINT NOT NULL, payload TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bare_totals (id INTEGER PRIMARY KEY, "
    "raised BIGINT NOT NULL, donations BIGINT NOT NULL)",
    "INSERT INTO bare_totals VALUES (1, 0, 0) ON CONFLICT DO NOTHING",
)


def create_tables(database_url: str) -> None:
    """The bare endpoint's two tables, and its one totals row."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for statement in TABLES:
            conn.exec_driver_sql(statement)
    engine.dispose()


def create_bare_webhook(database_url: str, secret_key: str, webhook_secret: str, api_base: str):
    app = Flask(__name__)
    engine = app.extensions["engine"] = create_engine(database_url)
    client = stripe_client(secret_key, api_base)

    @app.post("/webhooks/stripe")
    def webhook():
        payload = request.get_data().decode("utf-8")
        try:
            stripe.WebhookSignature.verify_header(
                payload,
                request.headers.get("Stripe-Signature", ""),
                webhook_secret,
                SIGNATURE_TOLERANCE,
            )
        except stripe.SignatureVerificationError:
            return {"error": "invalid signature"}, 400
        event = json.loads(payload)
        session_id = event["data"]["object"]["id"]
        checkout = client.raw_request("get", f"/v1/checkout/sessions/{session_id}").data
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO bare_event (event_id, session_id, amount, payload) "
                    "VALUES (:event, :session, :amount, :payload)"
                ),
                {
                    "event": event["id"],
                    "session": checkout["id"],
                    "amount": checkout["amount_total"],
                    "payload": payload,
                },
            )
            conn.execute(
                text(
                    "UPDATE bare_totals SET raised = raised + :amount, "
                    "donations = donations + 1 WHERE id = 1"
                ),
                {"amount": checkout["amount_total"]},
            )
        return {"received": event["id"]}

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    return app


if "BENCH_BARE_WEBHOOK" in os.environ:  # under gunicorn
    app = create_bare_webhook(
        os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1),
        os.environ["STRIPE_SECRET_KEY"],
        os.environ["STRIPE_WEBHOOK_SECRET"],
        os.environ["STRIPE_API_BASE"],
    )
