"""Helpers for the receipt tests: paid donations made the way payments make them, and
PDFs read back as a person (text) and a printer (embedded fonts) would."""

from __future__ import annotations

import io
import itertools
from datetime import datetime

from flask import current_app
from pypdf import PdfReader

from campaigns.extensions import db
from campaigns.models import Campaign, Donation, DonationStatus, Receipt
from campaigns.services.books.receipts import receipt_pdf
from campaigns.services.giving import settlement

# The families static/css/fonts.css gives the shipped files (BaseFont names in a PDF):
# seeing only these proves no system font was used.
SHIPPED_FONTS = {
    f"Campaigns-{family}{weight}"
    for family in ("Noto-Sans", "Noto-Sans-Latin-Ext", "IBM-Plex-Sans-Arabic")
    for weight in ("", "-Bold")
}
_payments = itertools.count(1)
DONOR = {
    "donor_name": "Ayşe Yılmaz",
    "donor_email": "ayse@example.org",
    "provider": "stripe",
    "locale": "en",
}


def paid_donation(campaign: Campaign, amount: int = 250_00, **fields) -> Donation:
    """A donation paid through ``settlement.mark_paid`` (which issues its receipt), committed."""
    donation = Donation(
        campaign=campaign, amount=amount, currency=campaign.currency, **(DONOR | fields)
    )
    db.session.add(donation)
    db.session.commit()
    outcome = settlement.mark_paid(
        db.session,
        current_app.extensions["settings"],
        donation,
        payment_id=f"pi_test_{next(_payments)}",
    )
    assert outcome == settlement.Outcome.PAID
    db.session.commit()
    return donation


def unreceipted_donation(campaign: Campaign, paid_at: datetime, **fields) -> Donation:
    """A paid donation without a receipt yet (for numbering tests), committed."""
    donation = Donation(
        campaign=campaign,
        amount=100_00,
        currency=campaign.currency,
        status=DonationStatus.PAID,
        paid_at=paid_at,
        provider_payment_id=f"pi_test_{next(_payments)}",
        **(DONOR | fields),
    )
    db.session.add(donation)
    db.session.commit()
    return donation


def pdf_of(receipt: Receipt) -> bytes:
    """The receipt's PDF, rendered now if nothing has asked for it yet (as a download would)."""
    pdf = receipt_pdf(db.session, receipt, current_app.extensions["settings"].receipts)
    db.session.commit()
    return pdf


def pdf_text(pdf: bytes) -> str:
    """All the text of a PDF, pages joined, as a reader copying it out would get it."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Each font the PDF's pages use, by base name without the subset tag ("Noto-Sans"),
    and whether its glyphs are embedded in the file (a font file in its descriptor)."""
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts", [font])[0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            fonts[name] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return fonts
