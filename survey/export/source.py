"""Responses read from the database for an export: filtered in SQL, streamed in batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, String, cast, exists, func, select, tuple_, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from survey.catalog import questionnaire_of
from survey.export.flatten import ResponseRecord
from survey.models import (
    Answer,
    PersonalAnswer,
    QuestionnaireVersion,
    Response,
    SectionProgress,
    Survey,
)
from survey.questionnaire.schema import Questionnaire

BATCH_SIZE = 2500
# Plain rows, not ORM objects: nothing to track, and much less work per response.
_RESPONSE_COLUMNS = (
    Response.id,
    Response.status,
    Response.late,
    Response.language,
    Response.channel,
    Response.questionnaire_version_id,
    Response.consent_version,
    Response.started_at,
    Response.submitted_at,
    Response.last_section,
)


@dataclass(frozen=True)
class ExportOptions:
    """What to export; the same options for the command line, the web page and the audit log."""

    format: str = "csv"
    labels: bool = False
    language: str | None = None  # None: the survey's default language
    include_partial: bool = False
    include_screened_out: bool = False
    since: datetime | None = None  # responses started at or after this instant
    channel: str | None = None
    country: str | None = None
    with_personal_data: bool = False

    def statuses(self) -> list[str]:
        result = ["complete"]
        if self.include_partial:
            result.append("in_progress")
        if self.include_screened_out:
            result.append("screened_out")
        return result

    def describe(self) -> dict[str, Any]:
        """The options as plain values (audit log, `about` sheet, README of a study package)."""
        values = asdict(self)
        values["since"] = self.since.isoformat() if self.since else None
        return values


@dataclass(frozen=True)
class Versions:
    """Every stored version of a survey's questionnaire, oldest first."""

    numbers: dict[int, int]  # version id -> version number
    questionnaires: dict[int, Questionnaire]  # version id -> content

    def ordered(self) -> list[Questionnaire]:
        return [self.questionnaires[key] for key in sorted(self.numbers, key=self.numbers.get)]

    @property
    def latest(self) -> Questionnaire:
        return self.ordered()[-1]


def versions_of(session: Session, survey: Survey) -> Versions:
    stored = list(
        session.scalars(
            select(QuestionnaireVersion)
            .where(QuestionnaireVersion.survey_id == survey.id)
            .order_by(QuestionnaireVersion.version)
        )
    )
    return Versions(
        numbers={item.id: item.version for item in stored},
        questionnaires={item.id: questionnaire_of(item) for item in stored},
    )


def _selected(survey: Survey, options: ExportOptions) -> Select[Any]:
    query = select(Response).where(
        Response.survey_id == survey.id, Response.status.in_(options.statuses())
    )
    if options.since is not None:
        query = query.where(Response.started_at >= options.since)
    if options.channel:
        query = query.where(Response.channel == options.channel)
    if options.country:
        query = query.where(
            exists().where(
                Answer.response_id == Response.id,
                Answer.question_id == "country",
                # JSON is stored as text on both databases: the code in double quotes.
                cast(Answer.value, String) == json.dumps(options.country.upper()),
            )
        )
    return query


def count(session: Session, survey: Survey, options: ExportOptions) -> int:
    query = _selected(survey, options).with_only_columns(func.count(Response.id))
    return session.scalar(query.order_by(None)) or 0


def status_counts(session: Session, survey: Survey, options: ExportOptions) -> dict[str, int]:
    query = (
        _selected(survey, options)
        .with_only_columns(Response.status, func.count(Response.id))
        .group_by(Response.status)
        .order_by(None)
    )
    return {status: number for status, number in session.execute(query)}


def records(
    session: Session,
    survey: Survey,
    options: ExportOptions,
    versions: Versions,
    batch_size: int = BATCH_SIZE,
) -> Iterator[tuple[ResponseRecord, Questionnaire]]:
    """Each selected response with the questionnaire it was answered under, oldest first.

    Keyset pagination on (started_at, id) keeps memory flat and every query fast, however many
    responses there are.
    """
    after: tuple[datetime, str] | None = None
    while True:
        query = _selected(survey, options).order_by(Response.started_at, Response.id)
        if after is not None:
            query = query.where(tuple_(Response.started_at, Response.id) > after)
        connection = session.connection()  # Core: no ORM bookkeeping for plain rows
        batch = connection.execute(
            query.with_only_columns(*_RESPONSE_COLUMNS).limit(batch_size)
        ).all()
        if not batch:
            return
        ids = [response.id for response in batch]
        answers = _answers(connection, Answer, ids)
        if options.with_personal_data:
            for response_id, values in _answers(connection, PersonalAnswer, ids).items():
                answers.setdefault(response_id, {}).update(values)
        completed = _completed(connection, ids)
        for response in batch:
            yield (
                ResponseRecord(
                    response_id=response.id,
                    status=response.status,
                    late=response.late,
                    language=response.language,
                    channel=response.channel,
                    questionnaire_version=versions.numbers[response.questionnaire_version_id],
                    consent_version=response.consent_version,
                    started_at=response.started_at,
                    submitted_at=response.submitted_at,
                    last_section=response.last_section,
                    answers=answers.get(response.id, {}),
                    completed_sections=completed.get(response.id, ()),
                ),
                versions.questionnaires[response.questionnaire_version_id],
            )
        last = batch[-1]
        after = (last.started_at, last.id)


def _answers(
    connection: Connection, model: type[Answer] | type[PersonalAnswer], ids: list[str]
) -> dict[str, dict[str, Any]]:
    """Each response's answers as one JSON object, assembled by the database (one row per
    response instead of one per answer: a large export reads millions of answers)."""
    if connection.dialect.name == "sqlite":
        document = func.json_group_object(model.question_id, func.json(model.value))
    else:
        document = func.json_object_agg(model.question_id, model.value)
    query = (
        select(model.response_id, type_coerce(document, String))
        .where(model.response_id.in_(ids))
        .group_by(model.response_id)
    )
    return {
        response_id: orjson.loads(value) if value.__class__ is str else value
        for response_id, value in connection.execute(query).all()
    }


def _completed(connection: Connection, ids: list[str]) -> dict[str, list[str]]:
    """Each response's saved sections, one row per response (section ids have no commas)."""
    if connection.dialect.name == "sqlite":
        joined = func.group_concat(SectionProgress.section_id, ",")
    else:
        joined = func.string_agg(SectionProgress.section_id, ",")
    query = (
        select(SectionProgress.response_id, joined)
        .where(SectionProgress.response_id.in_(ids), SectionProgress.completed_at.is_not(None))
        .group_by(SectionProgress.response_id)
    )
    rows = connection.execute(query).all()
    return {response_id: value.split(",") for response_id, value in rows}
