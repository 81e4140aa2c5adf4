"""What an answer tells a client about waiting and about the rate limiter's counts."""

from __future__ import annotations

from werkzeug.test import TestResponse

# Retry-After, and the headers Flask-Limiter writes when its headers are enabled.
WAIT_HEADERS = ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def wait_headers(response: TestResponse) -> dict[str, str]:
    """The answer's headers that ask a client to wait or tell it how many requests it has left."""
    return {name: response.headers[name] for name in WAIT_HEADERS if name in response.headers}


def seconds_to_wait(response: TestResponse) -> int:
    """Retry-After of a refusal (429), which is then the only such header it carries."""
    assert list(wait_headers(response)) == ["Retry-After"], response.headers
    return int(response.headers["Retry-After"])
