"""Signing webhook deliveries the way Stripe does."""

from __future__ import annotations

import stripe


def signed_headers(payload: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers of a Stripe webhook delivery of ``payload`` (the exact JSON text sent),
    signed with the endpoint's ``secret``; an old ``timestamp`` makes a stale delivery."""
    signature = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return {"Stripe-Signature": signature, "Content-Type": "application/json; charset=utf-8"}
