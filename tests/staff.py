"""Signing in to the admin console through the Flask test client."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def form_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on the page at `path`."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str) -> TestResponse:
    token = form_token(client, "/admin/sign-in")
    return client.post(
        "/admin/sign-in", data={"csrf_token": token, "email": email, "password": password}
    )


def post_form(client: FlaskClient, path: str, data: dict[str, object]) -> TestResponse:
    """GET the page at `path` for its token, then POST `data` to it."""
    return client.post(path, data={"csrf_token": form_token(client, path), **data})
