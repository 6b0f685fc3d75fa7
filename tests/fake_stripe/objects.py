"""Builders for the objects the fake returns, shaped as Stripe sends them under the API
version the SDK pins (``stripe.api_version``). Since 2025-03-31.basil an invoice names
neither a payment intent nor a charge: its subscription is under ``parent`` and its
payments are ``invoice_payment`` objects; charges and payment intents do not name it.

Builders only build; ``FakeStripe`` stores the objects and moves them between states.
"""

from __future__ import annotations

import secrets
import string

import stripe

_ID_ALPHABET = string.ascii_letters + string.digits
DAY = 86_400
# Stripe bills on calendar months; the fake needs only a later, regular period end.
MONTH = 30 * DAY

_DISPUTE_EVIDENCE = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


def new_id(prefix: str, length: int = 24) -> str:
    """A Stripe-looking id: its type prefix and random letters and digits."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def list_object(url: str, data: list[dict], *, has_more: bool = False) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def _address() -> dict:
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
        "address": _address() | {"country": "TR"},
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": "Test Donor",
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
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


def payment_intent(
    *, amount: int, currency: str, metadata: dict, customer: str | None, now: int
) -> dict:
    intent_id = new_id("pi_")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": now,
        "currency": currency,
        "customer": customer,
        "description": None,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }


def _payment_method_details(method: str) -> dict:
    if method == "sepa_debit":
        details = {
            "bank_code": "37040044",
            "branch_code": None,
            "country": "DE",
            "fingerprint": new_id("", 16),
            "last4": "3000",
            "mandate": new_id("mandate_"),
        }
    else:
        details = {
            "amount_authorized": None,
            "brand": "visa",
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": "US",
            "exp_month": 12,
            "exp_year": 2034,
            "fingerprint": new_id("", 16),
            "funding": "credit",
            "last4": "4242",
            "network": "visa",
            "three_d_secure": None,
            "wallet": None,
        }
    return {"type": method, method: details}


def charge(*, intent: dict, method: str, email: str | None, now: int) -> dict:
    """A pending charge of ``intent`` by ``card`` or by ``sepa_debit`` (a delayed method).
    Stripe copies the intent's metadata onto its charges."""
    return {
        "id": new_id("ch_"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": {
            "address": _address(),
            "email": email,
            "name": "Test Donor",
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "FAKE STRIPE",
        "captured": False,
        "created": now,
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": None,
        "outcome": None,
        "paid": False,
        "payment_intent": intent["id"],
        "payment_method": new_id("pm_"),
        "payment_method_details": _payment_method_details(method),
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "pending",
        "transfer_data": None,
        "transfer_group": None,
    }


def settle_payment(intent: dict, charge: dict, *, succeeded: bool) -> None:
    """Write a payment's outcome onto the intent and its charge, as Stripe does."""
    if succeeded:
        intent.update(status="succeeded", amount_received=intent["amount"], processing=None)
        charge.update(
            status="succeeded",
            paid=True,
            captured=True,
            amount_captured=charge["amount"],
            balance_transaction=new_id("txn_"),
            outcome={
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "seller_message": "Payment complete.",
                "type": "authorized",
            },
        )
        return
    code, message = (
        ("insufficient_funds", "The customer's account has insufficient funds.")
        if charge["payment_method_details"]["type"] == "sepa_debit"
        else ("card_declined", "Your card was declined.")
    )
    intent.update(
        status="requires_payment_method",
        processing=None,
        last_payment_error={
            "charge": charge["id"],
            "code": code,
            "message": message,
            "type": "card_error",
        },
    )
    charge.update(
        status="failed",
        failure_code=code,
        failure_message=message,
        outcome={
            "network_status": "declined_by_network",
            "reason": "generic_decline",
            "risk_level": "normal",
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        },
    )


def refund(
    *, charge: dict, amount: int, reason: str | None, metadata: dict, status: str, now: int
) -> dict:
    return {
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn_"),
        "charge": charge["id"],
        "created": now,
        "currency": charge["currency"],
        "destination_details": {
            "card": {
                "reference": None,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }


def dispute(*, charge: dict, amount: int, reason: str, now: int) -> dict:
    return {
        "id": new_id("dp_"),
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": charge["id"],
        "created": now,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": dict.fromkeys(_DISPUTE_EVIDENCE) | {"enhanced_evidence": {}},
        "evidence_details": {
            "due_by": now + 7 * DAY,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "card": {"brand": "visa", "case_type": "chargeback", "network_reason_code": "10.4"},
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
    }


def subscription(
    *,
    customer: str,
    items: list[tuple[dict, int]],
    metadata: dict,
    now: int,
) -> dict:
    """A monthly subscription of ``(price, quantity)`` items, ``incomplete`` until its first
    invoice is paid. Since 2025-03-31.basil the billing period lives on each item."""
    subscription_id = new_id("sub_")
    data = [
        {
            "id": new_id("si_", 14),
            "object": "subscription_item",
            "billing_thresholds": None,
            "created": now,
            "current_period_end": now + MONTH,
            "current_period_start": now,
            "discounts": [],
            "metadata": {},
            "price": item_price,
            "quantity": quantity,
            "subscription": subscription_id,
            "tax_rates": [],
        }
        for item_price, quantity in items
    ]
    return {
        "id": subscription_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": now,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic"},
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": now,
        "currency": items[0][0]["currency"],
        "customer": customer,
        "days_until_due": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": list_object(f"/v1/subscription_items?subscription={subscription_id}", data),
        "latest_invoice": None,
        "livemode": False,
        "metadata": metadata,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": now,
        "status": "incomplete",
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }


def _invoice_line(*, item: dict, invoice_id: str, description: str) -> dict:
    amount = item["price"]["unit_amount"] * item["quantity"]
    return {
        "id": new_id("il_"),
        "object": "line_item",
        "amount": amount,
        "currency": item["price"]["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": item["subscription"],
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": {"end": item["current_period_end"], "start": item["current_period_start"]},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": item["price"]["id"], "product": item["price"]["product"]},
            "type": "price_details",
            "unit_amount_decimal": item["price"]["unit_amount_decimal"],
        },
        "quantity": item["quantity"],
        "subtotal": amount,
        "taxes": [],
    }


def invoice(
    *,
    subscription: dict,
    customer: dict,
    billing_reason: str,
    descriptions: list[str],
    hosted_url: str,
    now: int,
) -> dict:
    """An open, finalised invoice for the subscription's current period; ``descriptions``
    name its items in order. No ``subscription``, ``payment_intent``, ``charge`` or ``paid``
    (removed in 2025-03-31.basil): ``parent.subscription_details`` names the subscription."""
    invoice_id = new_id("in_")
    lines = [
        _invoice_line(item=item, invoice_id=invoice_id, description=description)
        for item, description in zip(subscription["items"]["data"], descriptions, strict=True)
    ]
    amount = sum(line["amount"] for line in lines)
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "TR",
        "account_name": "Fake Stripe",
        "account_tax_ids": None,
        "amount_due": amount,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": amount,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": now,
        "currency": subscription["currency"],
        "custom_fields": None,
        "customer": customer["id"],
        "customer_address": None,
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": now,
        "ending_balance": 0,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": hosted_url.format(id=invoice_id),
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object(f"/v1/invoices/{invoice_id}/lines", lines),
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}",
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription["metadata"]),
                "subscription": subscription["id"],
            },
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": now,
        "period_start": now,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "open",
        "status_transitions": {
            "finalized_at": now,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": amount,
        "subtotal_excluding_tax": amount,
        "test_clock": None,
        "total": amount,
        "total_discount_amounts": [],
        "total_excluding_tax": amount,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": now,
    }


def invoice_payment(*, invoice: dict, intent_id: str, now: int) -> dict:
    """Links an invoice to the payment intent that tried to pay it."""
    return {
        "id": new_id("inpay_"),
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": invoice["amount_due"],
        "created": now,
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": intent_id, "type": "payment_intent"},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }


def settle_invoice(invoice: dict, payment: dict, *, succeeded: bool, now: int) -> None:
    """Write the outcome of an invoice's first payment attempt onto it and its payment."""
    invoice.update(attempted=True, attempt_count=1)
    if succeeded:
        invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
        invoice["status_transitions"]["paid_at"] = now
        payment.update(status="paid", amount_paid=invoice["amount_due"])
        payment["status_transitions"]["paid_at"] = now
    else:
        # Smart Retries would try again in a few days.
        invoice["next_payment_attempt"] = now + 3 * DAY


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
