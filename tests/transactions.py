"""Helpers to watch transactions from outside a request: another connection holds the lock a
writer needs, or checks that nobody holds it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from survey.db import make_engine
from survey.models import Survey

SLUG = "we-own-it"


@contextmanager
def write_lock_held(app: Flask, release_after: float = 6.0) -> Iterator[None]:
    """Another connection holds what a writing request needs: SQLite's write lock (BEGIN
    IMMEDIATE), PostgreSQL's row lock on the survey (what an admin's close takes; a respondent's
    write takes a shared lock on it). Let go after `release_after` seconds at the latest, so a
    request that waits for it ends late instead of hanging."""
    engine = make_engine(app.extensions["survey_db"].url)
    sqlite = engine.dialect.name == "sqlite"
    connection = engine.execution_options(sqlite_begin="IMMEDIATE").connect()
    transaction = connection.begin()
    if not sqlite:
        connection.execute(select(Survey.id).where(Survey.slug == SLUG).with_for_update())
    released = threading.Lock()

    def release() -> None:
        with released:
            if transaction.is_active:
                transaction.rollback()

    timer = threading.Timer(release_after, release)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        release()
        connection.close()
        engine.dispose()


def writer_may_start(app: Flask) -> bool:
    """Whether a writer could start at once (nobody holds SQLite's write lock, nor a lock on
    the survey's row on PostgreSQL)."""
    engine = make_engine(app.extensions["survey_db"].url)
    try:
        if engine.dialect.name == "sqlite":
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA busy_timeout=0")
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("ROLLBACK")
            except sqlite3.OperationalError:
                return False
            finally:
                raw.close()
            return True
        with engine.connect() as connection, connection.begin():
            connection.execute(
                select(Survey.id).where(Survey.slug == SLUG).with_for_update(nowait=True)
            )
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()
