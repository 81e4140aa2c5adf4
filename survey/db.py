"""Database engine and sessions: SQLite tuned for a small server, PostgreSQL through psycopg 3."""

from __future__ import annotations

import select
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, cast

import orjson
from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A pooled PostgreSQL connection idle at least this long is tried before it is used again.
PING_AFTER_IDLE_SECONDS = 1.0


def _read_json(value: Any) -> Any:
    """Answers are JSON: orjson reads them several times faster (it matters in large exports).
    SQLite hands back a bare number as a number (JSON columns have numeric affinity)."""
    if isinstance(value, int | float):
        return value
    return orjson.loads(value)


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, a busy timeout and real BEGINs."""
    parsed = make_url(url)
    options.setdefault("json_deserializer", _read_json)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options
        )
        _tune_sqlite(engine)
        return engine
    engine = create_engine(url, **options)
    _ping_after_idle(engine)
    if engine.dialect.driver == "psycopg":
        _describe_lazily(engine)
    return engine


def _describe_lazily(engine: Engine) -> None:
    """Every psycopg connection of `engine` makes cursors whose `description` builds its
    columns only when they are looked at (`survey.pg_cursor`)."""
    from survey.pg_cursor import LazilyDescribedCursor

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.cursor_factory = LazilyDescribedCursor


def _ping_after_idle(engine: Engine) -> None:
    """A pooled connection is tried before it is handed out when it may be dead: it was left
    idle for a while (a firewall may have dropped it), or the server sent something while it
    was idle, which a live idle connection never gets (a restarting PostgreSQL tells each
    connection it is closing it). A dead one is replaced by a new one, so the request never
    meets it. The rest, under load nearly all, are handed out as they are: a round trip saved
    on every request. A connection that dies while in use fails its statement; SQLAlchemy
    then replaces every connection of the pool made before (the request gets the page of a
    database outage: `survey.error_pages`)."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        recently = (
            idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS
        )
        if recently and not _has_news(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool throws this connection away and checks out another (tried the same way).
            raise DisconnectionError(f"a pooled connection was dead: {error}") from error


def _has_news(dbapi_connection: Any) -> bool:
    """Whether the server sent an idle connection anything (or closed it): its socket has
    something to read. Asks the operating system, not the server."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError, dbapi_connection.Error):  # closed: the ping will say so
        return True
    return bool(readable)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock at BEGIN, so two writers queue on the busy timeout
        # instead of one failing when it upgrades a read lock.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE":
            _begin_writing(connection)
        else:  # straight to the sqlite3 connection: a read's BEGIN cannot wait for a lock
            connection.connection.driver_connection.execute(f"BEGIN {mode}")


def _begin_writing(connection: Connection) -> None:
    """BEGIN IMMEDIATE, tried again every millisecond or two while another writer holds the
    lock, for as long as the busy timeout. SQLite's own wait sleeps longer and longer between
    tries (up to 100 ms): under a steady stream of saves, a writer asleep misses the turns of
    the writers that keep arriving, and waits far longer than the writes ahead of it take.

    The tries go straight to the sqlite3 connection (through SQLAlchemy, every refused try
    also built and wrapped an error of its own). The last try, or one refused for another
    reason than the lock, goes through SQLAlchemy, which raises its error."""
    driver: Any = connection.connection.driver_connection  # the sqlite3 connection
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.0002
    driver.execute("PRAGMA busy_timeout=0")
    try:
        while time.monotonic() + pause <= deadline:
            try:
                driver.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorname", "") != "SQLITE_BUSY":
                    break
            time.sleep(pause)
            pause = min(pause * 2, 0.002)
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


@contextmanager
def foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite: foreign keys not enforced inside the block, enforced again after it.

    For migrations: rebuilding a table that others refer to (how SQLite changes a constraint)
    drops the old table, which with foreign keys on would delete or empty every row referring
    to it; a migration that rebuilds one checks the references itself (PRAGMA
    foreign_key_check). Call it before the connection's transaction begins: inside one,
    SQLite ignores the pragma. Other databases change constraints in place: nothing to do."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver: Any = connection.connection.driver_connection  # the sqlite3 connection, no BEGIN
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched, or an INSERT run with `preserve_rowcount`
    (its result is a cursor result)."""
    return cast("CursorResult[Any]", result).rowcount


@contextmanager
def on_the_driver(connection: Connection) -> Iterator[Any]:
    """The driver's own connection under SQLAlchemy's `connection` (psycopg's), for what
    SQLAlchemy has no way to do (a pipeline) or does at a cost a page pays several times (a
    statement whose result is not read). An error the driver raises in the block is raised as
    SQLAlchemy raises one (so a database outage still gets its page, 503, not a bug's), and a
    connection it found lost is dropped from the pool, as SQLAlchemy drops one."""
    driver: Any = connection.connection.driver_connection
    try:
        yield driver
    except driver.Error as error:
        lost = connection.dialect.is_disconnect(error, driver, None)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(
            None, None, error, driver.Error, connection_invalidated=lost
        ) from error


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    raise RuntimeError("a reading session cannot write: use Database.writing()")


class Database:
    """The engine and its session factories: for reading, for a snapshot, for writing."""

    def __init__(self, url: str, **options: Any):
        self.url = url
        self.engine = make_engine(url, **options)
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._reader: Engine | None = None
        if self.engine.dialect.name == "postgresql":
            # Each read statement on its own, no BEGIN and COMMIT around them: two round trips
            # fewer for every page. At PostgreSQL's isolation level, READ COMMITTED, each
            # statement of a transaction sees the database as it is when that statement starts,
            # so a transaction around reads made them no more consistent. Reads have a pool of
            # their own, its connections in autocommit from the start: switched to it and back
            # at each checkout, as one pool for both did, a page paid for several calls of
            # the driver, and a rollback when the connection went back (nothing to roll back).
            self._reader = make_engine(
                url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None, **options
            )
        self._read = sessionmaker(self._reader or self.engine, expire_on_commit=False)
        # A snapshot: SQLite's read transaction is one; PostgreSQL's needs REPEATABLE READ.
        snapshot = self.engine
        if self._reader is not None:
            snapshot = self.engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        self._snapshot = sessionmaker(snapshot, expire_on_commit=False)
        for reads in (self._read, self._snapshot):
            event.listen(reads, "before_flush", _refuse_writes)
        self._joined = False
        self._write = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for a request that only reads. It ends as it began, closed (a transaction
        it began is rolled back): no commit's work on every page. A change made through it is
        refused (`_refuse_writes`), never silently dropped."""
        with self._closed_after(self._read) as session:
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A reading session whose statements all see the database as it was at its first: an
        export's counts and rows, read over minutes while respondents save, agree with each
        other. On PostgreSQL a REPEATABLE READ, read-only transaction (`reading()` sees, at
        each statement, what was committed before it started); on SQLite a read transaction
        is such a snapshot already."""
        with self._closed_after(self._snapshot) as session:
            yield session

    @contextmanager
    def _closed_after(self, factory: sessionmaker[Session]) -> Iterator[Session]:
        with factory() as session:
            if self._joined:  # the test's factory writes too: refuse here
                event.listen(session, "before_flush", _refuse_writes)
            yield session
            if self._joined:
                # In a test's transaction (`sessions_on`) it is a savepoint, released: rolled
                # back, it would also undo what a writing session opened inside it wrote.
                session.commit()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on an exception."""
        with self._write() as session, session.begin():
            yield session

    def transaction(self, *, write: bool) -> AbstractContextManager[Session]:
        """`writing()` for a request that may write (a POST), else `reading()`: a page that
        only shows takes no write lock."""
        return self.writing() if write else self.reading()

    @contextmanager
    def sessions_on(self, connection: Connection) -> Iterator[None]:
        """For tests: inside the block every session, reading or writing, joins the transaction
        of `connection` in a savepoint of its own (its commit releases the savepoint, its
        rollback undoes only that savepoint), so the caller can roll back all of it at the end."""
        factories = self._read, self._snapshot, self._write
        joined = sessionmaker(
            connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        self._read = self._snapshot = self._write = joined
        self._joined = True
        try:
            yield
        finally:
            self._read, self._snapshot, self._write = factories
            self._joined = False

    def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
        if self._reader is not None:
            self._reader.dispose()


def insert_on_conflict(dialect: str, model: Any) -> sqlite.Insert | postgresql.Insert:
    """An INSERT into `model`'s table that can say what to do ON CONFLICT, as the `dialect`
    database spells it (SQLite and PostgreSQL spell it alike)."""
    return postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)
