"""What the browser tests share: Debian's Chromium driven by Playwright, the app on a real HTTP
server on loopback, and pages that record everything that went wrong in them.

A test module uses these with `pytest_plugins = ["tests.support.browser"]` (registered once, so
one Chromium serves the whole session) and marks its tests `browser`. Browser tests skip only
outside CI when Chromium is absent; in CI (`CI` set) a missing Chromium fails them.

The modules also import helpers from here before pytest registers it as a plugin; it has no
assert of its own to rewrite, hence PYTEST_DONT_REWRITE (which spares the warning).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# Reports every CSP violation on the console, where the page's recorder collects it. Playwright
# adds it to every document before the page's own content, whatever the page's CSP says.
CSP_WATCH = ("document.addEventListener('securitypolicyviolation', e => console.error("
             "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
STATUS_LOG = "Failed to load resource: the server responded with a status of 4"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session."""
    if not Path(CHROMIUM).exists():
        if in_ci():
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)")
        pytest.skip(f"{CHROMIUM} is not installed (browser tests run in CI)")
    from playwright.sync_api import sync_playwright  # in the `test` extra

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The app on a real HTTP server on loopback, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the loop to look at its flag: every poll_interval (0.5 s by default)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def watched_page(chromium, *, locale: str = "th-TH", width: int = 1280, height: int = 900,
                 scale: float = 1, refused_documents: Iterable[str] = ()):
    """A new context and page (default timeout 15 s) that records in `page.errors` every console
    error or warning, page error, CSP violation, failed request and subresource answered 4xx/5xx.

    Chromium also logs the status of a page that answers 4xx ("Failed to load resource: … 422"):
    for the URLs in `refused_documents` (pages that answer 4xx on purpose) that one message is
    not an error. The caller closes `page.context`."""
    context = chromium.new_context(locale=locale, viewport={"width": width, "height": height},
                                   device_scale_factor=scale)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    refused = frozenset(refused_documents)

    def on_console(message):
        if message.type not in ("error", "warning"):
            return
        if message.text.startswith(STATUS_LOG) and message.location.get("url") in refused:
            return
        errors.append(f"console {message.type}: {message.text} {message.location}")

    def on_response(response):
        if response.request.resource_type != "document" and response.status >= 400:
            errors.append(f"{response.status} for {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("response", on_response)
    page.on("requestfailed", lambda request: errors.append(
        f"failed: {request.url} {request.failure}"))
    page.errors = errors
    return page


@pytest.fixture
def open_page(chromium):
    """`open_page(**options)` → a `watched_page`; every context opened is closed afterwards."""
    pages = []

    def opener(**options):
        pages.append(watched_page(chromium, **options))
        return pages[-1]

    yield opener
    for page in pages:
        page.context.close()


def fits_width(page) -> bool:
    """No sideways scrolling: the document is no wider than the viewport."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
