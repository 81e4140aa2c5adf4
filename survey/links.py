"""Absolute links (the resume link people write down): from the configured public address,
never from a request's Host header, which a client chooses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for


def public_url_for(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint`: SURVEY_PUBLIC_URL's scheme and host when set; otherwise
    the request's own, which Flask accepts only from SURVEY_TRUSTED_HOSTS when those are set."""
    public = current_app.config["SURVEY_SETTINGS"].public_url
    if public:
        parts = urlsplit(public)
        return f"{parts.scheme}://{parts.netloc}{url_for(endpoint, **values)}"
    return url_for(endpoint, _external=True, **values)
