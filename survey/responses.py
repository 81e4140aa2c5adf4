"""What happens to a response: start, save a section, screen out, submit. Flushes, never commits.

Every write first claims the response row with a conditional UPDATE, so two requests for the
same response (a double click, a replayed form) are serialised by the database and a submitted
response is never changed again.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Executable,
    Result,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    inspect,
    literal_column,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from survey import audit, deadline_rules, resume_codes
from survey.db import affected, insert_on_conflict, on_the_driver
from survey.models import (
    Answer,
    PersonalAnswer,
    QuestionnaireVersion,
    SectionProgress,
    Survey,
    SurveyResponse,
    UTCDateTime,
)
from survey.questionnaire import flow
from survey.questionnaire.answers import SectionResult
from survey.questionnaire.schema import Questionnaire, Section
from survey.questionnaire_store import (
    NewestVersion,
    fresh,
    lock_survey,
    newest_of,
    newest_read,
    questionnaire_of_response,
    schedule_of,
)


class ResponseError(Exception):
    """A request the rules do not allow; the web layer turns each kind into a page."""


class SurveyNotOpen(ResponseError):
    """The survey does not accept new responses now (not yet open, or closed)."""


class SurveyClosed(ResponseError):
    """The deadline (and any grace period) has passed: nothing more is accepted."""


class ResponseFinished(ResponseError):
    """The response was submitted or screened out already; it is not changed again."""


@dataclass
class ResponseState:
    """A response's saved state, as the questionnaire engine needs it."""

    response: SurveyResponse
    questionnaire: Questionnaire
    answers: dict[str, Any]
    completed: set[str]


def draft(
    session: Session,
    survey: Survey,
    code: str,
    *,
    key: str,
    started_at: datetime,
    language: str,
    channel: str | None,
) -> ResponseState:
    """A response a person has started (consent given, code drawn) but not yet saved: nothing
    is written until its first section is saved (`store_draft`), so starts that go no further
    leave no row behind."""
    newest = newest_of(session, survey)
    if newest is None:
        raise SurveyNotOpen(survey.slug)
    version_id, questionnaire = newest
    response = SurveyResponse(
        survey_id=survey.id,
        questionnaire_version_id=version_id,
        resume_code_hash=resume_codes.code_hash(code, key),
        status="in_progress",
        late=False,
        language=language,
        channel=channel,
        consent_version=questionnaire.consent_version,
        started_at=started_at,
        updated_at=started_at,
    )
    return ResponseState(response, questionnaire, {}, set())


def is_draft(progress: ResponseState) -> bool:
    return progress.response.id is None


def store_draft(session: Session, survey: Survey, progress: ResponseState, now: datetime) -> None:
    """Write a drafted response, at its first save. It was started when the person gave consent:
    if the survey took new responses then, it may be finished until the close plus grace."""
    response = progress.response
    if response.id is not None:
        return
    if not deadline_rules.may_start(schedule_of(survey), response.started_at):
        raise SurveyNotOpen(survey.slug)
    response.id = secrets.token_hex(16)
    response.updated_at = now
    # What the draft set, as the ORM's flush would insert it: a column it left unset gets its
    # default.
    given = inspect(response).dict
    row = {column.key: given[column.key] for column in _RESPONSES.columns if column.key in given}
    if affected(_run(session, _store_response(session.get_bind().dialect.name), row)) == 1:
        # Stored as it is: the session holds it from now on as if it had read it.
        make_transient_to_detached(response)
        session.add(response)
        return
    # The same first save arrived twice at once: the other request stored the response.
    stored = _progress_of_hash(session, survey, response.resume_code_hash)
    if stored is None:  # its code is another survey's, or it was withdrawn meanwhile
        raise RuntimeError("a first save's response was neither stored nor found")
    progress.response, progress.answers = stored.response, stored.answers
    progress.completed = stored.completed


