"""PDF rendering: the only module that imports WeasyPrint.

WeasyPrint fetches every URL a document names (stylesheets, fonts, images). Receipts
carry text donors typed, so the fetcher here is strict: it serves the app's own static
files from disk and ``data:`` URIs (the QR code), and refuses everything else: no
``file://``, no network, not even the app's own host over HTTP.
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from flask import current_app
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.security import safe_join

# WeasyPrint embeds font subsets made by fontTools, which stamps each subset's "modified"
# date with the clock's current second unless SOURCE_DATE_EPOCH says otherwise: two renders
# of one document a second apart would differ. A fixed stamp (2026-01-01, unless the
# deployment sets its own) keeps the same HTML giving the same bytes.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")


class RefusedURL(ValueError):
    """A document asked for a URL the receipt renderer never fetches."""


class StaticFilesFetcher(URLFetcher):
    """Serves URLs under ``static_prefix`` from ``static_folder``, and ``data:`` URIs."""

    def __init__(self, static_prefix: str, static_folder: str | Path) -> None:
        # fail_on_errors=False: a refused URL is logged by WeasyPrint and left out, and
        # the document still renders.
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self.static_prefix = static_prefix
        self.static_folder = str(static_folder)

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        return URLFetcherResponse(url, self._static_file(url).read_bytes(), self._headers(url))

    def _static_file(self, url: str) -> Path:
        parts = urlsplit(url)
        if not url.startswith(self.static_prefix) or parts.query or parts.fragment:
            raise RefusedURL(f"not one of the app's static files: {url}")
        relative = posixpath.normpath(unquote(url.removeprefix(self.static_prefix)))
        # safe_join refuses "..", absolute paths and other escapes from the folder.
        path = safe_join(self.static_folder, relative)
        if path is None or not Path(path).is_file():
            raise RefusedURL(f"no such static file: {url}")
        return Path(path)

    @staticmethod
    def _headers(url: str) -> dict[str, str]:
        content_type, _encoding = mimetypes.guess_type(urlsplit(url).path)
        return {"Content-Type": content_type or "application/octet-stream"}


def _as_directory(url: str) -> str:
    # "https://example.org/give" + "static/" must not lose "give".
    return url.rstrip("/") + "/"


def static_prefix(base_url: str) -> str:
    """The absolute URL under which the app's static files live, e.g.
    ``https://give.example.org/static/``; documents link their CSS, fonts and logo there."""
    return urljoin(_as_directory(base_url), current_app.static_url_path.lstrip("/") + "/")


def render_pdf(html: str, base_url: str) -> bytes:
    """Render ``html`` to PDF bytes. Relative links resolve against ``base_url`` (the
    site's public address); only the app's static files and ``data:`` URIs are fetched.

    Needs an app context (for the static folder). The same HTML gives the same bytes.
    """
    fetcher = StaticFilesFetcher(static_prefix(base_url), current_app.static_folder)
    html_doc = HTML(string=html, base_url=_as_directory(base_url), url_fetcher=fetcher)
    return html_doc.write_pdf()
