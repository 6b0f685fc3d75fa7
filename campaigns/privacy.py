"""Responses about one donor (their gifts, receipts, thank-you page, statements): the URL
is the key to them, so no browser or proxy cache keeps them and no Referer names them."""

from __future__ import annotations

from flask import Response

PRIVATE_HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


def keep_private(response: Response) -> Response:
    """Mark ``response`` private (see the module docstring); returns it."""
    response.headers.update(PRIVATE_HEADERS)
    return response