@functools.cache
def _store_response(dialect: str) -> Executable:
    """A drafted response's INSERT, which stores nothing if a response with its code is there
    already: one statement, where the ORM's flush in a savepoint that catches the conflict
    took three on PostgreSQL (and the unit of work's bookkeeping). SQLAlchemy keeps an INSERT's
    row count only when asked to (`preserve_rowcount`): it tells stored (1) from there (0)."""
    return (
        insert_on_conflict(dialect, _RESPONSES)
        .on_conflict_do_nothing(index_elements=[_RESPONSES.c.resume_code_hash])
        .execution_options(preserve_rowcount=True)
    )


def _table(model: Any) -> Table:
    return cast("Table", model.__table__)


def find_by_code(session: Session, survey: Survey, code: str, key: str) -> SurveyResponse | None:
    """The stored response of `survey` with this (normalized) code; `key`: the resume key."""
    code_hash = resume_codes.code_hash(code, key)
    return session.scalar(_BY_CODE_HASH, {"survey_id": survey.id, "code_hash": code_hash})


# What every respondent page reads, and every save writes, in statements built once: building
# one (and working out its cache key) costs about as much as running it. Values are bound at
# each run.
# Its questionnaire version is not joined: it is nearly always the survey's newest, which the
# page has read already with the survey (kept in the session: `questionnaire_of_response`
# finds it there without a query); a response on an older version gets its own query.
_BY_CODE_HASH = select(SurveyResponse).where(
    SurveyResponse.survey_id == bindparam("survey_id"),
    SurveyResponse.resume_code_hash == bindparam("code_hash"),
)
_PROGRESS = _table(SectionProgress)
_UTC_TIME = UTCDateTime()
_NOW = bindparam("now", type_=_UTC_TIME)
_RESPONSES = _table(SurveyResponse)
# The status is written in the statement, not bound: its text compiled for psycopg (`_claim`)
# then takes the same values as the statement.
_CLAIM = (
    update(_RESPONSES)
    .where(
        _RESPONSES.c.id == bindparam("response_id"),
        _RESPONSES.c.status == literal_column("'in_progress'"),
    )
    .values(updated_at=_NOW, last_section=bindparam("section"), language=bindparam("answered_in"))
)


@functools.cache
def _claim_for_psycopg() -> str:
    """_CLAIM's text as SQLAlchemy compiles it for psycopg, its values named as _CLAIM's."""
    return str(_CLAIM.compile(dialect=psycopg.dialect()))


_ANSWER_KEY = ("response_id", "question_id")
_PROGRESS_KEY = ("response_id", "section_id")


@functools.cache
def _writes(dialect: str) -> _Writes:
    """The statements a save writes with, as `dialect` spells ON CONFLICT (SQLite and
    PostgreSQL alike); on the tables, not the mapped classes: no answer is ever loaded as an
    object to keep in step."""
    answers: dict[type, tuple[Executable, Executable]] = {}
    for model in (Answer, PersonalAnswer):
        table = _table(model)
        upsert = insert_on_conflict(dialect, table)
        answers[model] = (
            delete(table).where(
                table.c.response_id == bindparam("response_id"),
                table.c.question_id.in_(bindparam("keys", expanding=True)),
            ),
            upsert.on_conflict_do_update(
                index_elements=_ANSWER_KEY,
                set_={"section_id": upsert.excluded.section_id, "value": upsert.excluded.value},
            ),
        )
    row: dict[str, Any] = {
        "response_id": bindparam("response_id"),
        "section_id": bindparam("section_id"),
        "reached_at": _NOW,
        "completed_at": bindparam("completed_at", type_=UTCDateTime()),
    }
    progress = insert_on_conflict(dialect, _PROGRESS).values(row)
    # A row with a completed time sets it; one without (a section reached) keeps what is there.
    completed = func.coalesce(progress.excluded.completed_at, _PROGRESS.c.completed_at)
    return _Writes(
        answers,
        progress.on_conflict_do_update(
            index_elements=_PROGRESS_KEY, set_={"completed_at": completed}
        ),
    )


@dataclass(frozen=True)
class _Writes:
    answers: dict[type, tuple[Executable, Executable]]  # model: (delete by keys, upsert)
    progress: Executable  # one section's row: reached (completed_at None) or saved


