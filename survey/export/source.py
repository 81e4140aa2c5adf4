"""Responses read from the database for an export: filtered in SQL, streamed in batches."""

from __future__ import annotations

import json
import queue
import threading
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    exists,
    false,
    func,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from survey.export.rows import ResponseRecord
from survey.models import (
    Answer,
    PersonalAnswer,
    QuestionnaireVersion,
    SectionProgress,
    Survey,
    SurveyResponse,
    as_utc,
)
from survey.questionnaire import quality
from survey.questionnaire.schema import Questionnaire
from survey.questionnaire_store import questionnaire_of

BATCH_SIZE = 2500
# For a format that holds the whole table (survey.export.model.Format.whole_table): at 100,000
# responses a Stata export peaks 14 MiB lower than with BATCH_SIZE, for a few more queries.
WHOLE_TABLE_BATCH_SIZE = 1000
# Plain rows, not ORM objects: nothing to track, and much less work per response.
_RESPONSE_COLUMNS = (
    SurveyResponse.id,
    SurveyResponse.status,
    SurveyResponse.late,
    SurveyResponse.language,
    SurveyResponse.channel,
    SurveyResponse.questionnaire_version_id,
    SurveyResponse.consent_version,
    SurveyResponse.started_at,
    SurveyResponse.submitted_at,
    SurveyResponse.last_section,
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
    # Leave out the responses a quality flag marks (survey.questionnaire.quality).
    leave_out_flagged: bool = False

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
        return [
            self.questionnaires[key] for key in sorted(self.numbers, key=self.numbers.__getitem__)
        ]

    @property
    def latest(self) -> Questionnaire:
        return self.ordered()[-1]

    def country_questions(self) -> dict[str, list[int]]:
        """The question each version declares gives the country (`analysis: country`, else its
        first country question) -> the ids of those versions; empty when none has one."""
        found: dict[str, list[int]] = {}
        for version_id in sorted(self.numbers, key=self.numbers.__getitem__):
            question_id = self.questionnaires[version_id].country_question
            if question_id is not None:
                found.setdefault(question_id, []).append(version_id)
        return found


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


def _selected(survey: Survey, options: ExportOptions, versions: Versions) -> Select[Any]:
    query = select(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.status.in_(options.statuses())
    )
    if options.since is not None:
        query = query.where(SurveyResponse.started_at >= options.since)
    if options.channel:
        query = query.where(SurveyResponse.channel == options.channel)
    if options.country:
        query = query.where(
            exists().where(
                Answer.response_id == SurveyResponse.id,
                _country_question(versions),
                # JSON is stored as text on both databases: the code in double quotes.
                cast(Answer.value, String) == json.dumps(options.country.upper()),
            )
        )
    return query


def _country_question(versions: Versions) -> ColumnElement[bool]:
    """An answer to the country question of the version its response was answered under."""
    questions = versions.country_questions()
    if len(questions) == 1 and len(next(iter(questions.values()))) == len(versions.numbers):
        return Answer.question_id == next(iter(questions))  # the same question in every version
    return or_(
        false(),
        *(
            and_(
                Answer.question_id == question_id,
                SurveyResponse.questionnaire_version_id.in_(version_ids),
            )
            for question_id, version_ids in questions.items()
        ),
    )


def count(session: Session, survey: Survey, options: ExportOptions, versions: Versions) -> int:
    query = _selected(survey, options, versions).with_only_columns(func.count(SurveyResponse.id))
    return session.scalar(query.order_by(None)) or 0


def status_counts(
    session: Session, survey: Survey, options: ExportOptions, versions: Versions
) -> dict[str, int]:
    query = (
        _selected(survey, options, versions)
        .with_only_columns(SurveyResponse.status, func.count(SurveyResponse.id))
        .group_by(SurveyResponse.status)
        .order_by(None)
    )
    return {status: number for status, number in session.execute(query)}


def flagged(
    session: Session,
    survey: Survey,
    options: ExportOptions,
    versions: Versions,
    paces: Mapping[int, quality.Pace],
    speeder_fraction: float,
) -> dict[str, str]:
    """The selected responses that a quality flag marks, id -> status, by the rules the rows'
    flags follow (survey.export.rows), read light: their times, and their answers to grid
    questions only."""
    selection = _selected(survey, options, versions)
    grids = {key: quality.grids(item) for key, item in versions.questionnaires.items()}
    asked = sorted({question_id for ids in grids.values() for question_id in ids})
    answers: defaultdict[str, dict[str, Any]] = defaultdict(dict)
    if asked:
        for response_id, question_id, value in session.execute(
            select(Answer.response_id, Answer.question_id, Answer.value).where(
                Answer.question_id.in_(asked),
                Answer.response_id.in_(selection.with_only_columns(SurveyResponse.id)),
            )
        ):
            answers[str(response_id)][str(question_id)] = value
    found = {}
    for response_id, status, version_id, started, submitted in session.execute(
        selection.with_only_columns(
            SurveyResponse.id,
            SurveyResponse.status,
            SurveyResponse.questionnaire_version_id,
            SurveyResponse.started_at,
            SurveyResponse.submitted_at,
        )
    ):
        seconds = (as_utc(submitted) - as_utc(started)).total_seconds() if submitted else None
        pace = paces.get(versions.numbers[version_id])
        if (
            quality.speeder(status, seconds, pace, speeder_fraction) == 1
            or quality.straightlined(answers.get(response_id, {}), grids[version_id]) == 1
        ):
            found[response_id] = status
    return found


def records(
    session: Session,
    survey: Survey,
    options: ExportOptions,
    versions: Versions,
    batch_size: int = BATCH_SIZE,
    leave_out: Collection[str] = (),
) -> Iterator[tuple[ResponseRecord, Questionnaire]]:
    """Each selected response with the questionnaire it was answered under, oldest first.

    Keyset pagination on (started_at, id) keeps memory flat and every query fast, however many
    responses there are. Each batch is one JSON document made by the database: its responses,
    each with its answers and saved sections already assembled (a large export reads millions
    of answers). One value per batch lets the driver read the whole batch without the
    interpreter (see `read_ahead`), and orjson turns it into Python objects in one call.
    """
    batches = _batches(session.connection(), survey, options, versions, batch_size)
    for batch in read_ahead(batches):
        for row in batch:
            if row[_ID] not in leave_out:
                yield _record(row, versions)


def _record(row: list[Any], versions: Versions) -> tuple[ResponseRecord, Questionnaire]:
    """One row of a batch document as a response, with the questionnaire it was answered under."""
    (
        response_id,
        status,
        late,
        language,
        channel,
        version_id,
        consent_version,
        started_at,
        submitted_at,
        last_section,
        completed,
        *answer_documents,
    ) = row
    answers: dict[str, Any] = {}
    for document in answer_documents:
        if document is not None:
            answers.update(orjson.loads(document) if document.__class__ is str else document)
    record = ResponseRecord(
        response_id,
        status,
        bool(late),
        language,
        channel,
        versions.numbers[version_id],
        consent_version,
        _utc(started_at),
        _utc(submitted_at) if submitted_at is not None else None,
        last_section,
        answers,
        completed.split(",") if completed else (),
    )
    return record, versions.questionnaires[version_id]


def _batches(
    connection: Connection,
    survey: Survey,
    options: ExportOptions,
    versions: Versions,
    batch_size: int,
) -> Iterator[list[list[Any]]]:
    """The batch documents, read one after the other (Core: no ORM bookkeeping)."""
    sqlite = connection.dialect.name == "sqlite"
    after: tuple[datetime, str] | None = None
    while True:
        query = _batch_document(survey, options, versions, after, batch_size, sqlite=sqlite)
        document = connection.execute(query).scalar()
        batch = orjson.loads(document) if document.__class__ is str else document
        if not batch:
            return
        if sqlite:  # SQLite keeps the subquery's order in practice, but does not promise it
            batch.sort(key=_keyset_order)
        yield batch
        after = (_utc(batch[-1][_STARTED_AT]), batch[-1][_ID])


# Positions in a batch document's rows (the order of _RESPONSE_COLUMNS).
_ID, _STARTED_AT = 0, 7


def _keyset_order(row: list[Any]) -> tuple[str, str]:
    return row[_STARTED_AT], row[_ID]


def _utc(text: str) -> datetime:
    """A time from a batch document: SQLite's naive UTC text, or PostgreSQL's with an offset."""
    return as_utc(datetime.fromisoformat(text))


def _batch_document(
    survey: Survey,
    options: ExportOptions,
    versions: Versions,
    after: tuple[datetime, str] | None,
    batch_size: int,
    *,
    sqlite: bool,
) -> Select[Any]:
    """One JSON array of the next `batch_size` responses after `after`, each an array of the
    response columns, its saved sections and its answers as JSON objects."""
    documents = [_answers_document(Answer, sqlite=sqlite)]
    if options.with_personal_data:
        documents.append(_answers_document(PersonalAnswer, sqlite=sqlite))
    query = _selected(survey, options, versions).order_by(
        SurveyResponse.started_at, SurveyResponse.id
    )
    if after is not None:
        query = query.where(tuple_(SurveyResponse.started_at, SurveyResponse.id) > after)
    names = [f"c{index}" for index in range(len(_RESPONSE_COLUMNS) + 1 + len(documents))]
    columns = [*_RESPONSE_COLUMNS, _completed_sections(sqlite=sqlite), *documents]
    batch = (
        query.with_only_columns(
            *[column.label(name) for column, name in zip(columns, names, strict=True)]
        )
        .limit(batch_size)
        .subquery()
    )
    cells = [batch.c[name] for name in names]
    if sqlite:
        document = func.json_group_array(func.json_array(*cells))
    else:
        document = func.json_agg(
            aggregate_order_by(
                func.json_build_array(*cells), batch.c[names[_STARTED_AT]], batch.c[names[_ID]]
            )
        )
    return select(type_coerce(document, String))


def _answers_document(model: type[Answer] | type[PersonalAnswer], *, sqlite: bool) -> Any:
    """A response's answers as one JSON object, as text (NULL when it has none)."""
    if sqlite:
        document = func.json_group_object(model.question_id, func.json(model.value))
    else:
        document = func.json_object_agg(model.question_id, model.value)
    return (
        select(cast(document, String))
        .where(model.response_id == SurveyResponse.id)
        .scalar_subquery()
    )


def _completed_sections(*, sqlite: bool) -> Any:
    """A response's saved sections, comma-separated (section ids have no commas)."""
    if sqlite:
        joined = func.group_concat(SectionProgress.section_id, ",")
    else:
        joined = func.string_agg(SectionProgress.section_id, ",")
    return (
        select(joined)
        .where(
            SectionProgress.response_id == SurveyResponse.id,
            SectionProgress.completed_at.is_not(None),
        )
        .scalar_subquery()
    )


_Item = TypeVar("_Item")
_DONE = object()


def read_ahead(items: Iterator[_Item]) -> Iterator[_Item]:
    """`items`, with the next one read in a background thread while this one is used.

    The database drivers (sqlite3, psycopg) let go of the interpreter while the database
    works, so the next batch is read while this one is written: on two cores a large export
    takes about the time of the slower of the two instead of their sum. Only the thread uses
    `items` (and so the connection behind it) until it has finished or stopped, so the
    connection is never used from two threads at once.
    """
    handoff: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        handoff.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(_DONE)
        except BaseException as error:  # noqa: BLE001 - raised again in the consumer
            handoff.put(error)

    thread = threading.Thread(target=produce, name="export-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let a blocked put() through, then wait for the thread
            try:
                handoff.get_nowait()
            except queue.Empty:
                pass
            thread.join(timeout=0.05)
