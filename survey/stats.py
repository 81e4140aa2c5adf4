"""Figures for the dashboard, aggregated in SQL.

Every figure comes from a GROUP BY (or an ORDER BY … LIMIT) in the database: the number of
statements and the Python work stay the same whether a survey has ten responses or 100,000.
Only the few resulting groups (statuses, days, countries, choices, channels, sections) are
touched in Python.

Which question gives the country and which questions are broken down is the questionnaire's
own declaration (`analysis` in its YAML: `country_question`, `breakdowns`); nothing here knows
a question id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement, Float, String, case, cast, func, literal, select, type_coerce
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import Select

from survey.i18n import language_name, text
from survey.models import Answer, SectionProgress, Survey, SurveyResponse
from survey.questionnaire.countries import country_name
from survey.questionnaire.model import Question, Questionnaire
from survey.questionnaire.types import type_of

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
class Breakdown:
    """The answers to one choice question: per choice, how many responses gave it (single) or
    picked it among others (multiple)."""

    question_id: str
    title: str
    multiple: bool
    counts: tuple[Count, ...]


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
    breakdowns: tuple[Breakdown, ...]  # one per question the questionnaire breaks down by
    by_channel: tuple[Count, ...]
    by_language: tuple[Count, ...]  # the language each response was last saved in
    drop_off: tuple[SectionFigures, ...]
    has_country: bool = True


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
    statuses = _count_by(session, survey, SurveyResponse.status)
    started = sum(statuses.values())
    completed = statuses.get("complete", 0)
    screened_out = statuses.get("screened_out", 0)
    eligible = started - screened_out

    # Rows of other tables belong to a survey through their response. When this survey holds
    # every response (the usual case), counting them needs no join, which on SQLite is what
    # costs most at 100,000 responses (one index look-up per response).
    scope = None if _holds_every_response(session, started) else survey
    country = country_question(questionnaire)
    breakdowns = _breakdown_questions(questionnaire)
    picks = [item for item in breakdowns if type_of(item).list_answer]
    single = [item for item in (country, *breakdowns) if item and item not in picks]
    counts = _answer_counts(session, scope, [item.id for item in single], dialect)
    counts.update(_choice_counts(session, scope, [item.id for item in picks], dialect))
    return Dashboard(
        started=started,
        completed=completed,
        partial=statuses.get("in_progress", 0),
        screened_out=screened_out,
        completion_rate=completed / eligible if eligible > 0 else None,
        median_seconds=_median_duration(session, survey, completed, dialect),
        per_day=_per_day(session, survey, dialect),
        by_country=_by_country(country, counts, language),
        breakdowns=tuple(
            _breakdown(item, counts.get(item.id, {}), language) for item in breakdowns
        ),
        by_channel=_by_channel(session, survey, no_channel),
        by_language=_by_language(session, survey, language),
        drop_off=_drop_off(session, scope, questionnaire, language),
        has_country=country is not None,
    )


@dataclass(frozen=True)
class Participation:
    """A survey's complete (submitted) responses: in all, by the answer to its country question
    (None: it has none), and per UTC day of submission from the first to the last."""

    total: int
    by_country: dict[str, int] | None  # the answer (a country code) -> responses, "" for none
    by_day: tuple[tuple[date, int], ...]  # days without a submission included, as 0


def participation(
    session: Session, survey: Survey, questionnaire: Questionnaire | None
) -> Participation:
    """How many people have taken part in `survey`, counted in the database (two GROUP BYs):
    the figures of the public participation page, the same in every language."""
    dialect = session.get_bind().dialect.name
    complete = (SurveyResponse.survey_id == survey.id, SurveyResponse.status == "complete")
    day = _utc_day(SurveyResponse.submitted_at, dialect)
    by_day = _count_by_day(session, select(day, func.count()).where(*complete).group_by(day))
    total = sum(number for _day, number in by_day)
    country = country_question(questionnaire)
    if country is None:
        return Participation(total, None, by_day)
    value_text = _answer_text(dialect)
    query = (
        select(value_text, func.count())
        .join(SurveyResponse, SurveyResponse.id == Answer.response_id)
        .where(Answer.question_id == country.id, *complete)
        .group_by(value_text)
    )
    by_country: dict[str, int] = {}
    for raw, number in session.execute(query):
        _add_value(by_country, raw, number)
    given = sum(by_country.values())
    if given < total:
        by_country[""] = total - given
    return Participation(total, by_country, by_day)


# -- queries -----------------------------------------------------------------------------------


_Value = TypeVar("_Value")


def _count_by(
    session: Session, survey: Survey, column: InstrumentedAttribute[_Value]
) -> dict[_Value, int]:
    """The survey's responses counted by one of their columns (status, channel, language)."""
    rows = session.execute(
        select(column, func.count()).where(SurveyResponse.survey_id == survey.id).group_by(column)
    )
    return {value: number for value, number in rows}


