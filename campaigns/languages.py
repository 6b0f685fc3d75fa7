"""The reader's language: ``?lang=`` (shared links), then the choice remembered in a
cookie, then the browser's Accept-Language, then the site default.

Choosing a language needs no script: the switcher is a plain link to the same page with
``?lang=xx``, and the response remembers that choice in the ``lang`` cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, unquote, urlencode, urlsplit

from babel import Locale
from flask import Flask, Response, current_app, has_request_context, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from campaigns.models.campaign import Campaign
from campaigns.models.translatable import Localized, Translatable, direction

LANGUAGE_COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600
# Each language named in itself, never translated: a reader who cannot read the current
# page must still find their own language in the switcher.
LANGUAGE_NAMES = {"en": "English", "tr": "Türkçe", "ar": "العربية"}
# What a path may hold unencoded (RFC 3986 pchar and "/"); everything else is %-encoded.
PATH_CHARACTERS = "/!$&'()*+,;=:@-._~"


@dataclass(frozen=True)
class LanguageLink:
    """One entry of the language switcher."""

    code: str
    name: str
    url: str
    current: bool


def requested_language() -> str | None:
    """The language ``?lang=`` asks for, when the site speaks it; unknown codes are ignored."""
    code = request.args.get("lang")
    return code if code in current_app.config["LANGUAGES"] else None


def select_locale() -> Locale | None:
    """Flask-Babel's locale selector. Outside a request (a `flask` command, an e-mail or
    receipt rendered under force_locale) None, which means BABEL_DEFAULT_LOCALE."""
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    return locale_of(
        requested_language()
        or (remembered if remembered in languages else None)
        or request.accept_languages.best_match(languages)
        or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


@cache
def locale_of(code: str) -> Locale:
    """The Babel locale of one of the site's languages, parsed once: Flask-Babel takes a
    Locale as it is, where it would parse a code again on every request."""
    return Locale.parse(code)


def remember_language(response: Response) -> Response:
    """After each request: keep a ``?lang=`` choice in the cookie for a year, and tell
    caches that pages differ by cookie and Accept-Language (files and JSON do not)."""
    code = requested_language()
    if code and request.cookies.get(LANGUAGE_COOKIE) != code:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=ONE_YEAR,
            samesite="Lax",
            httponly=True,
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    if response.mimetype == "text/html":
        response.vary.update(("Cookie", "Accept-Language"))
    return response


def language_links() -> list[LanguageLink]:
    """The switcher: this page (path and query kept) in each language the site speaks."""
    current = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    path, args = page_address()
    links = []
    for code in current_app.config["LANGUAGES"]:
        query = [(k, v) for k, v in args if k != "lang"] + [("lang", code)]
        url = f"{path}?{urlencode(query)}"
        links.append(LanguageLink(code, LANGUAGE_NAMES[code], url, code == current))
    return links


def page_address() -> tuple[str, list[tuple[str, str]]]:
    """Where this page can be fetched again with GET: its own path and query; for the
    answer to a form (a gift with errors, POST only) the page the form was on."""
    if request.method in ("GET", "HEAD"):
        return on_site(request.path), list(request.args.items(multi=True))
    adapter = current_app.url_map.bind_to_environ(request.environ)
    if adapter.test(request.path, method="GET"):
        return on_site(request.path), []
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host:
        return on_site(unquote(referrer.path)), []
    return "/", []


def on_site(path: str) -> str:
    """``path`` (as decoded from a request) written back as a link that stays on this
    site, else ``/``. Percent-encoded first, so a tab, newline or backslash, which
    browsers drop or read as ``/``, cannot turn ``/\\t/host`` into ``//host``; then a
    path starting ``//`` (protocol-relative: another site) is refused."""
    link = quote(path, safe=PATH_CHARACTERS)
    return link if link.startswith("/") and not link.startswith("//") else "/"


def page_language() -> str:
    """The language this page (or e-mail, or receipt under force_locale) is written in."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def translation_languages() -> tuple[str, ...]:
    """The languages staff may translate into: all the site's but the source language."""
    source = current_app.config["CONTENT_LANGUAGE"]
    return tuple(code for code in current_app.config["LANGUAGES"] if code != source)


def localized(entity: Translatable, name: str) -> Localized:
    """Jinja ``localized(campaign, "title")``: the field in the page's language, or the
    charity's own (CONTENT_LANGUAGE) when not translated; ``.lang`` says which."""
    return entity.localized(name, page_language(), current_app.config["CONTENT_LANGUAGE"])


def localized_faq(campaign: Campaign) -> list[tuple[Localized, Localized]]:
    """Jinja ``localized_faq(campaign)``: its questions and answers in the page's
    language, each pair not translated in the charity's own."""
    return campaign.localized_faq(page_language(), current_app.config["CONTENT_LANGUAGE"])


def lang_attrs(text: object) -> Markup:
    """Jinja ``<h1{{ lang_attrs(title) }}>``: `` lang=".." dir=".."`` when ``text`` (a
    Localized) is in another language than the page, so screen readers switch voice and
    a Latin fallback on an Arabic page keeps its own direction; else nothing."""
    lang = getattr(text, "lang", None)
    if lang is None or lang == page_language():
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(lang, direction(lang))


def in_language(text: object) -> Markup:
    """Jinja ``{{ title|in_language }}``: ``text`` escaped, inside ``<span lang dir>``
    when it is a fallback in another language (for text inside a sentence or a cell)."""
    attrs = lang_attrs(text)
    if not attrs:
        return escape(text)
    return Markup("<span{}>{}</span>").format(attrs, text)


def alternate_links() -> list[tuple[str, str]]:
    """``(hreflang, absolute URL)`` of this page in each language, then ``x-default``
    (the page without ``?lang=``, which follows the reader's browser)."""
    path, args = page_address()
    kept = [(k, v) for k, v in args if k != "lang"]
    base = current_app.config["SITE_URL"] + path
    links = [
        (code, f"{base}?{urlencode([*kept, ('lang', code)])}")
        for code in current_app.config["LANGUAGES"]
    ]
    links.append(("x-default", f"{base}?{urlencode(kept)}" if kept else base))
    return links


def init_app(app: Flask) -> None:
    app.after_request(remember_language)
    app.jinja_env.globals["language_links"] = language_links
    app.jinja_env.globals["alternate_links"] = alternate_links
    app.jinja_env.globals["translation_languages"] = translation_languages
    app.jinja_env.globals["language_names"] = LANGUAGE_NAMES
    app.jinja_env.globals["lang_direction"] = direction
    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["localized_faq"] = localized_faq
    app.jinja_env.globals["lang_attrs"] = lang_attrs
    app.jinja_env.filters["in_language"] = in_language
