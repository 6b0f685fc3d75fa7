"""Browser-test harness: the session's app on a live loopback server, Debian's Chromium
driven by Playwright, and a page per test that fails the test on any console error,
page error or request leaving the machine.

Full-page screenshots of every page a test visits land in test-output/browser/<test>/.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Response,
    Route,
    expect,
    sync_playwright,
)
from werkzeug.serving import make_server

from campaigns.demo import load_demo
from campaigns.extensions import db

CHROMIUM = "/usr/bin/chromium"
# No sandbox (CI runs as root in a container); nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = "127.0.0.1"
MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
FAILED_STATUS = "Failed to load resource: the server responded with a status of"
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"


def closing(app: Callable) -> Callable:
    """``app`` whose response is closed even when the browser drops the connection.

    Werkzeug's development server skips ``close()`` when a client hangs up mid-response (an
    image Chromium stops loading when the page moves on), which leaves a served file open
    until the garbage collector warns about it, in whichever later test that happens. This
    generator's ``finally`` runs when the server lets go of it, dropped or not.
    """

    def wsgi(environ: dict, start_response: Callable) -> Iterator[bytes]:
        response: Iterable[bytes] = app(environ, start_response)
        try:
            yield from response
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The session's app served on a free loopback port; yields its base URL."""
    server = make_server(LOOPBACK, 0, closing(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://{LOOPBACK}:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    """Mobile first; parametrize ``viewport`` with DESKTOP for the wide layout."""
    return MOBILE


@pytest.fixture
def javascript() -> bool:
    """Parametrize ``javascript`` with False to check the site without scripts."""
    return True


@dataclass
class BrowserProblems:
    """What went wrong in this test's page: console errors, page errors, requests that
    tried to leave the machine. ``expected_status`` holds URLs whose error status the test
    asked for (a 404 page), so Chromium's "Failed to load resource" for them is no problem."""

    errors: list[str] = field(default_factory=list)
    expected_status: set[str] = field(default_factory=set)

    def console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if url in self.expected_status and message.text.startswith(FAILED_STATUS):
            return
        self.errors.append(f"console error: {message.text} ({url})")

    def fail_if_any(self) -> None:
        errors, self.errors = self.errors, []
        if errors:
            pytest.fail("The browser reported problems:\n" + "\n".join(errors))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Fail the test itself (not its teardown) when its page reported a problem."""
    result = yield
    problems = getattr(item, "funcargs", {}).get("browser_problems")
    if problems is not None:
        problems.fail_if_any()
    return result


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page(
    app, browser, live_server, viewport, javascript, browser_problems, configure
) -> Iterator[Page]:
    """A fresh context per test (no shared cookies), confined to the live server, which is
    the site's SITE_URL meanwhile (return URLs are built on it); the test fails if the
    browser reports any problem."""
    configure(SITE_URL=live_server)
    context = browser.new_context(
        base_url=live_server,
        viewport=viewport,
        java_script_enabled=javascript,
        locale="en-US",
        timezone_id="Europe/Istanbul",
    )

    def confine(route: Route) -> None:
        if urlsplit(route.request.url).hostname == LOOPBACK:
            route.continue_()
        else:
            browser_problems.errors.append(f"request off the machine: {route.request.url}")
            route.abort()

    context.route("**/*", confine)
    page = context.new_page()
    # CSP violations and failed loads arrive as console errors: they fail the test.
    page.on("console", browser_problems.console)
    page.on("pageerror", lambda error: browser_problems.errors.append(f"page error: {error}"))
    yield page
    context.close()
    # Problems seen during the test already failed it (pytest_runtest_call); these came later.
    browser_problems.fail_if_any()


@pytest.fixture
def screenshot_dir(request) -> Path:
    """test-output/browser/<test name>/, emptied first so it shows this run only."""
    folder = OUTPUT / re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def visit(page, live_server, screenshot_dir, browser_problems) -> Callable[..., Response]:
    """visit(path, status=200): open a page, scroll each image into view as a reader would
    (lazy images load only then) and wait for it, save a full-page screenshot, then check
    the status and that every image loaded."""
    count = 0

    def open_page(path: str, status: int = 200) -> Response:
        nonlocal count
        if status >= 400:
            browser_problems.expected_status.add(live_server + path)
        response = page.goto(path, wait_until="load")
        assert response is not None
        broken = []
        for image in page.locator("img").all():
            image.scroll_into_view_if_needed()
            # A broken image is "complete" too, so this waits for loading, not for success.
            expect(image).to_have_js_property("complete", True)
            if image.evaluate("i => i.naturalWidth") == 0:
                broken.append(image.get_attribute("src"))
        page.evaluate("window.scrollTo(0, 0)")  # leave the page as it opened
        count += 1
        name = re.sub(r"[^\w.-]+", "_", path).strip("_") or "home"
        page.screenshot(path=screenshot_dir / f"{count:02d}-{name}.png", full_page=True)
        assert response.status == status, f"{path} answered {response.status}, not {status}"
        assert broken == [], f"images that did not load on {path}: {broken}"
        return response

    return open_page


@pytest.fixture
def demo_site(app_ctx) -> None:
    """The demo campaigns, reports and paid gifts, committed so the live server sees them
    (every table is emptied again after the test)."""
    load_demo(db.session)
    db.session.commit()
