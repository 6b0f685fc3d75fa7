"""Stripe's form encoding: ``line_items[0][price_data][unit_amount]=500`` and
``expand[]=payment_intent`` decoded into nested dicts and lists."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from .errors import StripeError

_SUBKEY = re.compile(r"\[([^\]]*)\]")


def decode_form(encoded: str) -> dict:
    """Decode a query string or form body; every leaf value stays a string, as Stripe
    receives it (the SDK sends ``true``/``false`` for booleans)."""
    root: dict = {}
    for key, value in parse_qsl(encoded, keep_blank_values=True):
        name, bracket, rest = key.partition("[")
        path = [name, *_SUBKEY.findall(bracket + rest)]
        node = root
        for part in path[:-1]:
            node = node.setdefault(_slot(node, part), {})
            if not isinstance(node, dict):
                raise StripeError(f"Invalid hash: {key} (also sent as a plain value)", param=name)
        node[_slot(node, path[-1])] = value
    return _listify(root)


def _slot(node: dict, part: str) -> str:
    # ``expand[]`` appends: it takes the next free index.
    return str(len(node)) if part == "" else part


def _listify(value):
    """Dicts keyed 0..n-1 were arrays on the wire: turn them back into lists."""
    if not isinstance(value, dict):
        return value
    items = {key: _listify(item) for key, item in value.items()}
    if items and set(items) == {str(i) for i in range(len(items))}:
        return [items[str(i)] for i in range(len(items))]
    return items
