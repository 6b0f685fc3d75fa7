"""Builders for the objects the fake returns, shaped as Stripe sends them under the API
version the SDK pins (``stripe.api_version``). Since 2025-03-31.basil an invoice names
neither a payment intent nor a charge: its subscription is under ``parent`` and its
payments are ``invoice_payment`` objects; charges and payment intents do not name it.

Builders only build; ``FakeStripe`` stores the objects and moves them between states.
This module holds what every family shares (ids, lists, products, prices, customers,
events); ``checkout_objects``, ``payment_objects`` and ``billing_objects`` the rest.
"""

from __future__ import annotations

import secrets
import string

import stripe

_ID_ALPHABET = string.ascii_letters + string.digits
DAY = 86_400
# Stripe bills on calendar months; the fake needs only a later, regular period end.
MONTH = 30 * DAY


def new_id(prefix: str, length: int = 24) -> str:
    """A Stripe-looking id: its type prefix and random letters and digits."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def list_object(url: str, data: list[dict], *, has_more: bool = False) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def address() -> dict:
    return dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))


def product(*, name: str, now: int) -> dict:
    return {
        "id": new_id("prod_", 14),
        "object": "product",
        "active": True,
        "created": now,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": now,
        "url": None,
    }


def price(
    *, currency: str, unit_amount: int, product_id: str, interval: str | None, now: int
) -> dict:
    """The inline price ``price_data`` creates (Stripe archives it at once: ``active`` false)."""
    recurring = None
    if interval is not None:
        recurring = {
            "interval": interval,
            "interval_count": 1,
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        }
    return {
        "id": new_id("price_"),
        "object": "price",
        "active": False,
        "billing_scheme": "per_unit",
        "created": now,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product_id,
        "recurring": recurring,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time" if recurring is None else "recurring",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def customer(*, email: str | None, now: int) -> dict:
    return {
        "id": new_id("cus_", 14),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": now,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": new_id("", 8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": "Test Donor",
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def event(*, type: str, obj: dict, previous_attributes: dict | None, now: int) -> dict:
    """A snapshot event as Stripe delivers it to a webhook endpoint of the SDK's version."""
    data: dict = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": new_id("evt_"),
        "object": "event",
        "api_version": stripe.api_version,
        "created": now,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type,
    }
