"""PostgreSQL connections kept in the pool: one the server closed, or one left idle long enough
to have been dropped on the way, is replaced before a request uses it; the request works."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from survey import db as survey_db
from survey.db import Database

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url, pool_size=1, max_overflow=0)
    yield database
    database.dispose()


def backend_of(database: Database) -> int:
    """The server process of the pooled connection a read gets."""
    with database.reading() as session:
        return int(session.scalar(text("SELECT pg_backend_pid()")))


def close_from_the_server(database_url: str, pid: int) -> None:
    """What a restart does to each connection: the server ends it and tells the client."""
    admin = create_engine(database_url)
    try:
        with admin.connect() as connection:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()
    time.sleep(0.2)  # the server's farewell reaches the client's socket


def test_a_connection_the_server_closed_is_replaced_before_a_request_uses_it(
    database, database_url
):
    first = backend_of(database)
    close_from_the_server(database_url, first)

    # Used a moment ago, so not tried because of its age: the server's message gives it away.
    assert backend_of(database) != first


def test_a_connection_left_idle_is_tried_and_replaced_if_dead(database, database_url, monkeypatch):
    first = backend_of(database)
    # A connection dropped on the way (a firewall, a network change) gets no message at all.
    monkeypatch.setattr(survey_db, "_has_news", lambda _connection: False)
    close_from_the_server(database_url, first)
    monkeypatch.setattr(survey_db, "PING_AFTER_IDLE_SECONDS", 0.1)

    assert backend_of(database) != first


def test_a_connection_in_use_a_moment_ago_is_handed_out_untried(
    database, database_url, monkeypatch
):
    # What the two tests above rely on: without the checks a closed connection reaches the
    # request, which fails (the request's page then says the database is unavailable).
    first = backend_of(database)
    monkeypatch.setattr(survey_db, "_has_news", lambda _connection: False)
    close_from_the_server(database_url, first)

    with pytest.raises(OperationalError):
        backend_of(database)
    assert backend_of(database) != first  # and the pool recovers by itself right after
