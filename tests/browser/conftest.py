"""A real Chromium (the system's, never a downloaded one) driving the app over HTTP.

`live_server` serves the test app on a free port; `page` is a phone-sized tab in a fresh
browser context whose every request to another host is aborted and recorded in
`offsite_requests`, so a test can assert the pages never reach outside 127.0.0.1.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
LOCAL_HOST = "127.0.0.1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives the browser (in addition to each module's pytestmark)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served by a threaded werkzeug server on a free port; yields its base URL."""
    server = make_server(LOCAL_HOST, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed")
    manager = sync_playwright()
    playwright = manager.start()
    try:
        yield playwright
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    try:
        chromium = playwright_instance.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
    except Exception as error:  # noqa: BLE001 - any failure to start the browser
        unavailable(f"Chromium at {CHROMIUM} does not start: {error}")
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def offsite_requests() -> list[str]:
    """URLs of requests to any host but 127.0.0.1, aborted before they left the machine."""
    return []


@pytest.fixture
def new_context(browser: Any, offsite_requests: list[str]) -> Iterator[Callable[..., Any]]:
    """Makes phone-sized browser contexts (en-GB unless `locale=` says otherwise) that never
    reach another host; closes them."""
    contexts: list[Any] = []

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).hostname == LOCAL_HOST:
            route.continue_()
        else:
            offsite_requests.append(route.request.url)
            route.abort()

    def make(**options: Any) -> Any:
        context = browser.new_context(**{"viewport": PHONE, "locale": "en-GB", **options})
        context.set_default_timeout(10_000)
        context.route("**/*", guard)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    """A tab at 360 × 740 with JavaScript on."""
    return new_context().new_page()
