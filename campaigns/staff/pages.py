"""The About, Contact and Privacy pages: staff write each in every language (editors
and admins; viewers read)."""

from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from campaigns import app_settings
from campaigns.extensions import db
from campaigns.forms import current_actor, form_values, submit, with_errors
from campaigns.languages import LANGUAGE_NAMES
from campaigns.markdown import render_markdown
from campaigns.services.content import pages
from campaigns.services.content.pages import PageForm
from campaigns.staff import bp


class PageEditForm(FlaskForm):
    title = StringField(_l("Title"), render_kw={"dir": "auto"})
    body = TextAreaField(
        _l("Text"),
        description=_l("Markdown: **bold**, _italic_, [links](https://…), lists, headings."),
        render_kw={"rows": 20, "dir": "auto"},
    )


def page_or_404(slug: str, locale: str) -> None:
    if slug not in pages.PAGES or locale not in current_app.config["LANGUAGES"]:
        abort(404)


@bp.get("/pages")
def site_pages():
    return render_template(
        "staff/pages/list.html",
        pages=pages.PAGES,
        languages={
            code: LANGUAGE_NAMES.get(code, code) for code in current_app.config["LANGUAGES"]
        },
    )


def edit_page(form: PageEditForm, slug: str, locale: str, preview=None) -> str:
    return render_template(
        "staff/pages/edit.html",
        form=form,
        slug=slug,
        locale=locale,
        language=LANGUAGE_NAMES.get(locale, locale),
        preview=preview,
    )


@bp.route("/pages/<slug>/<locale>", methods=["GET", "POST"])
def edit_site_page(slug: str, locale: str):
    page_or_404(slug, locale)
    form = PageEditForm()
    if request.method == "GET":
        form.process(data=vars(pages.page_text(db.session, app_settings(), slug, locale)))
        return edit_page(form, slug, locale)
    if not form.validate_on_submit():
        return edit_page(form, slug, locale), 400
    if request.form.get("action") == "preview":
        return edit_page(form, slug, locale, preview=render_markdown(form.body.data))
    return submit(
        with_errors(form, lambda: edit_page(form, slug, locale)),
        lambda: pages.save_page(
            db.session, slug, locale, form_values(form, PageForm), actor=current_actor()
        ),
        lambda saved: _("Saved “%(title)s”.", title=saved.title),
        url_for("staff.edit_site_page", slug=slug, locale=locale),
    )
