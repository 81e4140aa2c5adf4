"""A real Chromium (the system's, never a downloaded one) driving the app over HTTP.

`live_server` serves the test app on a free port; `page` is a phone-sized tab in a fresh
browser context (`new_context`, tests/chromium.py) whose every request to another host is
aborted and recorded in `offsite_requests`, so a test can assert the pages never reach outside
127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.live_server import serving


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives the browser (in addition to each module's pytestmark)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_server(app: Flask, real_commits: None) -> Iterator[str]:
    """The app served by a threaded werkzeug server on a free port (tests/live_server.py);
    yields its base URL (its requests, in threads of their own, really commit:
    tests/conftest.py, `app`)."""
    with serving(app) as url:
        yield url


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    """A tab at 360 × 740 with JavaScript on."""
    return new_context().new_page()
