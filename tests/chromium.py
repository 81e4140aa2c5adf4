"""The system's Chromium (never a downloaded one) driven through Playwright, for every test
folder that needs a browser (tests/browser, tests/deploy).

Playwright's sync API runs one instance per thread, so the browser is started once for the
whole session, from tests/conftest.py. `new_context` makes phone-sized contexts whose every
request to another host than 127.0.0.1 is aborted and recorded in `offsite_requests`, so a test
can assert the pages never reach outside the machine.
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
