"""Small helpers shared by the respondent tests: reading pages and the stored response."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from survey.models import Answer, PersonalAnswer, SectionProgress, SurveyResponse

BASE = "/s/we-own-it"


def text_of(response: TestResponse) -> str:
    """The page as a person reads it: entities decoded."""
    return html.unescape(response.get_data(as_text=True))


@contextmanager
def sent_statements() -> Iterator[list[str]]:
    """The statements SQLAlchemy sends to any database in the block, each on one line (its
    whitespace collapsed), in order. The list may be cleared inside the block."""
    sent: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def location(response: TestResponse) -> str:
    assert response.status_code in (302, 303), response.status_code
    return response.headers["Location"]


def responses(app: Flask) -> list[SurveyResponse]:
    with app.extensions["survey_db"].reading() as session:
        return list(session.scalars(select(SurveyResponse)))


def only_response(app: Flask) -> SurveyResponse:
    rows = responses(app)
    assert len(rows) == 1, f"expected one response, found {len(rows)}"
    return rows[0]


def stored(app: Flask, model: type[Answer] | type[PersonalAnswer] = Answer) -> dict[str, Any]:
    """question_id -> stored JSON value, for every response (tests use one at a time)."""
    with app.extensions["survey_db"].reading() as session:
        return {row.question_id: row.value for row in session.scalars(select(model))}


def stored_sections(app: Flask) -> dict[str, set[str]]:
    """section_id -> question ids stored in `answers` for it."""
    result: dict[str, set[str]] = {}
    with app.extensions["survey_db"].reading() as session:
        for row in session.scalars(select(Answer)):
            result.setdefault(row.section_id, set()).add(row.question_id)
    return result


def completed_sections(app: Flask) -> set[str]:
    with app.extensions["survey_db"].reading() as session:
        return set(
            session.scalars(
                select(SectionProgress.section_id).where(SectionProgress.completed_at.is_not(None))
            )
        )


def section_position(page: str) -> tuple[int, int]:
    match = re.search(r"Section (\d+) of (\d+)", page)
    assert match, "no 'Section k of n' on the page"
    return int(match.group(1)), int(match.group(2))


class _Forms(HTMLParser):
    """Each form of a page: its action and the fields a browser sends when it is submitted
    (checked choices, typed texts, picked options, hidden inputs; buttons send nothing)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self._fields: dict[str, list[str]] | None = None
        self._select: str | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._fields = {}
            self.forms.append((given.get("action", ""), self._fields))
        elif self._fields is None or not given.get("name") and tag != "option":
            return
        elif tag == "input":
            kind = given.get("type", "text")
            if (
                kind in ("submit", "button")
                or kind in ("radio", "checkbox")
                and ("checked" not in given)
            ):
                return
            self._send(given["name"], given.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = given["name"]
        elif tag == "option" and self._select and "selected" in given:
            self._send(self._select, given.get("value", ""))
        elif tag == "textarea":
            self._textarea = (given["name"], [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            self._send(name, "".join(parts).removeprefix("\n"))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._fields = None

    def _send(self, name: str, value: str) -> None:
        if self._fields is not None and value != "":
            self._fields.setdefault(name, []).append(value)


def form_sends(response: TestResponse, action: str = "") -> dict[str, list[str]]:
    """What the page's first form posting to `action` ("": its own address) sends when its
    button is pressed, empty fields left out."""
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    for form_action, fields in parser.forms:
        if form_action == action:
            return fields
    raise AssertionError(f"no form posting to {action!r} on the page")


def as_posted(answers: dict[str, Any]) -> dict[str, list[str]]:
    """Answers as a test posts them (a value or a list of values) as form fields."""
    return {
        name: [str(item) for item in value] if isinstance(value, list) else [str(value)]
        for name, value in answers.items()
    }
