"""Figures for the dashboard, aggregated in SQL.

Every figure comes from a GROUP BY (or an ORDER BY … LIMIT) in the database: the number of
statements and the Python work stay the same whether a survey has ten responses or 100,000.
Only the few resulting groups (statuses, days, countries, choices, channels, sections) are
touched in Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Float, String, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from survey.i18n import language_name, text
from survey.models import Answer, Response, SectionProgress, Survey
from survey.questionnaire.countries import country_name
from survey.questionnaire.schema import Question, Questionnaire

COOP_TYPE_QUESTION = "coop_type"
NO_CHANNEL = "(none)"


@dataclass(frozen=True)
class Count:
    """One bar of a chart: a category (or a day), how it is shown, and its number."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class SectionFigures:
    """How many responses reached (opened) a section and how many finished (saved) it."""

    section_id: str
    title: str
    reached: int
    finished: int


@dataclass(frozen=True)
class Dashboard:
    started: int
    completed: int
    partial: int
    screened_out: int
    # completed / (started - screened_out); None when nobody is eligible yet.
    completion_rate: float | None
    # Median of submitted_at - started_at over complete responses, in seconds.
    median_seconds: float | None
    per_day: tuple[Count, ...]  # by UTC day of started_at, days without responses included
    by_country: tuple[Count, ...]
    by_coop_type: tuple[Count, ...]
    by_channel: tuple[Count, ...]
    by_language: tuple[Count, ...]  # the language each response was last saved in
    drop_off: tuple[SectionFigures, ...]
    has_country: bool = True
    has_coop_type: bool = True


def dashboard(
    session: Session,
    survey: Survey,
    questionnaire: Questionnaire | None,
    *,
    language: str = "en",
    no_channel: str = NO_CHANNEL,
) -> Dashboard:
    """The dashboard figures of `survey`; labels and sections from `questionnaire` (the latest
    version), in `language`; `no_channel` names responses that came without a ?via= tag."""
    dialect = session.get_bind().dialect.name
    statuses = _count_by(session, survey, Response.status)
    started = sum(statuses.values())
    completed = statuses.get("complete", 0)
    screened_out = statuses.get("screened_out", 0)
    eligible = started - screened_out

    # Rows of other tables belong to a survey through their response. When this survey holds
    # every response (the usual case), counting them needs no join, which on SQLite is what
    # costs most at 100,000 responses (one index look-up per response).
    scope = None if _holds_every_response(session, started) else survey
    country_question = _first_of_type(questionnaire, "country")
    coop_question = _question(questionnaire, COOP_TYPE_QUESTION)
    answer_counts = _answer_counts(
        session,
        scope,
        [item.id for item in (country_question, coop_question) if item is not None],
    )
    return Dashboard(
        started=started,
        completed=completed,
        partial=statuses.get("in_progress", 0),
        screened_out=screened_out,
        completion_rate=completed / eligible if eligible > 0 else None,
        median_seconds=_median_duration(session, survey, completed, dialect),
        per_day=_per_day(session, survey, dialect),
        by_country=_by_country(
            answer_counts.get(country_question.id, {}) if country_question else {}, language
        ),
        by_coop_type=_by_choice(coop_question, answer_counts.get(COOP_TYPE_QUESTION, {}), language),
        by_channel=_by_channel(session, survey, no_channel),
        by_language=_by_language(session, survey, language),
        drop_off=_drop_off(session, scope, questionnaire, language),
        has_country=country_question is not None,
        has_coop_type=coop_question is not None,
    )


# -- queries -----------------------------------------------------------------------------------


_Value = TypeVar("_Value")


def _count_by(
    session: Session, survey: Survey, column: InstrumentedAttribute[_Value]
) -> dict[_Value, int]:
    """The survey's responses counted by one of their columns (status, channel, language)."""
    rows = session.execute(
        select(column, func.count()).where(Response.survey_id == survey.id).group_by(column)
    )
    return {value: number for value, number in rows}


def _holds_every_response(session: Session, started: int) -> bool:
    total = session.scalar(select(func.count()).select_from(Response)) or 0
    return total == started


def _duration_seconds(dialect: str) -> ColumnElement[float]:
    if dialect == "sqlite":
        return cast(
            (func.julianday(Response.submitted_at) - func.julianday(Response.started_at)) * 86400.0,
            Float,
        )
    return cast(func.extract("epoch", Response.submitted_at - Response.started_at), Float)


