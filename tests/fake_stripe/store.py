"""The fake's memory: the objects it holds by id, what each Checkout Session was
created with, and expansion of ids into the objects they name. ``FakeStripe`` builds on it
through the family mixins (``payments_api``, ``billing_api``, ``checkout_api``)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass

from . import objects
from .errors import StripeError, no_such


@dataclass
class Checkout:
    """What a session was created with and Stripe keeps out of the session object."""

    params: dict
    line_items: list[dict]


class Store:
    """The state every family of endpoints works on; ``FakeStripe`` sets it up."""

    _lock: threading.RLock
    _objects: dict[str, dict]
    _checkouts: dict[str, Checkout]
    clock: Callable[[], float]
    url: str

    # -- state -------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self.clock())

    def _store(self, obj: dict) -> dict:
        self._objects[obj["id"]] = obj
        return obj

    def _get(self, object_id: str, object_type: str, param: str = "id") -> dict:
        obj = self._objects.get(object_id)
        if obj is None or obj["object"] != object_type:
            raise no_such(object_type, object_id, param)
        return obj

    # -- expansion ---------------------------------------------------------------------

    def _expand(self, obj: dict, paths: object) -> dict:
        """Replace ids by the objects they name (``expand[]=payment_intent.latest_charge``,
        ``expand[]=data.subscription`` on lists), and include ``line_items`` or
        ``payments`` on request, as Stripe does."""
        if paths in (None, ""):
            return obj
        if not isinstance(paths, list):
            raise StripeError("Invalid array", param="expand")
        for path in paths:
            self._expand_path(obj, str(path).split("."), str(path))
        return obj

    def _expand_path(self, obj: dict, segments: list[str], path: str) -> None:
        head, rest = segments[0], segments[1:]
        if obj.get("object") == "list" and head == "data":
            for item in obj["data"]:
                if rest:
                    self._expand_path(item, rest, path)
            return
        value = self._includable(obj, head)
        if value is None:
            if head not in obj:
                raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
            value = obj[head]
            if isinstance(value, str) and value in self._objects:
                value = copy.deepcopy(self._objects[value])
            elif value is not None and not isinstance(value, dict):
                raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
        obj[head] = value
        if rest and value is not None:
            self._expand_path(value, rest, path)

    def _includable(self, obj: dict, field_name: str) -> dict | None:
        """Lists Stripe leaves out unless asked for."""
        if obj.get("object") == "checkout.session" and field_name == "line_items":
            items = copy.deepcopy(self._checkouts[obj["id"]].line_items)
            return objects.list_object(f"/v1/checkout/sessions/{obj['id']}/line_items", items)
        if obj.get("object") == "invoice" and field_name == "payments":
            payments = [
                copy.deepcopy(o)
                for o in self._objects.values()
                if o["object"] == "invoice_payment" and o["invoice"] == obj["id"]
            ]
            return objects.list_object(f"/v1/invoice_payments?invoice={obj['id']}", payments)
        return None
