"""SQLite writers: one at a time; one that waits goes in once the lock is free, and waits no
longer than the busy timeout, after which it fails as SQLite's own wait would."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from survey import db as survey_db
from survey.db import Database


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'writers.db'}")
    with database.writing() as session:
        session.execute(text("CREATE TABLE items (value INTEGER)"))
    yield database
    database.dispose()


def hold_the_write_lock(database: Database, until: threading.Event) -> threading.Thread:
    """Another writer, holding the write lock (an inserted row) until `until` is set."""
    holding = threading.Event()

    def write() -> None:
        with database.writing() as session:
            session.execute(text("INSERT INTO items VALUES (1)"))
            holding.set()
            until.wait(10)

    thread = threading.Thread(target=write)
    thread.start()
    assert holding.wait(10)
    return thread


def test_a_waiting_writer_goes_in_once_the_other_has_committed(database):
    done = threading.Event()
    other = hold_the_write_lock(database, done)
    threading.Timer(0.3, done.set).start()
    began = time.monotonic()
    with database.writing() as session:
        session.execute(text("INSERT INTO items VALUES (2)"))
        waited = time.monotonic() - began
    other.join()

    assert 0.2 < waited < survey_db.SQLITE_BUSY_TIMEOUT_MS / 1000
    with database.reading() as session:
        assert session.scalars(text("SELECT value FROM items ORDER BY value")).all() == [1, 2]


def test_a_writer_waits_no_longer_than_the_busy_timeout_then_fails(database, monkeypatch):
    monkeypatch.setattr(survey_db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    done = threading.Event()
    other = hold_the_write_lock(database, done)
    writer = database.engine.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with writer.connect() as connection:
            began = time.monotonic()
            with pytest.raises(OperationalError, match="locked"):
                connection.begin()
            waited = time.monotonic() - began
            # Its connection waits for a busy database again, as set when it was opened.
            driver = connection.connection.driver_connection
            assert driver.execute("PRAGMA busy_timeout").fetchone() == (300,)
    finally:
        done.set()
        other.join()

    assert 0.25 < waited < 3


def test_a_reading_session_refuses_a_change_rather_than_dropping_it(app):
    """A reading session is closed, not committed: a change made through it would be lost
    without a word, so it is refused at once."""
    from sqlalchemy import select

    from survey import get_db
    from survey.models import Survey

    db = get_db(app)
    with pytest.raises(RuntimeError, match="cannot write"), db.reading() as session:
        survey = session.scalars(select(Survey)).first()
        assert survey is not None
        survey.contact = "changed@example.org"
        session.flush()
    with db.reading() as session:
        assert session.scalars(select(Survey.contact)).first() != "changed@example.org"


@pytest.fixture
def counted(database_url: str) -> Iterator[tuple[Database, str]]:
    """A Database on the test database, and a table of its own holding one row."""
    from uuid import uuid4

    database = Database(database_url)
    table = f"counted_{uuid4().hex[:12]}"
    with database.writing() as session:
        session.execute(text(f"CREATE TABLE {table} (n INTEGER)"))
        session.execute(text(f"INSERT INTO {table} VALUES (1)"))
    yield database, table
    with database.writing() as session:
        session.execute(text(f"DROP TABLE {table}"))
    database.dispose()


def counts_around_a_commit(
    opened: Callable[[], AbstractContextManager[Session]], database: Database, table: str
) -> tuple[int, int]:
    """What a session `opened` counts in `table`, before and after another commits a row."""
    count = text(f"SELECT count(*) FROM {table}")
    with opened() as session:
        before = session.scalar(count)
        with database.writing() as writer:
            writer.execute(text(f"INSERT INTO {table} VALUES (2)"))
        return before, session.scalar(count)


def test_a_snapshot_sees_the_database_as_it_was_at_its_first_read(counted):
    """What an export reads: its counts and its rows agree, whatever is saved meanwhile."""
    database, table = counted
    assert counts_around_a_commit(database.snapshot, database, table) == (1, 1)
    with database.reading() as session:
        assert session.scalar(text(f"SELECT count(*) FROM {table}")) == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_reading_session_sees_each_commit_as_it_comes(counted):
    """Why exports take a snapshot: a page's reads run one statement at a time."""
    database, table = counted
    assert counts_around_a_commit(database.reading, database, table) == (1, 2)
