"""Checks on request parameters: what Stripe refuses, the fake refuses with Stripe's kind of
error, so a wrong amount, currency or URL fails the app's tests as it would fail in production.
Parameters arrive as decoded form values: strings, dicts and lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import StripeError

# Stripe's ceiling for an amount in minor units (eight digits).
MAX_AMOUNT = 99_999_999
_INTEGER = re.compile(r"-?[0-9]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(r"https?://[^\s]+")
_LOCALE = re.compile(r"auto|[a-z]{2}(-[A-Z]{2})?")
_CURRENCY = re.compile(r"[a-zA-Z]{3}")

_SESSION_PARAMS = {
    "cancel_url",
    "client_reference_id",
    "customer_email",
    "expires_at",
    "line_items",
    "locale",
    "metadata",
    "mode",
    "payment_intent_data",
    "submit_type",
    "subscription_data",
    "success_url",
}
_LINE_ITEM_PARAMS = {"price_data", "quantity"}
_PRICE_DATA_PARAMS = {"currency", "product_data", "recurring", "unit_amount"}
# Only what the fake honours: anything else is refused as unknown, so a new parameter in
# the app shows up here rather than being silently ignored.
_PRODUCT_DATA_PARAMS = {"name"}
_MODE_DATA_PARAMS = {"metadata"}
_SUBMIT_TYPES = {"auto", "book", "donate", "pay"}
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}


@dataclass(frozen=True)
class LineSpec:
    """One validated ``line_items[n]`` entry."""

    name: str
    currency: str
    unit_amount: int
    quantity: int
    interval: str | None


def refuse_unknown(params: dict, known: set[str], prefix: str = "") -> None:
    for key in params:
        if key not in known:
            name = f"{prefix}[{key}]" if prefix else key
            raise StripeError(
                f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
            )


def require(params: dict, key: str, prefix: str = "") -> object:
    name = f"{prefix}[{key}]" if prefix else key
    if params.get(key) in (None, ""):
        raise StripeError(f"Missing required param: {name}.", param=name, code="parameter_missing")
    return params[key]


def integer(value: object, param: str, *, minimum: int = 1, maximum: int = MAX_AMOUNT) -> int:
    """A whole number: ``12.5``, ``1e3`` or ``-1`` are refused, as Stripe refuses them."""
    if not isinstance(value, str) or not _INTEGER.fullmatch(value):
        raise StripeError(
            f"Invalid integer: {value}", param=param, code="parameter_invalid_integer"
        )
    number = int(value)
    if number < minimum:
        raise StripeError(
            f"This value must be greater than or equal to {minimum}.",
            param=param,
            code="parameter_invalid_integer",
        )
    if number > maximum:
        raise StripeError(
            f"This value must be less than or equal to {maximum}.",
            param=param,
            code="parameter_invalid_integer",
        )
    return number


def hash_param(value: object, param: str) -> dict:
    """A nested object (``param[key]=...``), not a plain value."""
    if not isinstance(value, dict):
        raise StripeError(f"Invalid object: {param}", param=param)
    return value


def boolean(value: object, param: str) -> bool:
    if value not in ("true", "false"):
        raise StripeError(f"Invalid boolean: {value}", param=param)
    return value == "true"


def string(value: object, param: str, max_length: int = 5000) -> str:
    if not isinstance(value, str):
        raise StripeError(f"Invalid string: {value!r}", param=param)
    if len(value) > max_length:
        raise StripeError(
            f"Invalid {param}: must be at most {max_length} characters",
            param=param,
            code="string_length_exceeds_maximum",
        )
    return value


def metadata(value: object, param: str = "metadata") -> dict:
    """Stripe's limits: 50 keys, keys of 40 characters, values of 500."""
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise StripeError(f"Invalid object: {param} must be a hash of strings", param=param)
    if len(value) > 50:
        raise StripeError(f"Invalid {param}: at most 50 keys are allowed", param=param)
    for key, item in value.items():
        if len(key) > 40:
            raise StripeError(f"Invalid {param}: keys must be at most 40 characters", param=param)
        string(item, f"{param}[{key}]", max_length=500)
    return dict(value)


def list_filter(name: str, value: object) -> str | dict:
    """A list filter's value: a string, or for invoice payments the nested ``payment`` filter
    (``payment[type]=payment_intent&payment[payment_intent]=pi_...``), whose ``type`` Stripe
    requires. The fake's invoices are paid by payment intents only."""
    if name != "payment":
        return string(value, name)
    payment = hash_param(value, name)
    refuse_unknown(payment, {"payment_intent", "type"}, name)
    kind = require(payment, "type", name)
    if kind != "payment_intent":
        raise StripeError(
            f"Invalid payment[type]: {kind} (the fake knows payment_intent only)",
            param="payment[type]",
        )
    if "payment_intent" in payment:
        string(payment["payment_intent"], "payment[payment_intent]")
    return payment


def _url(value: object, param: str) -> str:
    url = string(value, param)
    if not _URL.fullmatch(url):
        raise StripeError(f"Not a valid URL: {url}", param=param, code="url_invalid")
    return url


