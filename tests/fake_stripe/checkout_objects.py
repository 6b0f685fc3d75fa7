"""Builders for Checkout Sessions and their line items (see ``objects``)."""

from __future__ import annotations

from .objects import address, new_id


def line_item(*, price: dict, quantity: int, description: str) -> dict:
    """A Checkout Session's line item (``expand[]=line_items``)."""
    amount = price["unit_amount"] * quantity
    return {
        "id": new_id("li_"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": price["currency"],
        "description": description,
        "metadata": {},
        "price": price,
        "quantity": quantity,
    }


def checkout_session(
    *,
    session_id: str,
    params: dict,
    amount: int,
    currency: str,
    url: str,
    now: int,
    expires_at: int,
) -> dict:
    """An open hosted Checkout Session; ``payment_intent``, ``subscription``, ``invoice`` and
    ``customer`` stay null until the donor pays, as with Stripe."""
    payment = params["mode"] == "payment"
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": now,
        "currency": currency,
        "custom_fields": [],
        "custom_text": dict.fromkeys(
            ("after_submit", "shipping_address", "submit", "terms_of_service_acceptance")
        ),
        "customer": None,
        "customer_creation": "if_required" if payment else None,
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "discounts": [],
        "expires_at": expires_at,
        "invoice": None,
        "invoice_creation": {"enabled": False, "invoice_data": None} if payment else None,
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": dict(params.get("metadata", {})),
        "mode": params["mode"],
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": None if payment else "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": params.get("submit_type"),
        "subscription": None,
        "success_url": params["success_url"],
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": url,
        "wallet_options": None,
    }


def customer_details(email: str | None) -> dict:
    """What the hosted page collected from the donor."""
    return {
        "address": address() | {"country": "TR"},
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": "Test Donor",
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
