"""Refunds and disputes, played by tests and served at ``POST /v1/refunds``."""

from __future__ import annotations

import copy

from . import params, payment_objects
from .errors import StripeError
from .store import Store


class PaymentsApi(Store):
    """Charges, refunds and disputes of ``FakeStripe``."""

    def refund(
        self,
        *,
        payment_intent: str | None = None,
        charge: str | None = None,
        amount: int | None = None,
        reason: str | None = None,
        metadata: dict | None = None,
        pending: bool = False,
    ) -> dict:
        """Refund all or part of what is left of a succeeded charge (named directly or by
        its payment intent), as ``POST /v1/refunds`` or the Dashboard does. With
        ``pending=True`` the refund waits on the bank (``settle_refund`` decides later);
        the charge counts it as refunded meanwhile, as Stripe's does. Returns the refund."""
        with self._lock:
            paid = self._refundable_charge(payment_intent, charge)
            remaining = paid["amount"] - paid["amount_refunded"]
            if remaining == 0:
                raise StripeError(
                    f"Charge {paid['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            amount = remaining if amount is None else amount
            if amount > remaining:
                raise StripeError(
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                    f"({remaining})",
                    param="amount",
                    code="amount_too_large",
                )
            refund = self._store(
                payment_objects.refund(
                    charge=paid,
                    amount=amount,
                    reason=reason,
                    metadata=metadata or {},
                    status="pending" if pending else "succeeded",
                    now=self._now(),
                )
            )
            self._add_refunded(paid, amount)
            return copy.deepcopy(refund)

    def settle_refund(self, refund_id: str, *, succeeded: bool) -> dict:
        """A pending refund goes through, or fails and its amount returns to the charge
        (``refund.updated``, ``charge.refund.updated``, and ``refund.failed`` when it
        fails). A refund that succeeded can still fail later, as when the donor's bank
        account has closed and the bank sends the money back. Returns the refund."""
        with self._lock:
            refund = self._get(refund_id, "refund")
            settled = "pending" if succeeded else ("pending", "succeeded")
            if refund["status"] not in settled:
                raise ValueError(f"{refund_id} is {refund['status']}; it cannot change now")
            if succeeded:
                refund["status"] = "succeeded"
            else:
                refund.update(status="failed", failure_reason="declined")
                self._add_refunded(self._objects[refund["charge"]], -refund["amount"])
            return copy.deepcopy(refund)

    def create_dispute(
        self, charge_id: str, amount: int | None = None, reason: str = "fraudulent"
    ) -> dict:
        """The donor's bank disputes a succeeded charge (``charge.dispute.created``)."""
        with self._lock:
            charge = self._get(charge_id, "charge")
            if charge["status"] != "succeeded":
                raise ValueError(f"{charge_id} is {charge['status']}; only payments are disputed")
            charge["disputed"] = True
            dispute = payment_objects.dispute(
                charge=charge,
                amount=charge["amount"] if amount is None else amount,
                reason=reason,
                now=self._now(),
            )
            return copy.deepcopy(self._store(dispute))

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict:
        """The bank decides (``charge.dispute.closed``): ``won`` or ``lost``."""
        with self._lock:
            dispute = self._get(dispute_id, "dispute")
            if dispute["status"] in ("won", "lost"):
                raise ValueError(f"{dispute_id} is already {dispute['status']}")
            dispute["status"] = "won" if won else "lost"
            return copy.deepcopy(dispute)

    def _start_payment(self, intent: dict, method: str, email: str | None) -> dict:
        """A charge attempt on ``intent``, pending until ``payment_objects.settle_payment``."""
        charge = self._store(
            payment_objects.charge(intent=intent, method=method, email=email, now=self._now())
        )
        intent.update(
            status="processing",
            latest_charge=charge["id"],
            payment_method=charge["payment_method"],
            processing={"type": method},
        )
        return charge

    @staticmethod
    def _add_refunded(charge: dict, amount: int) -> None:
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]

    def _refundable_charge(self, payment_intent: str | None, charge: str | None) -> dict:
        if (payment_intent is None) == (charge is None):
            raise StripeError("You must pass exactly one of `charge` or `payment_intent`.")
        if payment_intent is not None:
            intent = self._get(payment_intent, "payment_intent", "payment_intent")
            if intent["status"] != "succeeded":
                raise StripeError(
                    f"This PaymentIntent ({payment_intent}) does not have a successful charge "
                    "to refund.",
                    param="payment_intent",
                )
            return self._objects[intent["latest_charge"]]
        paid = self._get(charge, "charge", "charge")
        if paid["status"] != "succeeded":
            raise StripeError(
                f"Charge {charge} has not succeeded; it cannot be refunded.", param="charge"
            )
        return paid

    # -- HTTP endpoints ------------------------------------------------------------------

    def _create_refund(self, query: dict) -> dict:
        params.refuse_unknown(query, {"amount", "charge", "metadata", "payment_intent", "reason"})
        reason = query.get("reason")
        if reason is not None and reason not in params.REFUND_REASONS:
            raise StripeError(f"Invalid reason: {reason}", param="reason")
        return self.refund(
            payment_intent=query.get("payment_intent"),
            charge=query.get("charge"),
            amount=params.integer(query["amount"], "amount") if "amount" in query else None,
            reason=reason,
            metadata=params.metadata(query.get("metadata", {})),
        )
