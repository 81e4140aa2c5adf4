"""A database that does not answer, for the tests of what people meet then.

`database_down` points the app at a database it cannot reach, of the same kind as its own: for
SQLite a path that is a folder (sqlite3: "unable to open database file"), for PostgreSQL a port
on which nothing listens (connection refused). Leaving the block brings the real one back.

`database_gone` takes the app's own database away under its engine, for the tests that the app
finds it again by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from survey.db import Database
from tests.ports import free_port


def unreachable_url(url: str, folder: Path) -> str:
    """A database URL of the same kind as `url` that cannot be connected to."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{folder}"
    return parsed.set(host="127.0.0.1", port=free_port()).render_as_string(hide_password=False)


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


@contextmanager
def database_gone(app: Flask) -> Iterator[None]:
    """Inside the block the app's own database is gone, its engine as it was: PostgreSQL
    refuses connections to it and has ended those it had (as in a restart); the SQLite file's
    folder is away and the engine's pooled connections closed. Leaving the block brings the
    database back; the engine is left to find that out by itself."""
    db: Database = app.extensions["survey_db"]
    url = make_url(db.url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        folder = Path(url.database).parent
        away = folder.with_name(folder.name + "-away")
        db.dispose()
        folder.rename(away)
        try:
            yield
        finally:
            away.rename(folder)
        return
    with _refusing_connections(url.render_as_string(hide_password=False)):
        yield


@contextmanager
def _refusing_connections(url: str) -> Iterator[None]:
    """PostgreSQL: the database of `url` accepts no connection and has none left."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = parsed.database
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()
