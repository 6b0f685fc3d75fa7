"""campaigns/pdf.py: documents render with the shipped fonts, and the renderer fetches
nothing but the app's own static files: no file://, no network."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from campaigns.pdf import RefusedURL, StaticFilesFetcher, render_pdf, static_prefix
from tests.receipting import embedded_fonts, pdf_text

SITE = "http://campaigns.test"
PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="static/css/fonts.css">
<link rel="stylesheet" href="static/css/receipt.css">
{head}</head><body><p>Still rendered</p>{body}</body></html>"""


@pytest.fixture
def fetcher(app_ctx) -> StaticFilesFetcher:
    return StaticFilesFetcher(static_prefix(SITE), app_ctx.static_folder)


class CountingHandler(BaseHTTPRequestHandler):
    """Serves a stylesheet that would print LEAKED-HTTP, and counts every request."""

    hits: list[str] = []

    def do_GET(self) -> None:
        CountingHandler.hits.append(self.path)
        body = b'body::after { content: "LEAKED-HTTP"; }'
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def remote_server():
    """A real HTTP server on 127.0.0.1 standing in for a remote host."""
    CountingHandler.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_fetcher_serves_the_apps_static_files(fetcher):
    response = fetcher.fetch(f"{SITE}/static/css/fonts.css")
    assert response.content_type == "text/css"
    assert b'font-family: "Campaigns Noto Sans"' in response.read()
    font = fetcher.fetch(f"{SITE}/static/fonts/noto-sans-latin-400-normal.woff").read()
    assert font[:4] == b"wOFF"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/x.png",
        "https://campaigns.test.evil.example/static/css/fonts.css",
        f"{SITE}/static/../config.py",
        f"{SITE}/static/%2e%2e/config.py",
        f"{SITE}/static/css/../../config.py",
        f"{SITE}/static//etc/passwd",
        f"{SITE}/static/css/no-such.css",
        f"{SITE}/static/css/",
        f"{SITE}/receipts/verify/RCPT-2026-000001",
        "ftp://example.org/x",
    ],
)
def test_fetcher_refuses_everything_else(fetcher, url):
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)


def test_rendering_fetches_no_file_or_remote_url(app_ctx, tmp_path, remote_server, monkeypatch):
    leaked_css = tmp_path / "evil.css"
    leaked_css.write_text('body::before { content: "LEAKED-FILE"; }')
    connections = []
    real_connect = socket.create_connection

    def record_connect(address, *args, **kwargs):
        connections.append(address)
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", record_connect)
    html = PAGE.format(
        head=f'<link rel="stylesheet" href="file://{leaked_css}">'
        f'<link rel="stylesheet" href="{remote_server}/evil.css">'
        '<style>@import url("file:///etc/passwd");</style>',
        body='<img src="file:///etc/passwd"><img src="http://example.org/x.png">'
        f'<img src="{remote_server}/x.png">',
    )

    text = pdf_text(render_pdf(html, SITE))

    assert "Still rendered" in text
    assert "LEAKED" not in text
    assert "root:" not in text
    assert CountingHandler.hits == []
    assert connections == []


def test_documents_embed_the_shipped_fonts(app_ctx):
    html = PAGE.format(
        head="",
        body="<p>Ayşe Yılmaz, İstanbul, Çağrı Öğüt</p><p><b>₺1.250,50</b></p><p>محمد عبد الله</p>",
    )

    pdf = render_pdf(html, SITE)

    text = pdf_text(pdf)
    assert "Ayşe Yılmaz, İstanbul, Çağrı Öğüt" in text
    assert "₺1.250,50" in text
    assert "محمد عبد الله" in text
    fonts = embedded_fonts(pdf)
    assert set(fonts) == {
        "Campaigns-Noto-Sans",
        "Campaigns-Noto-Sans-Latin-Ext",
        "Campaigns-Noto-Sans-Latin-Ext-Bold",  # the bold lira sign
        "Campaigns-Noto-Sans-Bold",  # the bold digits
        "Campaigns-IBM-Plex-Sans-Arabic",
    }
    assert all(fonts.values())


def test_same_html_gives_the_same_bytes_an_hour_later(app_ctx, monkeypatch):
    html = PAGE.format(head="", body="<p>Receipt RCPT-2026-000001</p>")
    first = render_pdf(html, SITE)
    now = time.time
    # The embedded font subsets must not carry the clock's time.
    monkeypatch.setattr(time, "time", lambda: now() + 3600)
    assert render_pdf(html, SITE) == first


def test_a_site_under_a_path_keeps_its_static_prefix(app_ctx):
    assert static_prefix("https://example.org/give") == "https://example.org/give/static/"
    assert static_prefix("https://example.org/give/") == "https://example.org/give/static/"
    html = PAGE.format(head="", body="<p>Ayşe</p>")
    fonts = embedded_fonts(render_pdf(html, "https://example.org/give"))
    assert set(fonts) == {"Campaigns-Noto-Sans", "Campaigns-Noto-Sans-Latin-Ext"}