def _run(session: Session, statement: Executable, parameters: Any) -> Result[*tuple[Any, ...]]:
    """A Core statement of a page or a save, run on the session's connection: past what the
    ORM does first for any statement (flush what is pending, find the bind, its events),
    which cost more than running these. Nothing is pending at these points: a drafted
    response is flushed as it is stored."""
    return session.connection().execute(statement, parameters)


def find_progress(session: Session, survey: Survey, code: str, key: str) -> ResponseState | None:
    """The response of `code` with its answers (personal ones included) and completed
    sections, in one statement, or none if `find_survey_with_progress` read it already in
    this session."""
    ahead = session.info.get(_READ_AHEAD, {}).pop((survey.id, code, key), None)
    if ahead is None:
        return _progress_of_hash(session, survey, resume_codes.code_hash(code, key))
    code_hash, read = ahead
    return _progress_of_hash(session, survey, code_hash, read)


def _progress_of_hash(
    session: Session, survey: Survey, code_hash: str, read: Any = None
) -> ResponseState | None:
    """The response of a code hash with its state: as `read` ahead if it was, else queried."""
    if read is None:
        bound = {"survey_id": survey.id, "code_hash": code_hash}
        read = session.execute(_progress_by_hash(session.get_bind().dialect.name), bound).first()
    if read is None or read[0] is None:
        return None
    response, *state = cast("tuple[SurveyResponse, Any, Any, Any]", read)
    return _progress(session, response, *state)


def _progress(
    session: Session, response: SurveyResponse, answers: Any, personal: Any, completed: Any
) -> ResponseState:
    """A response with its state as `_state_columns` reads it."""
    pairs = [*(answers or ()), *(personal or ())]
    return ResponseState(
        response,
        questionnaire_of_response(session, response),
        {str(question): value for question, value in pairs},
        {str(section) for section in completed or ()},
    )


def find_survey_with_progress(
    session: Session, slug: str, code: str, key: str, *, lock: str | None = None
) -> tuple[Survey | None, NewestVersion | None]:
    """`find_survey_and_version`, reading in the same statement the response of `code` (the
    code this browser holds) with its answers and completed sections: the next `find_progress`
    of that code in this session takes them instead of querying (a respondent's page reads the
    survey, then the response: one statement for both)."""
    lock_survey(session, slug, lock)
    code_hash = resume_codes.code_hash(code, key)
    row = session.execute(
        _survey_and_progress(session.get_bind().dialect.name),
        {"slug": slug, "code_hash": code_hash},
        execution_options=fresh(lock),
    ).first()
    if row is None:
        return None, None
    survey = cast("Survey", row[0])
    progress = row[3:]
    session.info.setdefault(_READ_AHEAD, {})[(survey.id, code, key)] = (code_hash, tuple(progress))
    return survey, newest_read(session, survey, row[1], row[2])


# Responses read ahead with their survey, by (survey id, code, resume key): the code's hash (a
# keyed hash, made once a request) and the row read, its response or None, then the three state
# columns of `_state_columns`.
_READ_AHEAD = "progress_read_ahead"


@functools.cache
def _state_columns(dialect: str) -> tuple[Any, Any, Any]:
    """A response's answers and personal answers, each a JSON array of [question, value]
    (NULL: none), and its completed sections, a JSON array of their ids: subqueries of a row of
    responses. SQLite and PostgreSQL name the functions that gather JSON differently."""
    if dialect == "postgresql":
        gather, pair, as_json = func.json_agg, func.json_build_array, lambda value: value
    else:
        gather, pair, as_json = func.json_group_array, func.json_array, func.json

    def answers_of(table: Table) -> Any:
        gathered = gather(pair(table.c.question_id, as_json(table.c.value)))
        return _json(select(gathered).where(table.c.response_id == SurveyResponse.id))

    completed = select(gather(_PROGRESS.c.section_id)).where(
        _PROGRESS.c.response_id == SurveyResponse.id, _PROGRESS.c.completed_at.is_not(None)
    )
    return answers_of(_table(Answer)), answers_of(_table(PersonalAnswer)), _json(completed)


@functools.cache
def _progress_by_hash(dialect: str) -> Executable:
    """_BY_CODE_HASH with the response's state (`_state_columns`)."""
    return _BY_CODE_HASH.add_columns(*_state_columns(dialect))