def session_lines(params: dict, now: int) -> list[LineSpec]:
    """Validate ``POST /v1/checkout/sessions`` (hosted, price_data only) and return its lines."""
    refuse_unknown(params, _SESSION_PARAMS)
    mode = require(params, "mode")
    if mode not in ("payment", "subscription"):
        raise StripeError("Invalid mode: the fake supports payment or subscription", param="mode")
    success_url = _url(require(params, "success_url"), "success_url")
    # Without the placeholder the thank-you page could not find the session it came from.
    if "{CHECKOUT_SESSION_ID}" not in success_url:
        raise StripeError(
            "success_url must contain {CHECKOUT_SESSION_ID} (fake Stripe's rule)",
            param="success_url",
        )
    if "cancel_url" in params:
        _url(params["cancel_url"], "cancel_url")
    _check_session_options(params, mode, now)
    items = require(params, "line_items")
    if not isinstance(items, list):
        raise StripeError("Invalid array", param="line_items")
    lines = [_line(item, f"line_items[{i}]", mode) for i, item in enumerate(items)]
    if len({line.currency for line in lines}) > 1:
        raise StripeError("All line items must have the same currency.", param="line_items")
    if sum(line.unit_amount * line.quantity for line in lines) > MAX_AMOUNT:
        raise StripeError(
            f"The Checkout Session's total amount due must be no more than {MAX_AMOUNT} "
            "(in minor units).",
            code="amount_too_large",
        )
    return lines


def _check_session_options(params: dict, mode: str, now: int) -> None:
    if "customer_email" in params:
        email = string(params["customer_email"], "customer_email", max_length=800)
        if not _EMAIL.fullmatch(email):
            raise StripeError(
                f"Invalid email address: {email}", param="customer_email", code="email_invalid"
            )
    if "client_reference_id" in params:
        string(params["client_reference_id"], "client_reference_id", max_length=200)
    if "metadata" in params:
        metadata(params["metadata"])
    if "locale" in params and not _LOCALE.fullmatch(string(params["locale"], "locale")):
        raise StripeError(f"Invalid locale: {params['locale']}", param="locale")
    if "submit_type" in params:
        if mode != "payment":
            raise StripeError(
                "`submit_type` can only be used in `payment` mode.", param="submit_type"
            )
        if params["submit_type"] not in _SUBMIT_TYPES:
            raise StripeError(f"Invalid submit_type: {params['submit_type']}", param="submit_type")
    _check_mode_data(params, mode, "payment_intent_data", "payment")
    _check_mode_data(params, mode, "subscription_data", "subscription")
    if "expires_at" in params:
        _expires_at(params["expires_at"], now)


def _expires_at(value: object, now: int) -> None:
    """Stripe's window: from 30 minutes to 24 hours after the session is created."""
    expires_at = integer(value, "expires_at", minimum=0, maximum=2**32)
    if expires_at < now + 30 * 60:
        raise StripeError(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
            param="expires_at",
        )
    if expires_at > now + 24 * 3600:
        raise StripeError(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )


def _check_mode_data(params: dict, mode: str, key: str, wanted_mode: str) -> None:
    if key not in params:
        return
    if mode != wanted_mode:
        raise StripeError(f"You can not pass `{key}` in `{mode}` mode.", param=key)
    data = hash_param(params[key], key)
    refuse_unknown(data, _MODE_DATA_PARAMS, key)
    if "metadata" in data:
        metadata(data["metadata"], f"{key}[metadata]")


def _line(item: object, prefix: str, mode: str) -> LineSpec:
    item = hash_param(item, prefix)
    refuse_unknown(item, _LINE_ITEM_PARAMS, prefix)
    price_prefix = f"{prefix}[price_data]"
    price_data = hash_param(require(item, "price_data", prefix), price_prefix)
    refuse_unknown(price_data, _PRICE_DATA_PARAMS, price_prefix)
    currency = string(require(price_data, "currency", price_prefix), f"{price_prefix}[currency]")
    if not _CURRENCY.fullmatch(currency):
        raise StripeError(f"Invalid currency: {currency}", param=f"{price_prefix}[currency]")
    product_data = hash_param(
        require(price_data, "product_data", price_prefix), f"{price_prefix}[product_data]"
    )
    refuse_unknown(product_data, _PRODUCT_DATA_PARAMS, f"{price_prefix}[product_data]")
    name = require(product_data, "name", f"{price_prefix}[product_data]")
    return LineSpec(
        name=string(name, f"{price_prefix}[product_data][name]", max_length=250),
        currency=currency.lower(),
        unit_amount=integer(
            require(price_data, "unit_amount", price_prefix), f"{price_prefix}[unit_amount]"
        ),
        quantity=integer(require(item, "quantity", prefix), f"{prefix}[quantity]"),
        interval=_interval(price_data, price_prefix, mode),
    )


def _interval(price_data: dict, prefix: str, mode: str) -> str | None:
    recurring = price_data.get("recurring")
    if mode == "payment":
        if recurring is not None:
            raise StripeError(
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                param=f"{prefix}[recurring]",
            )
        return None
    if recurring is None:
        raise StripeError(
            "You must provide at least one recurring price in `subscription` mode.",
            param=f"{prefix}[recurring]",
        )
    recurring = hash_param(recurring, f"{prefix}[recurring]")
    refuse_unknown(recurring, {"interval"}, f"{prefix}[recurring]")
    interval = require(recurring, "interval", f"{prefix}[recurring]")
    if interval != "month":
        raise StripeError(
            f"Invalid interval: {interval} (the fake bills monthly only)",
            param=f"{prefix}[recurring][interval]",
        )
    return interval