def _holds_every_response(session: Session, started: int) -> bool:
    total = session.scalar(select(func.count()).select_from(SurveyResponse)) or 0
    return total == started


def _duration_seconds(dialect: str) -> ColumnElement[float]:
    if dialect == "sqlite":
        return cast(
            (
                func.julianday(SurveyResponse.submitted_at)
                - func.julianday(SurveyResponse.started_at)
            )
            * 86400.0,
            Float,
        )
    return cast(
        func.extract("epoch", SurveyResponse.submitted_at - SurveyResponse.started_at), Float
    )


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
            .where(SurveyResponse.survey_id == survey.id, SurveyResponse.status == "complete")
            .order_by(duration)
            .limit(2 - completed % 2)
            .offset((completed - 1) // 2)
        )
    ]
    if not middle:  # a response completed between the two queries' snapshots
        return None
    # Stored times have microseconds; julianday arithmetic is exact to about 10 µs.
    return round(sum(middle) / len(middle), 3)


def _utc_day(moment: InstrumentedAttribute[Any], dialect: str) -> ColumnElement[date | str]:
    """The UTC day of a response's moment: a date on PostgreSQL, ISO text on SQLite."""
    if dialect == "sqlite":
        return func.date(moment)  # stored as naive UTC text
    return func.date(func.timezone("UTC", moment))


def _count_by_day(session: Session, query: Select[date | str, int]) -> tuple[tuple[date, int], ...]:
    """The (day, count) rows of `query` from its first day to its last, days without any
    included (as 0)."""
    counts: dict[date, int] = {}
    for value, number in session.execute(query):
        key = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        counts[key] = number
    if not counts:
        return ()
    first, last = min(counts), max(counts)
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return tuple((day, counts.get(day, 0)) for day in days)


def _per_day(session: Session, survey: Survey, dialect: str) -> tuple[Count, ...]:
    day = _utc_day(SurveyResponse.started_at, dialect)
    query = select(day, func.count()).where(SurveyResponse.survey_id == survey.id).group_by(day)
    return tuple(
        Count(day.isoformat(), day.isoformat(), number)
        for day, number in _count_by_day(session, query)
    )


def _answer_counts(
    session: Session, scope: Survey | None, question_ids: list[str], dialect: str
) -> dict[str, dict[str, int]]:
    """Per question, how many responses (of `scope`, or all) gave each answer (single values),
    by the answer as text (a choice code 3 and "3" are one answer).

    PostgreSQL's json type has no equality, so the answers are grouped by their JSON text
    and decoded afterwards, once per group. SQLite groups them as stored, in the order of its
    index on (question, value), which then holds all the query reads.
    """
    if not question_ids:
        return {}
    value_text = _answer_text(dialect)
    counts: dict[str, dict[str, int]] = {}
    query = (
        select(Answer.question_id, value_text, func.count())
        .where(Answer.question_id.in_(question_ids))
        .group_by(Answer.question_id, value_text)
    )
    for question_id, raw, number in session.execute(_within(query, scope, Answer.response_id)):
        _add_value(counts.setdefault(question_id, {}), raw, number)
    return counts


def _answer_text(dialect: str) -> ColumnElement[str]:
    """An answer's stored JSON as text, which both databases can group by."""
    if dialect == "sqlite":
        return type_coerce(Answer.value, String)
    return cast(Answer.value, String)


def _add_value(counts: dict[str, int], raw: str | float | None, number: int) -> None:
    """Count `number` answers stored as `raw` under their value as text (none: not counted)."""
    value = _decode(raw)
    if value is not None:
        counts[str(value)] = counts.get(str(value), 0) + number


