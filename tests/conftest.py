"""Shared fixtures: every database test runs on SQLite and, when configured, PostgreSQL.

Under CI=true a test that needs PostgreSQL or the browser fails instead of skipping.

Each test process migrates each database and loads the shipped questionnaire once, and builds
one app per database (and per `settings` marker). A test then runs inside one transaction that
is rolled back when it ends; a test that asks for `real_commits` really commits and the
database is put back afterwards (see the `app` fixture for which tests need that).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from survey import create_app, get_db
from survey.cli import migrate
from survey.db import Database
from survey.extensions import limiter
from survey.message_catalogs import compile_catalogs
from survey.models import Base
from survey.questionnaire_store import load_questionnaire
from survey.respond.participation import published_figures
from survey.settings import PROJECT_ROOT, Settings

# The system's Chromium, one per session for every folder that drives it (Playwright's sync API
# allows one instance per thread).
from tests.chromium import (  # noqa: F401 - fixtures, used by name
    browser,
    new_context,
    offsite_requests,
    playwright_instance,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get("SURVEY_TEST_DATABASE_URL")
WE_OWN_IT = PROJECT_ROOT / "questionnaires" / "we-own-it.yaml"


def _age_label() -> str:
    """The age question's label line in the shipped file, every language's text on it."""
    (line,) = [
        line.strip()
        for line in WE_OWN_IT.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith('label: {en: "How old are you?"')
    ]
    return line


# The age question's label line in the shipped file, and the same with a changed English text
# (a new version of the questionnaire whose translations are now stale).
AGE_LABEL = _age_label()
AGE_RELABELLED = AGE_LABEL.replace("How old are you?", "What is your age?")


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where everything must run."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class Clock:
    """The app's clock in tests: a fixed instant that a test moves on purpose."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


def _worker_database(url: str) -> str:
    """The PostgreSQL database of this test process: the configured one, or under pytest-xdist
    one per worker next to it (`test_gw0`, ...), made on first use, so workers never share
    tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    """An empty schema; commits that do not wait for the disk (a test database need not
    survive a crash, and the tests that really commit, commit hundreds of times)."""
    engine = create_engine(url)
    name = make_url(url).database
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    finally:
        engine.dispose()


# Argon2 with the library's defaults costs ~0.15 s a hash here, on purpose: in tests, where
# accounts are made and signed in to hundreds of times, the cheapest parameters do (the
# timing test of sign-ins asks for the real ones with `real_password_hashing`).
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    from survey import accounts

    if "real_password_hashing" not in request.fixturenames:
        monkeypatch.setattr(accounts, "_hasher", _CHEAP_HASHER)
    accounts._dummy_hash.cache_clear()
    yield
    accounts._dummy_hash.cache_clear()


@pytest.fixture
def real_password_hashing() -> None:
    """Argon2 with the parameters the platform uses (see cheap_password_hashing)."""


def pytest_configure(config: pytest.Config) -> None:
    """The .mo files are build products: compile any missing or stale one, as `make` does, so
    a plain `python -m pytest` on a fresh clone shows translated pages. Done before collection,
    since test modules load questionnaires (whose export labels are translated) as they are
    imported; under pytest-xdist the main process does it before any worker starts."""
    compile_catalogs()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database of each kind holding the shipped questionnaire, made once per test
    process (the rows it then holds are kept in _LOADED, for `app` to put back). pytest may
    set this fixture up again when the tests of a process switch kinds; the database made the
    first time is still as it was, since every test puts it back."""
    if request.param in _DATABASES:
        return _DATABASES[request.param]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'survey.db'}"
    else:
        if not POSTGRES_URL:
            unavailable("SURVEY_TEST_DATABASE_URL is not set")
        try:
            url = _worker_database(str(POSTGRES_URL))
            _reset_postgres(url)
        except Exception as error:  # noqa: BLE001 - any failure to connect
            unavailable(f"PostgreSQL at SURVEY_TEST_DATABASE_URL is unreachable: {error}")
    app = create_app(make_settings(url, tmp_path_factory.mktemp("instance")))
    migrate(app)
    db = get_db(app)
    with db.writing() as session:
        load_questionnaire(session, WE_OWN_IT)
    with db.reading() as session:
        _LOADED[url] = {
            table.name: [dict(row._mapping) for row in session.execute(select(table))]
            for table in Base.metadata.sorted_tables
        }
    db.dispose()
    _DATABASES[request.param] = url
    return url


# The database of each kind (sqlite, postgresql) made by this test process, and every table's
# rows in it right after the shipped questionnaire was loaded.
_DATABASES: dict[str, str] = {}
_LOADED: dict[str, dict[str, list[dict[str, Any]]]] = {}


def _put_back_loaded_rows(db: Database, url: str) -> None:
    """The database as `database_url` left it: every table emptied and the loaded rows put back
    as they were (cheaper than loading the questionnaire again)."""
    with db.writing() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        for table in Base.metadata.sorted_tables:
            if rows := _LOADED[url][table.name]:
                session.execute(insert(table), rows)


def make_settings(url: str, instance: Path) -> Settings:
    return Settings.for_folder(instance, url, "test-secret-key")


