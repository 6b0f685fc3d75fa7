"""The one-click unsubscribe link in every news e-mail (``services.mail.news``).

GET shows a page with one button (a mail scanner that follows links unsubscribes nobody);
POST unsubscribes. The POST needs no CSRF token: RFC 8058 has mail clients POST
``List-Unsubscribe=One-Click`` to the link itself, and the link's keyed code already
proves it came from the e-mail.
"""

from __future__ import annotations

from flask import abort, render_template, request

from campaigns import app_settings
from campaigns.donor import bp
from campaigns.extensions import csrf, db
from campaigns.services.mail import news
from campaigns.text import parse_int


@bp.route("/news/<donation_id>/<code>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(donation_id: str, code: str):
    gift_id = parse_int(donation_id, minimum=1)
    gift = (
        None if gift_id is None else news.subscribed_gift(db.session, app_settings(), gift_id, code)
    )
    if gift is None:
        abort(404)
    if request.method == "GET":
        return render_template("donor/unsubscribe.html", gift=gift, done=False)
    news.stop_news(db.session, gift)
    db.session.commit()
    return render_template("donor/unsubscribe.html", gift=gift, done=True)
