"""Sharing a page: the absolute address others are sent, plain share links (no
third-party script: each is an ordinary link to the network's own share page), and the
Open Graph locale of the page's language. Jinja globals, for the campaign, report,
thank-you and embed pages."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from campaigns import app_settings

# Open Graph wants a territory with the language.
OG_LOCALES = {"en": "en_GB", "tr": "tr_TR", "ar": "ar_AR"}


@dataclass(frozen=True)
class ShareLink:
    """One way to share: the network's name and the address of its share page."""

    network: str  # a class name: whatsapp, telegram, x, facebook, email
    name: str
    href: str


def _query(values: dict[str, str]) -> str:
    # %20, not "+", for spaces: a mail client reads "+" literally.
    return urlencode(values, quote_via=quote)


def share_links(url: str, title: str) -> list[ShareLink]:
    """Links that share ``url`` with ``title`` as the message."""
    message = f"{title} {url}"
    return [
        ShareLink("whatsapp", "WhatsApp", "https://wa.me/?" + _query({"text": message})),
        ShareLink(
            "telegram", "Telegram", "https://t.me/share/url?" + _query({"url": url, "text": title})
        ),
        ShareLink("x", "X", "https://x.com/intent/post?" + _query({"url": url, "text": title})),
        ShareLink(
            "facebook",
            "Facebook",
            "https://www.facebook.com/sharer/sharer.php?" + _query({"u": url}),
        ),
        ShareLink(
            "email",
            str(_l("E-mail")),
            "mailto:?" + _query({"subject": title, "body": message}),
        ),
    ]


def public_url(endpoint: str, **values) -> str:
    """The page's address on SITE_URL in the reader's language (``?lang=``): what
    canonical links, Open Graph tags and share links carry, never the request's Host."""
    return app_settings().absolute_url(endpoint, lang=str(get_locale() or "en"), **values)


def upload_url(name: str | None) -> str | None:
    """An uploaded photo's absolute address (SITE_URL), for Open Graph; None without one."""
    return app_settings().absolute_url("public.upload", name=name) if name else None


def og_locale() -> str:
    code = str(get_locale() or "en")
    return OG_LOCALES.get(code, code)


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        share_links=share_links, public_url=public_url, upload_url=upload_url, og_locale=og_locale
    )
