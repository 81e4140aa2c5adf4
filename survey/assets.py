"""Static files: URLs carry a hash of the content, so browsers may cache them for a year."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, request, url_for

ONE_YEAR = 365 * 24 * 3600


def register_static_versions(app: Flask) -> None:
    static_folder = Path(app.static_folder or "")
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = ONE_YEAR

    @lru_cache(maxsize=64)
    def version(filename: str) -> str:
        try:
            content = (static_folder / filename).read_bytes()
        except OSError:
            return "0"
        return hashlib.sha256(content).hexdigest()[:12]

    @app.url_defaults
    def _add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values:
            values.setdefault("v", version(values["filename"]))

    @lru_cache(maxsize=64)
    def asset_url(script_root: str, filename: str) -> str:
        return url_for("static", filename=filename)

    # Every page links the same few files: their addresses are worked out once (per prefix the
    # app is served under, which the proxy may set per request).
    app.jinja_env.globals["static_url"] = lambda filename: asset_url(request.script_root, filename)
