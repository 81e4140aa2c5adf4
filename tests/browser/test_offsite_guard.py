"""The tests' browser never reaches another host (tests/chromium.py): a request to one goes to
a proxy where nothing listens, fails at once, and is recorded in `offsite_requests`; the pages
of 127.0.0.1 load as they are."""

from __future__ import annotations

import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.one_database]

OFFSITE = ["http://192.0.2.7/pixel.png", "https://fonts.offsite.invalid/font.css"]


def test_a_request_to_another_host_fails_at_the_proxy_and_is_recorded(
    page, live_server, offsite_requests
):
    failures: dict[str, str | None] = {}
    page.on("requestfailed", lambda request: failures.update({request.url: request.failure}))
    shown = page.goto(f"{live_server}/healthz")
    assert shown is not None and shown.status == 200
    assert offsite_requests == []

    # On a page without the app's Content-Security-Policy, which would refuse them first:
    page.goto("about:blank")
    page.set_content(f'<img src="{OFFSITE[0]}" alt=""><link rel="stylesheet" href="{OFFSITE[1]}">')
    deadline = time.monotonic() + 10
    while len(failures) < len(OFFSITE) and time.monotonic() < deadline:
        page.wait_for_timeout(20)  # the page's events are handed over meanwhile
    assert sorted(offsite_requests) == sorted(OFFSITE)
    assert failures == dict.fromkeys(OFFSITE, "net::ERR_PROXY_CONNECTION_FAILED")
