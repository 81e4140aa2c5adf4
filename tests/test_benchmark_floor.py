"""The floor that benchmarks/respond_bench.py measures the survey against
(benchmarks/floor_app.py) does what a respondent page does at the least: a form with a CSRF
token that a POST must send back, one row read for each page and one written for each save,
the answer kept in the respondent's signed cookie across the server's worker processes. A
floor that skipped any of it would be a lower floor than the survey's stack has."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine

from survey.settings import PROJECT_ROOT
from tests.respondent import csrf_token

ANSWER = re.compile(r'name="answer" value="([^"]*)"')


def _floor_module() -> ModuleType:
    """benchmarks/floor_app.py, imported once (the benchmarks folder is not a package). It is in
    `sys.modules` before it runs, as an import puts it: SQLAlchemy reads its models' annotations
    from there."""
    if (module := sys.modules.get("floor_app")) is not None:
        return module
    spec = importlib.util.spec_from_file_location(
        "floor_app", PROJECT_ROOT / "benchmarks" / "floor_app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["floor_app"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def floor(database_url: str) -> Iterator[Callable[[], Flask]]:
    """Apps of the floor (as each worker process makes one, with the server's one key) on the
    test's database; its table made for the test and dropped afterwards."""
    module = _floor_module()
    module.create_floor_table(database_url)
    made: list[Flask] = []

    def make() -> Flask:
        made.append(module.floor_app(database_url, "k" * 64))
        return made[-1]

    yield make
    for app in made:
        app.extensions["floor_db"].dispose()
    engine = create_engine(database_url)
    try:
        module.FloorBase.metadata.drop_all(engine)
    finally:
        engine.dispose()


def _page(client: FlaskClient) -> tuple[str, str]:
    """The floor's page: its CSRF token and the answer it shows."""
    page = client.get("/page")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    answer = ANSWER.search(html)
    assert answer is not None
    return csrf_token(html), answer.group(1)


def test_a_saved_answer_is_shown_again_through_any_worker(floor: Callable[[], Flask]):
    first, second = floor(), floor()
    person = first.test_client()
    token, answer = _page(person)
    assert answer == ""

    saved = person.post("/page", data={"csrf_token": token, "answer": "42"})
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/page"
    assert _page(person)[1] == "42"

    # The other worker process (an app of its own, the same key) reads the same cookie and row.
    other_worker = second.test_client()
    cookie = person.get_cookie("session")
    assert cookie is not None
    other_worker.set_cookie("session", cookie.value)
    assert _page(other_worker)[1] == "42"

    someone_else = second.test_client()
    assert _page(someone_else)[1] == ""


def test_a_save_without_the_pages_token_is_refused(floor: Callable[[], Flask]):
    person = floor().test_client()
    _page(person)
    refused = person.post("/page", data={"answer": "42"})
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    assert _page(person)[1] == ""
