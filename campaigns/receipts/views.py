"""Thin views over campaigns.services.receipts."""

from __future__ import annotations

import hmac

from flask import abort, current_app, make_response, render_template

from campaigns.extensions import db
from campaigns.receipts import bp
from campaigns.services import receipts


@bp.get("/<token>.pdf")
def download(token: str):
    """The receipt's stored bytes, the same on every download. Any other token gets the
    same lookup and the same 404, so a guess learns nothing from the answer or its time."""
    receipt = receipts.receipt_by_token(db.session, token)
    known = receipt is not None and hmac.compare_digest(receipt.token, token)
    if not known:
        abort(404)
    pdf = receipts.receipt_pdf(db.session, receipt, receipts.receipt_settings(current_app.config))
    db.session.commit()
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = f'inline; filename="receipt-{receipt.number}.pdf"'
    return response


@bp.get("/verify/<number>")
def verify(number: str):
    """Anyone holding a receipt can check it here: number, dates, amount, campaign and
    whether it stands. Nothing about the donor."""
    receipt = receipts.receipt_by_number(db.session, number)
    if receipt is None:
        return render_template("receipts/verify.html", number=number, receipt=None), 404
    return render_template(
        "receipts/verify.html",
        number=number,
        receipt=receipt,
        replaced_by=receipts.replacement_of(db.session, receipt),
    )
