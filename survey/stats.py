"""Figures for the dashboard, aggregated in SQL.

Every figure comes from a GROUP BY (or an ORDER BY … LIMIT) in the database: the number of
statements and the Python work stay the same whether a survey has ten responses or 100,000.
Only the few resulting groups (statuses, days, countries, choices, channels, sections) are
touched in Python.

Which question gives the country and which questions are broken down is the questionnaire's
own declaration (`analysis` in its YAML: `country_question`, `breakdowns`); nothing here knows
a question id.

A partner's dashboard counts only the responses of its channels: every query is given the same
scope (the survey, and the channels when they are limited), so no figure can leave it out.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import Select

from survey.i18n import language_name, text
from survey.models import Answer, QuestionnaireVersion, SectionProgress, Survey, SurveyResponse
from survey.questionnaire import quality
from survey.questionnaire.countries import country_name
from survey.questionnaire.model import SPEEDER_FRACTION, Question, Questionnaire
from survey.questionnaire.types import type_of
from survey.questionnaire_store import questionnaire_of

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
    quality: Quality
    has_country: bool = True


@dataclass(frozen=True)
class Scope:
    """The responses a dashboard counts: one survey's, and only those of `channels` unless it
    is None (every response, with a channel or without)."""

    survey_id: int
    channels: tuple[str, ...] | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """The conditions on responses that keep them to this scope."""
        conditions = [SurveyResponse.survey_id == self.survey_id]
        if self.channels is not None:
            conditions.append(SurveyResponse.channel.in_(self.channels))
        return conditions


def dashboard(
    session: Session,
    survey: Survey,
    questionnaire: Questionnaire | None,
    *,
    language: str = "en",
    no_channel: str = NO_CHANNEL,
    channels: Collection[str] | None = None,
) -> Dashboard:
    """The dashboard figures of `survey`; labels and sections from `questionnaire` (the latest
    version), in `language`; `no_channel` names responses that came without a ?via= tag.
    With `channels`, every figure counts only the responses that came through one of them
    (a partner's dashboard); None counts them all."""
    dialect = session.get_bind().dialect.name
    scope = Scope(survey.id, None if channels is None else tuple(sorted(channels)))
    statuses = _count_by(session, scope, SurveyResponse.status)
    started = sum(statuses.values())
    completed = statuses.get("complete", 0)
    screened_out = statuses.get("screened_out", 0)
    eligible = started - screened_out

    # Rows of other tables belong to a survey through their response. When the scope is every
    # response of the database (one survey, no channel left out: the usual case for admins),
    # counting them needs no look-up of their responses, which on SQLite is what costs most
    # at 100,000 responses.
    joined = None if _holds_every_response(session, scope, started) else scope
    country = country_question(questionnaire)
    breakdowns = _breakdown_questions(questionnaire)
    picks = [item for item in breakdowns if type_of(item).list_answer]
    single = [item for item in (country, *breakdowns) if item and item not in picks]
    counts = _answer_counts(
        session, joined, [item.id for item in single], dialect, survey.id, questionnaire
    )
    counts.update(
        _choice_counts(
            session, joined, [item.id for item in picks], dialect, survey.id, questionnaire
        )
    )
    paces = _paces(session, survey)
    if scope.channels is None and len(paces) == 1:  # its one version's median is the survey's
        median = next(iter(paces.values()))[1].median_seconds
    else:
        median = _median_duration(session, scope, completed, dialect)
    return Dashboard(
        started=started,
        completed=completed,
        partial=statuses.get("in_progress", 0),
        screened_out=screened_out,
        completion_rate=completed / eligible if eligible > 0 else None,
        median_seconds=median,
        per_day=_per_day(session, scope, dialect),
        by_country=_by_country(country, counts, language),
        breakdowns=tuple(
            _breakdown(item, counts.get(item.id, {}), language) for item in breakdowns
        ),
        by_channel=_by_channel(session, scope, no_channel),
        by_language=_by_language(session, scope, language),
        drop_off=_drop_off(session, joined, questionnaire, language),
        quality=_quality(session, survey, scope, joined, questionnaire, paces, dialect),
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
    value_text = _value_text(dialect)
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
    session: Session, scope: Scope, column: InstrumentedAttribute[_Value]
) -> dict[_Value, int]:
    """The responses of `scope` counted by one of their columns (status, channel, language)."""
    rows = session.execute(select(column, func.count()).where(*scope.where()).group_by(column))
    return {value: number for value, number in rows}


def _holds_every_response(session: Session, scope: Scope, started: int) -> bool:
    """Whether `scope` is every response stored: never when it leaves channels out (the
    responses of other channels are in the same tables, and must not be counted)."""
    if scope.channels is not None:
        return False
    total = session.scalar(select(func.count()).select_from(SurveyResponse)) or 0
    return total == started


def _duration_seconds(dialect: str) -> ColumnElement[float]:
    """Seconds from start to submission. On SQLite through julianday (days as floating point:
    fast, and off by some microseconds, which no median shown to the second notices); a
    speeder is told with `_faster_than`, exact where it matters."""
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


# A duration this close to a speeder's threshold is compared exactly (see `_faster_than`).
_NEAR_SECONDS = 0.001


def _faster_than(seconds: float, dialect: str) -> ColumnElement[bool]:
    """Whether a response took less than `seconds`, exactly as the exports compare them
    (Python's exact timedelta). On SQLite, julianday decides far from the line (it is off by
    less than 0.1 ms); near it, the stored text's whole seconds and fraction decide."""
    duration = _duration_seconds(dialect)
    if dialect != "sqlite":  # PostgreSQL's interval is exact to the microsecond
        return duration < seconds
    exact = (
        cast(func.strftime("%s", SurveyResponse.submitted_at), Integer)
        - cast(func.strftime("%s", SurveyResponse.started_at), Integer)
    ) + (  # the stored text is naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff'
        cast(func.substr(SurveyResponse.submitted_at, 20), Float)
        - cast(func.substr(SurveyResponse.started_at, 20), Float)
    )
    return case(
        (duration < seconds - _NEAR_SECONDS, literal(True)),
        (duration > seconds + _NEAR_SECONDS, literal(False)),
        else_=exact < seconds,
    )


def _median_duration(session: Session, scope: Scope, completed: int, dialect: str) -> float | None:
    return _median_seconds(session, scope.where(), completed, dialect)


def _median_seconds(
    session: Session, where: list[ColumnElement[bool]], completed: int, dialect: str
) -> float | None:
    """The median duration of the `completed` complete responses `where` says, without loading
    the durations: the middle one (or two) by ORDER BY."""
    if completed == 0:
        return None
    duration = _duration_seconds(dialect)
    middle = [
        float(value)
        for value in session.scalars(
            select(duration)
            .where(*where, SurveyResponse.status == "complete")
            .order_by(duration)
            .limit(2 - completed % 2)
            .offset((completed - 1) // 2)
        )
    ]
    if not middle:  # a response completed between the two queries' snapshots
        return None
    return round(sum(middle) / len(middle), 3)


def paces(session: Session, survey: Survey) -> dict[int, quality.Pace]:
    """How fast the complete responses to each questionnaire version were (by version number):
    what the speeder flag is judged against, whatever an export's filters or a partner's
    channels."""
    return dict(_paces(session, survey).values())


def _paces(session: Session, survey: Survey) -> dict[int, tuple[int, quality.Pace]]:
    """Version id -> (version number, how fast its complete responses were): counted from the
    index of the responses' figures, one median per version that has complete responses."""
    dialect = session.get_bind().dialect.name
    numbers: dict[int, int] = {
        version_id: number
        for version_id, number in session.execute(
            select(QuestionnaireVersion.id, QuestionnaireVersion.version).where(
                QuestionnaireVersion.survey_id == survey.id
            )
        )
    }
    version = SurveyResponse.questionnaire_version_id
    counts = session.execute(
        select(version, func.count())
        .where(SurveyResponse.survey_id == survey.id, SurveyResponse.status == "complete")
        .group_by(version)
    ).all()
    survey_only = [SurveyResponse.survey_id == survey.id]
    return {
        version_id: (
            numbers[version_id],
            quality.Pace(
                complete,
                _median_seconds(
                    session,
                    # With one version answered, every complete response is of that version.
                    survey_only if len(counts) == 1 else [*survey_only, version == version_id],
                    complete,
                    dialect,
                ),
            ),
        )
        for version_id, complete in counts
    }


# -- quality flags -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Quality:
    """How many of a dashboard's responses each quality flag marks, by the rules the exports'
    flag_speeder and flag_straightlining follow (survey.questionnaire.quality)."""

    speeders: int | None  # None: no version has enough complete responses to judge by
    judged: int  # the complete responses of the versions that have
    straightliners: int
    flagged: int  # by one flag or both
    speeder_fraction: float


def _quality(
    session: Session,
    survey: Survey,
    scope: Scope,
    joined: Scope | None,
    questionnaire: Questionnaire | None,
    paces: dict[int, tuple[int, quality.Pace]],
    dialect: str,
) -> Quality:
    """Speeders in SQL, against each version's median (of the whole survey) times the share
    its newest questionnaire sets; straightliners by the engine's rule, applied once to each
    distinct answer of a grid question (grouped in SQL), then counted in SQL; either flag as
    their sum less the responses both flag."""
    fraction = questionnaire.speeder_fraction if questionnaire else SPEEDER_FRACTION
    judged_versions = {
        version_id: pace
        for version_id, (_number, pace) in paces.items()
        if quality.judges_speed(pace)
    }
    speeding = or_(
        false(),
        *(
            and_(
                SurveyResponse.questionnaire_version_id == version_id,
                _faster_than(fraction * (pace.median_seconds or 0.0), dialect),
            )
            for version_id, pace in judged_versions.items()
        ),
    )
    complete = [*scope.where(), SurveyResponse.status == "complete"]
    if scope.channels is None:  # the paces count the whole survey's complete responses
        judged = sum(pace.complete for pace in judged_versions.values())
    else:
        judged = _count(
            session, complete, SurveyResponse.questionnaire_version_id.in_(judged_versions)
        )
    # Counted even when no version can be judged yet (then 0, shown as not judged): the
    # dashboard's statements are the same whatever the number of responses.
    speeders = _count(session, complete, speeding)
    straight_answer = _straight_answers(session, survey, joined, questionnaire, dialect)
    straight = select(Answer.response_id).where(straight_answer)
    straightliners = (
        session.scalar(
            _within(
                select(func.count(func.distinct(Answer.response_id))).where(straight_answer),
                joined,
                Answer.response_id,
            )
        )
        or 0
    )
    both = _count(session, complete, SurveyResponse.id.in_(straight), speeding)
    return Quality(
        speeders=speeders if judged_versions else None,
        judged=judged,
        straightliners=straightliners,
        flagged=speeders + straightliners - both,
        speeder_fraction=fraction,
    )


def _count(session: Session, where: list[ColumnElement[bool]], *more: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).where(*where, *more)) or 0


def _straight_answers(
    session: Session,
    survey: Survey,
    joined: Scope | None,
    questionnaire: Questionnaire | None,
    dialect: str,
) -> ColumnElement[bool]:
    """A condition on answers: one of the grid answers that are straightlining (and applied:
    `_applied`). Each distinct answer to a grid question (as stored JSON text) is judged once,
    by the engine."""
    grids = sorted(
        {
            question_id
            for version in session.scalars(
                select(QuestionnaireVersion).where(QuestionnaireVersion.survey_id == survey.id)
            )
            for question_id in quality.grids(questionnaire_of(version))
        }
    )
    value_text = _value_text(dialect)
    distinct = _within(
        select(Answer.question_id, value_text)
        .where(Answer.question_id.in_(grids))
        .group_by(Answer.question_id, value_text),
        joined,
        Answer.response_id,
    )
    straight: dict[str, list[str]] = {}
    for question_id, raw in session.execute(distinct) if grids else ():
        if quality.straightlined({question_id: _decoded_map(raw)}, (question_id,)):
            straight.setdefault(question_id, []).append(raw)
    # Per question, its values as a list: each a look-up in the index on (question, value).
    return and_(
        or_(
            false(),
            *(
                and_(Answer.question_id == question_id, value_text.in_(values))
                for question_id, values in straight.items()
            ),
        ),
        *_applied(survey.id, questionnaire, list(straight)),
    )


def _applied(
    survey_id: int, questionnaire: Questionnaire | None, question_ids: Collection[str]
) -> list[ColumnElement[bool]]:
    """Conditions on answers to `question_ids` that leave out those a screened-out response
    holds in a section after the one that screened it out (its last section saved). Saved
    before the person went back and changed an earlier answer (an age), they stay stored but
    did not apply: the exports leave them empty too (survey.export.rows). Sections are taken
    in the order of `questionnaire` (the newest version), as the dashboard shows them.

    One list of responses per section that holds such questions (few: the breakdowns and the
    grids), each from the index of statuses, read once per statement."""
    if questionnaire is None:
        return []
    order = [section.id for section in questionnaire.sections]
    by_section: dict[str, list[str]] = {}
    for question_id in sorted(question_ids):
        if questionnaire.has_question(question_id):
            section_id = questionnaire.question(question_id).section_id
            by_section.setdefault(section_id, []).append(question_id)
    conditions = []
    for section_id, ids in by_section.items():
        earlier = order[: order.index(section_id)]
        if not earlier:
            continue  # no screen-out can end a response before the first section
        ended_earlier = select(SurveyResponse.id).where(
            SurveyResponse.survey_id == survey_id,
            SurveyResponse.status == "screened_out",
            SurveyResponse.last_section.in_(earlier),
        )
        conditions.append(
            or_(Answer.question_id.not_in(ids), Answer.response_id.not_in(ended_earlier))
        )
    return conditions


def _value_text(dialect: str) -> ColumnElement[str]:
    """An answer's stored JSON as text: as stored on SQLite (its index on question and value
    holds it), cast on PostgreSQL (whose json type has no equality to group by)."""
    if dialect == "sqlite":
        return type_coerce(Answer.value, String)
    return cast(Answer.value, String)


def _decoded_map(raw: str | None) -> Any:
    try:
        return json.loads(raw) if raw is not None else None
    except ValueError:
        return None


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


def _per_day(session: Session, scope: Scope, dialect: str) -> tuple[Count, ...]:
    day = _utc_day(SurveyResponse.started_at, dialect)
    query = select(day, func.count()).where(*scope.where()).group_by(day)
    return tuple(
        Count(day.isoformat(), day.isoformat(), number)
        for day, number in _count_by_day(session, query)
    )


def _answer_counts(
    session: Session,
    scope: Scope | None,
    question_ids: list[str],
    dialect: str,
    survey_id: int,
    questionnaire: Questionnaire | None,
) -> dict[str, dict[str, int]]:
    """Per question, how many responses (of `scope`, or all) gave each answer (single values),
    by the answer as text (a choice code 3 and "3" are one answer); none that a screened-out
    response holds after its screen (`_applied`).

    PostgreSQL's json type has no equality, so the answers are grouped by their JSON text
    and decoded afterwards, once per group. SQLite groups them as stored, in the order of its
    index on (question, value), which then holds all the query reads.
    """
    if not question_ids:
        return {}
    value_text = _value_text(dialect)
    counts: dict[str, dict[str, int]] = {}
    query = (
        select(Answer.question_id, value_text, func.count())
        .where(
            Answer.question_id.in_(question_ids),
            *_applied(survey_id, questionnaire, question_ids),
        )
        .group_by(Answer.question_id, value_text)
    )
    for question_id, raw, number in session.execute(_within(query, scope, Answer.response_id)):
        _add_value(counts.setdefault(question_id, {}), raw, number)
    return counts


def _add_value(counts: dict[str, int], raw: str | float | None, number: int) -> None:
    """Count `number` answers stored as `raw` under their value as text (none: not counted)."""
    value = _decode(raw)
    if value is not None:
        counts[str(value)] = counts.get(str(value), 0) + number


def _choice_counts(
    session: Session,
    scope: Scope | None,
    question_ids: list[str],
    dialect: str,
    survey_id: int,
    questionnaire: Questionnaire | None,
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
        .where(
            Answer.question_id.in_(question_ids),
            *_applied(survey_id, questionnaire, question_ids),
        )
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


def _within(query: Select[*_Row], scope: Scope | None, response_id: Any) -> Select[*_Row]:
    """`query` limited to the responses of `scope` (None: it holds every response).

    As `IN (their ids)`, not a join: SQLite lists the ids once, from an index of responses,
    and checks each row against the list; a join looked each row's response up, once per
    channel of a partner's."""
    if scope is None:
        return query
    return query.where(response_id.in_(select(SurveyResponse.id).where(*scope.where())))


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


def _by_channel(session: Session, scope: Scope, no_channel: str) -> tuple[Count, ...]:
    """Responses per channel; a limited scope shows each of its channels, none left out."""
    numbers: dict[str | None, int] = {channel: 0 for channel in scope.channels or ()}
    numbers.update(_count_by(session, scope, SurveyResponse.channel))
    rows = numbers.items()
    counts = [Count(channel or "", channel or no_channel, number) for channel, number in rows]
    return tuple(sorted(counts, key=lambda item: (-item.count, item.key == "", item.label)))


def _by_language(session: Session, scope: Scope, language: str) -> tuple[Count, ...]:
    counts = [
        Count(code, _language_label(code, language), number)
        for code, number in _count_by(session, scope, SurveyResponse.language).items()
    ]
    return tuple(sorted(counts, key=lambda item: (-item.count, item.label)))


def _language_label(code: str, language: str) -> str:
    name = language_name(code, language)
    return f"{name} ({code})" if name != code else code


def _drop_off(
    session: Session, scope: Scope | None, questionnaire: Questionnaire | None, language: str
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


def status_counts(
    session: Session, channels: Collection[str] | None = None
) -> dict[int, dict[str, int]]:
    """Per survey (by id), its responses by status; with `channels`, only the responses that
    came through one of them (a partner's list of surveys)."""
    query = select(SurveyResponse.survey_id, SurveyResponse.status, func.count()).group_by(
        SurveyResponse.survey_id, SurveyResponse.status
    )
    if channels is not None:
        query = query.where(SurveyResponse.channel.in_(tuple(channels)))
    counts: dict[int, dict[str, int]] = {}
    for survey_id, status, number in session.execute(query):
        counts.setdefault(survey_id, {})[status] = number
    return counts