@functools.cache
def _survey_and_progress(dialect: str) -> Executable:
    """The survey, its newest version, and the response of a code hash with its state."""
    return (
        select(
            Survey,
            QuestionnaireVersion.id,
            QuestionnaireVersion.fingerprint,
            SurveyResponse,
            *_state_columns(dialect),
        )
        .outerjoin(QuestionnaireVersion, QuestionnaireVersion.survey_id == Survey.id)
        .outerjoin(
            SurveyResponse,
            and_(
                SurveyResponse.survey_id == Survey.id,
                SurveyResponse.resume_code_hash == bindparam("code_hash"),
            ),
        )
        .where(Survey.slug == bindparam("slug"))
        .order_by(QuestionnaireVersion.version.desc())
        .limit(1)
    )


def _json(query: Select[Any]) -> Any:
    """A correlated subquery's one JSON value, read back as Python (lists, strings, numbers)."""
    return type_coerce(query.scalar_subquery(), JSON)


def _claim(
    session: Session,
    response: SurveyResponse,
    now: datetime,
    section: str,
    language: str,
) -> None:
    """Lock the response for this write (`section` saved last, at `now`, in `language`), or
    refuse if it is finished. The response is brought up to date with what the claim wrote
    (the rest of the row is what it was: only an in-progress response is claimed)."""
    bound = {"response_id": response.id, "now": now, "section": section, "answered_in": language}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Through psycopg itself, as the survey's lock (`lock_survey`): only its row count is
        # read, and through SQLAlchemy it cost about 90 µs more per save.
        with on_the_driver(connection) as driver:
            stamped = {**bound, "now": _UTC_TIME.process_bind_param(now, connection.dialect)}
            claimed = driver.execute(_claim_for_psycopg(), stamped).rowcount
    else:
        claimed = affected(connection.execute(_CLAIM, bound))
    if claimed != 1:
        raise ResponseFinished(response.id)
    for name, value in (("updated_at", now), ("last_section", section), ("language", language)):
        set_committed_value(response, name, value)


def save_section(
    session: Session,
    survey: Survey,
    progress: ResponseState,
    section: Section,
    result: SectionResult,
    now: datetime,
    language: str | None = None,
    *,
    from_review: bool = False,
) -> Section | None:
    """Store a valid section (or a screen-out) and drop answers that no longer apply;
    `language` is the one the section was answered in (the response's, from now on).

    Returns the section the person goes to next (None: the review, or the end of a
    screen-out): the next one, or the first one left when they came `from_review`. It is
    recorded as reached here, so showing it writes nothing.

    A refused save (SurveyClosed, SurveyNotOpen, ResponseFinished) is refused before anything
    is written."""
    if not deadline_rules.may_continue(schedule_of(survey), now):
        raise SurveyClosed(survey.slug)
    store_draft(session, survey, progress, now)
    response = progress.response
    _claim(session, response, now, section.id, language or response.language)
    questionnaire, today = progress.questionnaire, now.date()
    answers = {key: value for key, value in progress.answers.items() if key not in section.keys}
    answers.update(
        {key: value for key, value in result.values.items() if value not in (None, "", [])}
    )
    kept = flow.prune(questionnaire, answers, today)
    writes = _writes(session.get_bind().dialect.name)
    before = progress.answers
    progress.answers = kept
    applicable = {item.id for item in flow.applicable_sections(questionnaire, kept, today)}
    again = flow.changed_lists(questionnaire, answers, kept, today) - {section.id}
    stale = (progress.completed - applicable) | (progress.completed & again)
    progress.completed = (progress.completed | {section.id}) - stale
    following = None
    if result.screened_out is None:
        following = (
            flow.first_incomplete(questionnaire, kept, progress.completed, today)
            if from_review
            else flow.next_section(questionnaire, kept, section.id, today)
        )
    rows = [{"section_id": section.id, "completed_at": now}]
    if following is not None and following.id != section.id:
        rows.append({"section_id": following.id, "completed_at": None})
    with _together(session):
        _write_answers(session, writes, questionnaire, response, before, kept)
        _run(
            session,
            writes.progress,
            [{"response_id": response.id, "now": now, **row} for row in rows],
        )
    if stale:
        session.execute(
            update(SectionProgress)
            .where(
                SectionProgress.response_id == response.id,
                SectionProgress.section_id.in_(stale),
            )
            .values(completed_at=None)
            .execution_options(synchronize_session=False)
        )
    if result.screened_out is not None:
        response.status = "screened_out"
        session.flush()
    return following


