"""E-mail that could not be sent: the messages the sender gave up on, and "try again".

Every staff member sees the list; only admins see whole recipient addresses (others see
them masked). Editors and admins may send a message again.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaigns.extensions import db
from campaigns.forms import EmptyForm, current_actor
from campaigns.models.staff import Role
from campaigns.services.mail.outbox import failed_messages, send_again
from campaigns.staff import bp
from campaigns.staff.donations import page_number

PER_PAGE = 50


def masked(address: str) -> str:
    """``ayse@example.org`` as ``a•••@example.org``."""
    local, at, domain = address.rpartition("@")
    return f"{local[:1]}•••{at}{domain}" if at else "•••"


@bp.get("/outbox")
def outbox():
    page = db.paginate(failed_messages(db.session), page=page_number(), per_page=PER_PAGE)
    recipient = (lambda address: address) if current_user.role == Role.ADMIN else masked
    return render_template("staff/outbox.html", page=page, recipient=recipient)


@bp.post("/outbox/<int:message_id>/send-again")
def send_message_again(message_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    if send_again(db.session, message_id, actor=current_actor()):
        db.session.commit()
        flash(_("The message will be sent again within a few minutes."), "info")
    else:
        flash(_("This message is no longer waiting to be sent again."), "info")
    return redirect(url_for("staff.outbox"), 303)
