"""Thin views over campaigns.services.books.receipts."""

from __future__ import annotations

import hmac

from flask import abort, make_response, render_template, request

from campaigns import app_settings
from campaigns.extensions import db, limiter
from campaigns.privacy import keep_private
from campaigns.receipts import bp
from campaigns.services.books import receipts


@bp.get("/<token>.pdf")
def download(token: str):
    """The receipt's stored bytes, the same on every download. Any other token gets the
    same lookup and the same 404, so a guess learns nothing from the answer or its time."""
    receipt = receipts.receipt_by_token(db.session, token)
    known = receipt is not None and hmac.compare_digest(receipt.token, token)
    if not known:
        abort(404)
    pdf = receipts.receipt_pdf(db.session, receipt, app_settings().receipts)
    # Read before the commit, which expires the row: after it, the number would cost
    # another query (and the stored PDF read again with it).
    name = f"receipt-{receipt.number}.pdf"
    db.session.commit()
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return keep_private(response)


# Enough for anyone checking receipts by hand, far too few to guess a check code.
CHECKS_PER_CLIENT = "30 per minute;300 per hour"


@bp.get("/verify/<number>")
@limiter.limit_reads(CHECKS_PER_CLIENT)
def verify(number: str):
    """Anyone holding a receipt can check it here. With the number alone (an old QR code,
    a guess) the page says only whether we issued it; with its check code (``?c=``, as
    printed and in the QR code) also the dates, amount, campaign and whether it stands.
    Nothing about the donor, ever."""
    receipt = receipts.receipt_by_number(db.session, number)
    if receipt is None:
        return render_template("receipts/verify.html", number=number, receipt=None), 404
    settings = app_settings().receipts
    code = request.args.get("c", "")
    if not receipts.code_matches(settings, receipt.number, code):
        return render_template(
            "receipts/verify.html", number=number, receipt=receipt, locked=True, wrong=bool(code)
        )
    replaced_by = receipts.replacement_of(db.session, receipt)
    return render_template(
        "receipts/verify.html",
        number=number,
        receipt=receipt,
        replaced_by=replaced_by,
        replaced_by_code=replaced_by and receipts.check_code(settings, replaced_by.number),
    )
