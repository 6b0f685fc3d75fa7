"""The pages that tell donors who we are and what we do with their data: About, Contact
and the Privacy notice, in the reader's language (``services.content.pages``)."""

from __future__ import annotations

from flask import render_template
from flask_babel import get_locale

from campaigns import app_settings
from campaigns.extensions import db
from campaigns.public import bp
from campaigns.services.content import pages


def render_page(slug: str) -> str:
    text = pages.page_text(db.session, app_settings(), slug, str(get_locale() or "en"))
    return render_template("public/page.html", slug=slug, page=text)


@bp.get("/about")
def about():
    return render_page("about")


@bp.get("/contact")
def contact():
    return render_page("contact")


@bp.get("/privacy")
def privacy():
    return render_page("privacy")
