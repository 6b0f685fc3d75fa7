"""The one exception the fake raises for a request Stripe would refuse."""

from __future__ import annotations

DOCS = "https://docs.stripe.com/error-codes"


class StripeError(Exception):
    """Becomes Stripe's error body, ``{"error": {"type", "message", "param", "code"}}``,
    with the same status code, so the SDK raises the same exception class as for Stripe."""

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int = 400,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status
        self.type = type

    def body(self) -> dict:
        error: dict = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"{DOCS}#{self.code.replace('_', '-')}"
        return {"error": error}


def no_such(object_name: str, object_id: str, param: str = "id") -> StripeError:
    """Stripe's 404 for an id it does not know."""
    return StripeError(
        f"No such {object_name}: '{object_id}'", param=param, code="resource_missing", status=404
    )