# The survey is open, far from its deadline.
MID_COLLECTION = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
# The clock every app of this test process keeps; `clock` sets it back for each test.
_CLOCK = Clock(MID_COLLECTION)


@pytest.fixture
def clock() -> Clock:
    """The apps' clock, at MID_COLLECTION when the test starts."""
    _CLOCK.now = MID_COLLECTION
    return _CLOCK


@pytest.fixture(scope="session")
def _apps() -> Iterator[dict[str, Flask]]:
    """The apps built in this test process: one per database and `settings` marker."""
    apps: dict[str, Flask] = {}
    yield apps
    for flask_app in apps.values():
        get_db(flask_app).dispose()


@pytest.fixture
def real_commits() -> None:
    """Asked for (as an argument, or by `pytest.mark.usefixtures("real_commits")`) by a test
    whose writes must really be committed: see `app`."""


@pytest.fixture
def app(
    database_url: str,
    clock: Clock,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    _apps: dict[str, Flask],
) -> Iterator[Flask]:
    """The app on a database holding the shipped questionnaire; a test marked
    `@pytest.mark.settings(secure_cookies=True, ...)` gets those settings changed.

    One app is built per database and distinct settings, and shared by the tests of a process;
    each test gets it with instance and exports folders of its own (in `tmp_path`), the clock
    set back, the rate limits and the participation page's figures forgotten.

    A test runs in one transaction, rolled back at its end: every session of the app joins the
    transaction of one connection in a savepoint of its own (Database.sessions_on), so what the
    app commits is seen by the rest of the test and then vanishes.

    A test that asks for `real_commits` has the app's own engine and sessions, which really
    commit; afterwards every table is emptied and the loaded rows are put back. That is for
    what cannot live in one connection: a server in another thread (tests/browser), threads and
    processes racing for locks (tests/concurrency), and `survey` commands, processes and
    backups that read the database through connections of their own.
    """
    marker = request.node.get_closest_marker("settings")
    changes = marker.kwargs if marker is not None else {}
    key = f"{database_url} {sorted(changes.items())!r}"
    if key not in _apps:
        settings = make_settings(database_url, tmp_path_factory.mktemp("instance"))
        _apps[key] = create_app(dataclasses.replace(settings, **changes), clock=clock)
        _apps[key].config["TESTING"] = True
    flask_app = _apps[key]
    own_folders = dataclasses.replace(
        flask_app.config["SURVEY_SETTINGS"],
        instance_path=tmp_path,
        exports_path=tmp_path / "exports",
    )
    flask_app.config.update(SURVEY_SETTINGS=own_folders, SURVEY_CLOCK=clock)
    flask_app.instance_path = str(tmp_path.resolve())
    limiter.reset()
    published_figures(flask_app).clear()
    db = get_db(flask_app)
    if "real_commits" in request.fixturenames:
        yield flask_app
        _put_back_loaded_rows(db, database_url)
        return
    with db.engine.connect() as connection:
        transaction = connection.begin()
        with db.sessions_on(connection):
            yield flask_app
        transaction.rollback()
        counts = _row_counts(connection)
    if counts != _row_counts_loaded(database_url):
        # Rows the rollback did not undo came through another connection (a `survey`
        # process, a server thread): put the database back, and say what the test needs.
        _put_back_loaded_rows(db, database_url)
        pytest.fail("this test committed through a connection of its own: ask for real_commits")


def _row_counts(connection: Connection) -> dict[str, int]:
    """How many rows each table holds (one query)."""
    counts = [
        select(func.count()).select_from(table).scalar_subquery().label(table.name)
        for table in Base.metadata.sorted_tables
    ]
    return dict(connection.execute(select(*counts)).one()._mapping)


def _row_counts_loaded(url: str) -> dict[str, int]:
    return {name: len(rows) for name, rows in _LOADED[url].items()}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def one_connection(database_url: str) -> Iterator[Database]:
    """A Database of its own on the test database, its pool one connection: what a test of
    pooled connections hands out and takes back."""
    database = Database(database_url, pool_size=1, max_overflow=0)
    yield database
    database.dispose()


@pytest.fixture
def make_user(app: Flask, clock: Clock):
    """Create an account: make_user("researcher") -> (email, password); a partner with its
    channels: make_user("partner", channels=["cecop"])."""
    from survey import accounts

    made = 0

    def make(
        role: str = "admin", email: str | None = None, channels: tuple[str, ...] | list[str] = ()
    ) -> tuple[str, str]:
        nonlocal made
        made += 1
        address = email or f"{role}{made}@example.org"
        password = f"correct horse battery {made}"
        with app.extensions["survey_db"].writing() as session:
            accounts.create_user(
                session,
                email=address,
                role=role,
                password=password,
                actor=None,
                now=clock.now,
                channels=channels,
            )
        return address, password

    return make


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `one_database` run on SQLite only: browser tests of what a page does (a
    question type's widgets, cascading lists, imported forms), whose stored answers the HTTP,
    export and concurrency tests check on both databases, and the accessibility checks and
    page weights (a page's markup and files are the same over either). The whole journeys in
    the browser still run on both. This keeps the suite under five minutes on two cores."""
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        one = item.get_closest_marker("one_database") is not None
        (dropped if one and params.get("database_url") == "postgresql" else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
