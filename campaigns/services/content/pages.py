"""The trust pages (About, Contact, Privacy notice): what a reader sees, and staff editing.

Each page has one text per language, written by staff in Markdown (``Page`` rows). A
language without its own text shows the default the app ships
(``templates/pages/<slug>.<locale>.md``, filled in with the charity's details), so a new
site tells donors the truth about their data from its first day.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import Page
from campaigns.models.base import utcnow
from campaigns.services import FormInvalid
from campaigns.services.audit import Actor, record_change
from campaigns.settings import Settings
from campaigns.text import LONG_TEXT, column_length, read_text

# Each page's name in the menus and its default title.
PAGES = {
    "about": _l("About us"),
    "contact": _l("Contact"),
    "privacy": _l("Privacy notice"),
}


@dataclass
class PageForm:
    """A trust page's text as submitted: raw strings."""

    title: str = ""
    body: str = ""


def default_page(settings: Settings, slug: str, locale: str) -> PageForm:
    """The text the app ships for ``slug`` in ``locale``."""
    charity = settings.receipts
    with force_locale(locale):
        body = render_template(
            f"pages/{slug}.{locale}.md",
            charity_name=charity.charity_name,
            charity_address=charity.charity_address,
            charity_registration=charity.charity_registration,
            charity_email=charity.charity_email,
        )
        return PageForm(title=str(PAGES[slug]), body=body)


def page_text(session: Session, settings: Settings, slug: str, locale: str) -> PageForm:
    """What ``slug`` says in ``locale``: staff's text, or the shipped default."""
    page = _stored(session, slug, locale)
    if page is None:
        return default_page(settings, slug, locale)
    return PageForm(title=page.title, body=page.body)


def _stored(session: Session, slug: str, locale: str) -> Page | None:
    return session.scalar(select(Page).where(Page.slug == slug, Page.locale == locale))


def save_page(session: Session, slug: str, locale: str, form: PageForm, *, actor: Actor) -> Page:
    """Store staff's text of ``slug`` in ``locale``; FormInvalid with a message per field,
    changing nothing."""
    errors: dict[str, str] = {}
    title = read_text(form.title, "title", column_length(Page.title), errors, required=True)
    body = read_text(form.body, "body", LONG_TEXT, errors, required=True, multiline=True)
    if errors:
        raise FormInvalid(errors)
    page = _stored(session, slug, locale)
    before = None if page is None else {"title": page.title, "body": page.body}
    if page is None:
        page = Page(slug=slug, locale=locale, title=title, body=body)
        session.add(page)
    else:
        page.title, page.body, page.updated_at = title, body, utcnow()
    session.flush()
    record_change(
        session,
        actor=actor,
        action="page.save",
        entity_type="page",
        entity_id=page.id,
        before=before,
        after={"slug": slug, "locale": locale, "title": title, "body": body},
    )
    return page
