"""Small helpers shared by the respondent tests: reading pages and the stored response."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from survey.models import Answer, PersonalAnswer, SectionProgress, SurveyResponse

BASE = "/s/we-own-it"


def text_of(response: TestResponse) -> str:
    """The page as a person reads it: entities decoded."""
    return html.unescape(response.get_data(as_text=True))


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
