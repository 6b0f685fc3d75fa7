"""Valid staff forms, as an editor fills them in, for tests that change one field."""

from __future__ import annotations

import io

from PIL import Image

CAMPAIGN_FORM = {
    "title": "Winter tents",
    "slug": "winter-tents",
    "summary": "Tents for families.",
    "story": "A story.",
    "currency": "TRY",
    "goal": "250,000",
    "status": "active",
    "designations": ["general"],
    "action": "save",
}
OFFLINE_GIFT = {
    "method": "bank_transfer",
    "amount": "2,500.00",
    "option": "",
    "quantity": "1",
    "designation": "general",
    "donor_name": "Mehmet Demir",
    "donor_email": "mehmet@example.org",
    "received_on": "2026-01-15",
    "note": "",
}


def photo() -> io.BytesIO:
    """A small JPEG, as a phone would upload it."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(out, "JPEG")
    out.seek(0)
    return out
