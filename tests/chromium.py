"""The system's Chromium (never a downloaded one) driven through Playwright, for every test
folder that needs a browser (tests/browser, tests/deploy).

Playwright's sync API runs one instance per thread, so the browser is started once for the
whole session, from tests/conftest.py. Nothing it loads can leave the machine: every request to
another host than 127.0.0.1 goes to a proxy at a port where nothing listens (NOWHERE), and
fails. `new_context` makes phone-sized contexts that record each such request in
`offsite_requests`, so a test can assert the pages never try to reach outside the machine.

The browser keeps its HTTP cache, as a person's does: requests are watched, not intercepted
(Playwright's routing, which holds every request until the test's handler answers it, turns the
cache off: tests/browser and tests/deploy took 160 s with it, 146 s without it, on 2 cores). A
test that needs a page's whole weight, as a browser with an empty cache gets it, routes that
page itself (tests/browser/test_offsite_guard.py checks the proxy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.live_server import LOCAL_HOST  # the host the live server serves on

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
# The discard port (under 1024: never one of the ports the tests' servers take), where nothing
# listens: a request sent through it fails at once.
NOWHERE = f"http://{LOCAL_HOST}:9"


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    # Imported here: tests/conftest.py imports this module's fixtures.
    from tests.conftest import unavailable

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
    from tests.conftest import unavailable

    try:
        chromium = playwright_instance.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            proxy={"server": NOWHERE, "bypass": LOCAL_HOST},
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
    """Makes phone-sized browser contexts (en-GB unless `locale=` says otherwise) that record
    every request to another host (which the browser's proxy makes fail); closes them."""
    contexts: list[Any] = []

    def watch(request: Any) -> None:
        address = urlsplit(request.url)
        if address.scheme not in ("data", "blob") and address.hostname != LOCAL_HOST:
            offsite_requests.append(request.url)

    def make(**options: Any) -> Any:
        context = browser.new_context(**{"viewport": PHONE, "locale": "en-GB", **options})
        context.set_default_timeout(10_000)
        context.on("request", watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