def _choice_counts(
    session: Session, scope: Survey | None, question_ids: list[str], dialect: str
) -> dict[str, dict[str, int]]:
    """Per multiple-choice question, how many responses picked each choice: every answer (a
    JSON list of distinct codes) is unnested into one row per code and counted by GROUP BY.
    A stray single value (from an older version of the question) counts as one pick."""
    if not question_ids:
        return {}
    if dialect == "sqlite":
        picked = func.json_each(Answer.value).table_valued("value", joins_implicitly=True)
    else:
        as_list = case(
            (func.json_typeof(Answer.value) == literal("array"), Answer.value),
            else_=func.json_build_array(Answer.value),
        )
        picked = func.json_array_elements_text(as_list).table_valued("value", joins_implicitly=True)
    query = (
        select(Answer.question_id, cast(picked.c.value, String), func.count())
        .select_from(Answer)
        .join(picked, literal(True))
        .where(Answer.question_id.in_(question_ids))
        .group_by(Answer.question_id, picked.c.value)
    )
    counts: dict[str, dict[str, int]] = {}
    for question_id, code, number in session.execute(_within(query, scope, Answer.response_id)):
        if code is None:
            continue
        per_code = counts.setdefault(question_id, {})
        per_code[str(code)] = per_code.get(str(code), 0) + number
    return counts


_Row = TypeVarTuple("_Row")


def _within(query: Select[*_Row], scope: Survey | None, response_id: Any) -> Select[*_Row]:
    """`query` limited to the responses of `scope` (None: it holds every response)."""
    if scope is None:
        return query
    return query.join(SurveyResponse, SurveyResponse.id == response_id).where(
        SurveyResponse.survey_id == scope.id
    )


def _decode(raw: str | float | None) -> Any:
    if raw is None:
        return None
    if not isinstance(raw, str):  # a number, as SQLite hands back a stored JSON number
        raw = str(raw)
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, str | int | float | bool) or value is None else raw


def _by_channel(session: Session, survey: Survey, no_channel: str) -> tuple[Count, ...]:
    rows = _count_by(session, survey, SurveyResponse.channel).items()
    counts = [Count(channel or "", channel or no_channel, number) for channel, number in rows]
    return tuple(sorted(counts, key=lambda item: (-item.count, item.key == "", item.label)))


def _by_language(session: Session, survey: Survey, language: str) -> tuple[Count, ...]:
    counts = [
        Count(code, _language_label(code, language), number)
        for code, number in _count_by(session, survey, SurveyResponse.language).items()
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
    counts = {
        section_id: (reached, finished)
        for section_id, reached, finished in session.execute(
            _within(query, scope, SectionProgress.response_id)
        )
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


def country_question(questionnaire: Questionnaire | None) -> Question | None:
    """The question that gives a response's country (the questionnaire's own `analysis`)."""
    if questionnaire is None or questionnaire.country_question is None:
        return None
    return questionnaire.question(questionnaire.country_question)


def _breakdown_questions(questionnaire: Questionnaire | None) -> list[Question]:
    if questionnaire is None:
        return []
    return [questionnaire.question(question_id) for question_id in questionnaire.breakdowns]


def _by_country(
    question: Question | None, counts: dict[str, dict[str, int]], language: str
) -> tuple[Count, ...]:
    """Countries, most responses first: named by their code, or by their choice's label when
    the country question is a single choice."""
    if question is None:
        return ()
    items = [
        Count(code, country_label(question, code, language), number)
        for code, number in counts.get(question.id, {}).items()
    ]
    return tuple(sorted(items, key=lambda item: (-item.count, item.label)))


def country_label(question: Question, code: str, language: str) -> str:
    """A country as the questionnaire names it in `language`: its choice's label when the
    country question is a single choice, else the country's name."""
    for choice in question.choices:
        if str(choice.code) == code:
            return text(choice.label, language) or country_name(code, language)
    return country_name(code, language)


def _breakdown(question: Question, counts: dict[str, int], language: str) -> Breakdown:
    """Every choice in questionnaire order (zeros included), then codes no longer offered."""
    known = [
        Count(
            str(choice.code),
            text(choice.label, language) or str(choice.code),
            counts.get(str(choice.code), 0),
        )
        for choice in question.choices
    ]
    codes = {str(choice.code) for choice in question.choices}
    retired = sorted(
        (Count(code, code, number) for code, number in counts.items() if code not in codes),
        key=lambda item: item.key,
    )
    return Breakdown(
        question.id,
        text(question.label, language) or question.id,
        type_of(question).list_answer,
        tuple(known + retired),
    )
