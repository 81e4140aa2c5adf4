"""A database that does not answer, for the tests of what people meet then.

`database_down` points the app at a database it cannot reach, of the same kind as its own: for
SQLite a path that is a folder (sqlite3: "unable to open database file"), for PostgreSQL a port
on which nothing listens (connection refused). Leaving the block brings the real one back.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from survey.db import Database


def closed_port() -> int:
    """A local port on which nothing listens (just freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unreachable_url(url: str, folder: Path) -> str:
    """A database URL of the same kind as `url` that cannot be connected to."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{folder}"
    return parsed.set(host="127.0.0.1", port=closed_port()).render_as_string(hide_password=False)


@contextmanager
def database_down(app: Flask, folder: Path) -> Iterator[None]:
    """Inside the block every request of `app` finds its database unreachable."""
    working: Database = app.extensions["survey_db"]
    folder.mkdir(parents=True, exist_ok=True)
    broken = Database(unreachable_url(working.url, folder))
    app.extensions["survey_db"] = broken
    try:
        yield
    finally:
        app.extensions["survey_db"] = working
        broken.dispose()
