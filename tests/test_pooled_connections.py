"""PostgreSQL connections kept in the pool: one the server closed, or one left idle long enough
to have been dropped on the way, is replaced before a request uses it; the request works."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from survey import db as survey_db
from survey.db import Database

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


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


def dropped_silently(database: Database, database_url: str, monkeypatch) -> int:
    """The pooled connection's server process, ended as a connection dropped on the way (a
    firewall, a network change) ends: no message reaches the client."""
    first = backend_of(database)
    monkeypatch.setattr(survey_db, "_has_news", lambda _connection: False)
    close_from_the_server(database_url, first)
    return first


def test_a_connection_the_server_closed_is_replaced_before_a_request_uses_it(
    one_connection, database_url
):
    first = backend_of(one_connection)
    close_from_the_server(database_url, first)

    # Used a moment ago, so not tried because of its age: the server's message gives it away.
    assert backend_of(one_connection) != first


def test_a_connection_left_idle_is_tried_and_replaced_if_dead(
    one_connection, database_url, monkeypatch
):
    first = dropped_silently(one_connection, database_url, monkeypatch)
    monkeypatch.setattr(survey_db, "PING_AFTER_IDLE_SECONDS", 0.1)

    assert backend_of(one_connection) != first


def test_a_connection_in_use_a_moment_ago_is_handed_out_untried(
    one_connection, database_url, monkeypatch
):
    # What the two tests above rely on: without the checks a closed connection reaches the
    # request, which fails (the request's page then says the database is unavailable).
    first = dropped_silently(one_connection, database_url, monkeypatch)

    with pytest.raises(OperationalError):
        backend_of(one_connection)
    assert backend_of(one_connection) != first  # and the pool recovers by itself right after
