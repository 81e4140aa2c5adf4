"""Responses written straight to the tables (through the models, as the app stores them), for
the tests of figures: the dashboard and the participation page."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from survey.models import Answer, QuestionnaireVersion, SectionProgress, Survey, SurveyResponse
from survey.questionnaire_store import find_survey, latest_version

SLUG = "we-own-it"


def survey_ids(app: Flask, slug: str = SLUG) -> tuple[int, int]:
    with app.extensions["survey_db"].reading() as session:
        survey = find_survey(session, slug)
        assert survey is not None
        version = latest_version(session, survey)
        assert version is not None
        return survey.id, version.id


def add_other_survey(app: Flask) -> tuple[int, int]:
    """A second survey whose responses must never count on the first one's dashboard."""
    with app.extensions["survey_db"].writing() as session:
        survey = Survey(slug="other", default_language="en", timezone="UTC")
        session.add(survey)
        session.flush()
        version = QuestionnaireVersion(
            survey_id=survey.id, version=1, fingerprint="x", source="", source_name="x.yaml"
        )
        session.add(version)
        session.flush()
        return survey.id, version.id


def add_response(
    session,
    ids: tuple[int, int],
    *,
    status: str = "in_progress",
    started: datetime,
    seconds: int | None = None,
    channel: str | None = None,
    answers: dict[str, Any] | None = None,
    reached: list[str] = (),  # type: ignore[assignment]
    finished: list[str] = (),  # type: ignore[assignment]
) -> None:
    survey_id, version_id = ids
    response_id = secrets.token_hex(16)
    submitted = started + timedelta(seconds=seconds) if status == "complete" else None
    session.add(
        SurveyResponse(
            id=response_id,
            survey_id=survey_id,
            questionnaire_version_id=version_id,
            resume_code_hash=secrets.token_hex(32),
            status=status,
            language="en",
            channel=channel,
            consent_version="2027-1",
            started_at=started,
            updated_at=submitted or started,
            submitted_at=submitted,
        )
    )
    session.flush()
    for question_id, value in (answers or {}).items():
        session.add(
            Answer(response_id=response_id, question_id=question_id, section_id="x", value=value)
        )
    for section_id in reached:
        session.add(
            SectionProgress(
                response_id=response_id,
                section_id=section_id,
                reached_at=started,
                completed_at=started if section_id in finished else None,
            )
        )
    session.flush()