def _median_duration(
    session: Session, survey: Survey, completed: int, dialect: str
) -> float | None:
    """The median without loading the durations: the middle one (or two) by ORDER BY."""
    if completed == 0:
        return None
    duration = _duration_seconds(dialect)
    middle = [
        float(value)
        for value in session.scalars(
            select(duration)
            .where(Response.survey_id == survey.id, Response.status == "complete")
            .order_by(duration)
            .limit(2 - completed % 2)
            .offset((completed - 1) // 2)
        )
    ]
    if not middle:  # a response completed between the two queries' snapshots
        return None
    # Stored times have microseconds; julianday arithmetic is exact to about 10 µs.
    return round(sum(middle) / len(middle), 3)


def _day_of_start(dialect: str) -> ColumnElement[date | str]:
    """The UTC day a response was started: a date on PostgreSQL, ISO text on SQLite."""
    if dialect == "sqlite":
        return func.date(Response.started_at)  # stored as naive UTC text
    return func.date(func.timezone("UTC", Response.started_at))


def _per_day(session: Session, survey: Survey, dialect: str) -> tuple[Count, ...]:
    day = _day_of_start(dialect)
    counts: dict[date, int] = {}
    for value, number in session.execute(
        select(day, func.count()).where(Response.survey_id == survey.id).group_by(day)
    ):
        key = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        counts[key] = number
    if not counts:
        return ()
    first, last = min(counts), max(counts)
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return tuple(Count(day.isoformat(), day.isoformat(), counts.get(day, 0)) for day in days)


def _answer_counts(
    session: Session, scope: Survey | None, question_ids: list[str]
) -> dict[str, dict[Any, int]]:
    """Per question, how many responses (of `scope`, or all) gave each answer (single values).

    PostgreSQL's json type has no equality, so the answers are grouped by their JSON text
    and decoded afterwards, once per group.
    """
    if not question_ids:
        return {}
    value_text = cast(Answer.value, String)
    counts: dict[str, dict[Any, int]] = {}
    query = (
        select(Answer.question_id, value_text, func.count())
        .where(Answer.question_id.in_(question_ids))
        .group_by(Answer.question_id, value_text)
    )
    if scope is not None:
        query = query.join(Response, Response.id == Answer.response_id).where(
            Response.survey_id == scope.id
        )
    for question_id, raw, number in session.execute(query):
        value = _decode(raw)
        per_value = counts.setdefault(question_id, {})
        per_value[value] = per_value.get(value, 0) + number
    return counts


def _decode(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, str | int | float | bool) or value is None else raw


def _by_channel(session: Session, survey: Survey, no_channel: str) -> tuple[Count, ...]:
    rows = _count_by(session, survey, Response.channel).items()
    counts = [Count(channel or "", channel or no_channel, number) for channel, number in rows]
    return tuple(sorted(counts, key=lambda item: (-item.count, item.key == "", item.label)))


def _by_language(session: Session, survey: Survey, language: str) -> tuple[Count, ...]:
    counts = [
        Count(code, _language_label(code, language), number)
        for code, number in _count_by(session, survey, Response.language).items()
    ]
    return tuple(sorted(counts, key=lambda item: (-item.count, item.label)))


def _language_label(code: str, language: str) -> str:
    name = language_name(code, language)
    return f"{name} ({code})" if name != code else code


def _drop_off(
    session: Session, scope: Survey | None, questionnaire: Questionnaire | None, language: str
) -> tuple[SectionFigures, ...]:
    if questionnaire is None:
        return ()
    query = select(
        SectionProgress.section_id,
        func.count(),
        func.count(SectionProgress.completed_at),
    ).group_by(SectionProgress.section_id)
    if scope is not None:
        query = query.join(Response, Response.id == SectionProgress.response_id).where(
            Response.survey_id == scope.id
        )
    counts = {
        section_id: (reached, finished) for section_id, reached, finished in session.execute(query)
    }
    return tuple(
        SectionFigures(
            section.id,
            text(section.title, language) or section.id,
            *counts.get(section.id, (0, 0)),
        )
        for section in questionnaire.sections
    )


# -- labels ------------------------------------------------------------------------------------


def _first_of_type(questionnaire: Questionnaire | None, kind: str) -> Question | None:
    if questionnaire is None:
        return None
    return next((item for item in questionnaire.questions() if item.type == kind), None)


def _question(questionnaire: Questionnaire | None, question_id: str) -> Question | None:
    if questionnaire is None or not questionnaire.has_question(question_id):
        return None
    return questionnaire.question(question_id)


def _by_country(counts: dict[Any, int], language: str) -> tuple[Count, ...]:
    items = [
        Count(str(code), country_name(str(code), language), number)
        for code, number in counts.items()
    ]
    return tuple(sorted(items, key=lambda item: (-item.count, item.label)))


def _by_choice(
    question: Question | None, counts: dict[Any, int], language: str
) -> tuple[Count, ...]:
    """Every choice in questionnaire order (zeros included), then codes no longer offered."""
    if question is None:
        return ()
    known = [
        Count(
            str(choice.code),
            text(choice.label, language) or str(choice.code),
            counts.get(choice.code, 0),
        )
        for choice in question.choices
    ]
    codes = {choice.code for choice in question.choices}
    retired = sorted(
        (
            Count(str(code), str(code), number)
            for code, number in counts.items()
            if code not in codes
        ),
        key=lambda item: item.key,
    )
    return tuple(known + retired)