@contextmanager
def _together(session: Session) -> Iterator[None]:
    """Statements whose results are not read, sent together: on PostgreSQL in one pipeline, one
    round trip for all at the block's end; SQLite, in the process, runs them one by one.

    An error the database answers to them is raised at the block's end, by psycopg: it is
    raised as SQLAlchemy raises one (so a database outage gets its page, 503, not a bug's),
    and a connection it found lost is dropped from the pool, as SQLAlchemy drops one."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    with on_the_driver(connection) as driver, driver.pipeline():
        yield


def _write_answers(
    session: Session,
    writes: _Writes,
    questionnaire: Questionnaire,
    response: SurveyResponse,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """Bring the stored answers from `before` to `after`, touching only what changed: one
    statement for those no longer given, one for those new or changed, each of answers and
    personal answers."""
    keys = questionnaire.answer_keys
    section_of, personal = keys.sections, keys.personal
    for model in (Answer, PersonalAnswer):
        mine = model is PersonalAnswer
        removing, upserting = writes.answers[model]
        gone = sorted(key for key in before if key not in after and (key in personal) == mine)
        if gone:
            _run(session, removing, {"response_id": response.id, "keys": gone})
        rows = [
            {
                "response_id": response.id,
                "question_id": key,
                "section_id": section_of[key],
                "value": value,
            }
            for key, value in sorted(after.items())
            if (key in personal) == mine and key in section_of and before.get(key) != value
        ]
        if rows:
            _run(session, upserting, rows)


def submit(
    session: Session,
    survey: Survey,
    progress: ResponseState,
    now: datetime,
    language: str | None = None,
) -> bool:
    """Submit once; True if this call submitted it, False if it had been submitted before.
    `language`: the one the person finished in, stored with the response."""
    response = progress.response
    if response.status == "complete":
        return False
    if response.status != "in_progress":
        raise ResponseFinished(response.id)
    if (
        flow.first_incomplete(
            progress.questionnaire, progress.answers, progress.completed, now.date()
        )
        is not None
    ):
        raise ResponseError("some sections are not complete yet")
    survey_schedule = schedule_of(survey)
    if not deadline_rules.may_continue(survey_schedule, now):
        raise SurveyClosed(survey.slug)
    written = {
        "status": "complete",
        "submitted_at": now,
        "updated_at": now,
        "late": deadline_rules.is_late(survey_schedule, now),
        "language": language or response.language,
    }
    done = affected(
        session.execute(
            update(SurveyResponse)
            .where(SurveyResponse.id == response.id, SurveyResponse.status == "in_progress")
            .values(written)
            .execution_options(synchronize_session=False)
        )
    )
    if done != 1:  # another request finished it first: read what it wrote
        session.refresh(response)
        return False
    for name, value in written.items():  # what this one wrote, without reading it back
        set_committed_value(response, name, value)
    return True


def withdraw(session: Session, response: SurveyResponse, *, now: datetime, by: str) -> None:
    """Erase a response with its answers, personal data and progress (data-protection
    request), and log who asked (`by`: "respondent" or "command line"), never what was erased."""
    for model in (Answer, PersonalAnswer, SectionProgress):
        session.execute(delete(model).where(model.response_id == response.id))
    session.execute(delete(SurveyResponse).where(SurveyResponse.id == response.id))
    audit.record(
        session,
        actor=None,
        action="response.withdraw",
        at=now,
        target=f"response:{response.id}",
        actor_text=by,
    )
    session.flush()


def find_any_by_code(session: Session, code: str, key: str) -> SurveyResponse | None:
    """The response with this resume code, whatever its survey (for the command line)."""
    return session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.resume_code_hash == resume_codes.code_hash(code, key)
        )
    )
