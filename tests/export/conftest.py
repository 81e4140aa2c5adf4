"""Fixtures for the export tests: a small population answered through the app, and exports of it.

The population (one of each kind of respondent) is made over HTTP as a browser would; each test
exports it in one format, reads the file back with that format's own reader and compares it,
value by value, with what was answered.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select

from survey.export import build, flatten
from survey.export.flatten import Column
from survey.export.model import Export
from survey.export.source import ExportOptions
from survey.models import Base, SurveyResponse
from survey.questionnaire.schema import Questionnaire
from survey.questionnaire_store import find_survey, latest_version, load_questionnaire
from tests.respondent import (
    MEMBER_ANSWERS,
    NOT_INVOLVED_ANSWERS,
    Respondent,
    shipped_questionnaire,
)

CLOSES_AT = datetime(2027, 5, 25, 22, 0, tzinfo=UTC)  # 2027-05-26 00:00 in Brussels
EXPORTED_AT = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
COOP_SECTIONS = ("cooperative", "starting", "participation")
FORMULAS = ("=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx")


def member_answers(**changes: Any) -> dict[str, dict[str, Any]]:
    """MEMBER_ANSWERS with some answers changed: changes={"we_own_it": "..."}."""
    answers = copy.deepcopy(MEMBER_ANSWERS)
    for values in answers.values():
        for key in list(values):
            if key in changes:
                values[key] = changes[key]
    return answers


FORMULA_ANSWERS = member_answers(
    we_own_it=FORMULAS[0], situation_other=FORMULAS[1], federation_name=FORMULAS[2], country="FR"
)
FORMULA_ANSWERS_2 = member_answers(
    we_own_it=FORMULAS[3], situation_other=FORMULAS[4], federation_name=FORMULAS[5], country="FR"
)
LATE_ANSWERS = member_answers(country="KE", we_own_it="Tarde pero seguro — ¡sí!")
PARTIAL_ANSWERS = {
    "about_you": {"age": "22", "country": "ES", "situation": ["student"]},
    "involvement": {"involvement": "founding"},
}


@dataclass
class Person:
    """One respondent of the population: what they posted and what the export should show."""

    name: str
    response_id: str
    answers: dict[str, dict[str, Any]]
    status: str  # as exported: complete | partial | screened_out
    channel: str | None
    started_at: datetime
    late: bool = False
    skipped: set[str] = field(default_factory=set)  # questions that did not apply

    @property
    def flat(self) -> dict[str, Any]:
        return {key: value for values in self.answers.values() for key, value in values.items()}


@dataclass
class Population:
    people: dict[str, Person]

    def __getitem__(self, name: str) -> Person:
        return self.people[name]

    def by_id(self) -> dict[str, Person]:
        return {person.response_id: person for person in self.people.values()}


def _new_response_id(app: Flask, known: set[str]) -> str:
    from sqlalchemy import select

    from survey.models import SurveyResponse

    with app.extensions["survey_db"].reading() as session:
        ids = set(session.scalars(select(SurveyResponse.id)))
    new = ids - known
    assert len(new) == 1, new
    known.update(new)
    return new.pop()


@pytest.fixture
def questionnaire() -> Questionnaire:
    """The shipped questionnaire (read once per test process: a Questionnaire never changes)."""
    return shipped_questionnaire()


# What a population left in each database, made over HTTP once per test process and database:
# its rows, the people, and the clock after it. Later tests get a copy of the rows at once.
_MADE: dict[str, tuple[dict[str, list[dict[str, Any]]], Population, datetime]] = {}
_POPULATION_TABLES = ("responses", "answers", "personal_answers", "section_progress")


def _rows_of(app: Flask) -> dict[str, list[dict[str, Any]]]:
    tables = Base.metadata.tables
    with app.extensions["survey_db"].reading() as session:
        return {
            name: [dict(row._mapping) for row in session.execute(select(tables[name]))]
            for name in _POPULATION_TABLES
        }


def _put_back(app: Flask, rows: dict[str, list[dict[str, Any]]]) -> None:
    """The rows of a population into this test's database, its responses tied to this test's
    survey and questionnaire version (as this test's database holds them)."""
    tables = Base.metadata.tables
    with app.extensions["survey_db"].writing() as session:
        survey = find_survey(session, "we-own-it")
        version = latest_version(session, survey)
        tied = {"survey_id": survey.id, "questionnaire_version_id": version.id}
        for name in _POPULATION_TABLES:
            values = [{**row, **tied} if name == "responses" else row for row in rows[name]]
            if values:
                session.execute(insert(tables[name]), values)


@pytest.fixture
def population(app: Flask, clock, questionnaire: Questionnaire, database_url: str) -> Population:
    """Seven respondents, answered through the app, started an hour apart (so in this order):
    member (via newsletter), not_involved (via radio), formula, formula2, partial, screened_out,
    and late (started before the deadline, submitted in the grace period)."""
    if database_url in _MADE:
        rows, made, now = _MADE[database_url]
        _put_back(app, rows)
        clock.now = now
        return copy.deepcopy(made)
    population = _answered_population(app, clock, questionnaire)
    _MADE[database_url] = (_rows_of(app), copy.deepcopy(population), clock.now)
    return population


def _answered_population(app: Flask, clock, questionnaire: Questionnaire) -> Population:
    known: set[str] = set()
    people: dict[str, Person] = {}
    coop_questions = {
        question.id
        for section in questionnaire.sections
        if section.id in COOP_SECTIONS
        for question in section.questions
    }

    def journey(
        name: str,
        answers: dict[str, dict[str, Any]],
        *,
        query: str = "",
        submit: bool = True,
        status: str = "complete",
        channel: str | None = None,
        skipped: set[str] | None = None,
    ) -> Person:
        person = Respondent(app.test_client())
        started_at = clock.now
        person.start(query)
        if status == "screened_out":
            for section_id, values in answers.items():
                response = person.save(section_id, values)
                assert response.status_code == 302
        else:
            person.answer_all(answers)
        if submit:
            clock.now += timedelta(minutes=7)
            response = person.submit()
            assert response.status_code == 302
            assert response.headers["Location"].endswith("/thanks")
        people[name] = Person(
            name=name,
            response_id=_new_response_id(app, known),
            answers=answers,
            status=status,
            channel=channel,
            started_at=started_at,
            skipped=skipped or set(),
        )
        return people[name]

    journey("member", MEMBER_ANSWERS, query="?via=newsletter", channel="newsletter")
    clock.now += timedelta(hours=1)
    journey(
        "not_involved",
        NOT_INVOLVED_ANSWERS,
        query="?via=radio",
        channel="radio",
        skipped=coop_questions | {"email"},
    )
    clock.now += timedelta(hours=1)
    journey("formula", FORMULA_ANSWERS)
    clock.now += timedelta(hours=1)
    journey("formula2", FORMULA_ANSWERS_2)
    clock.now += timedelta(hours=1)
    journey("partial", PARTIAL_ANSWERS, submit=False, status="partial")
    clock.now += timedelta(hours=1)
    # Screened out by age: the questions after it were never asked.
    about_you = [question.id for question in questionnaire.sections[0].questions]
    journey(
        "screened_out",
        {"about_you": {"age": "15", "country": "", "situation": []}},
        submit=False,
        status="screened_out",
        skipped=set(about_you[about_you.index("age") + 1 :]),
    )
    clock.now = CLOSES_AT - timedelta(minutes=10)
    late = Respondent(app.test_client())
    started_at = clock.now
    late.start()
    late.answer_all(LATE_ANSWERS)
    clock.now = CLOSES_AT + timedelta(minutes=15)
    assert late.submit().headers["Location"].endswith("/thanks")
    people["late"] = Person(
        name="late",
        response_id=_new_response_id(app, known),
        answers=LATE_ANSWERS,
        status="complete",
        channel=None,
        started_at=started_at,
        late=True,
    )
    return Population(people)


ExportMaker = Callable[..., tuple[Export, Path]]


def exporter(app: Flask, tmp_path: Path, slug: str) -> ExportMaker:
    """A function fmt, **options -> (Export, path of the written file) of survey `slug`, each
    file in a folder of its own under tmp_path."""
    made = 0

    def make(fmt: str, **options: Any) -> tuple[Export, Path]:
        nonlocal made
        made += 1
        with app.extensions["survey_db"].reading() as session:
            survey = find_survey(session, slug)
            assert survey is not None
            export = build.prepare(
                session, survey, ExportOptions(format=fmt, **options), now=EXPORTED_AT
            )
            folder = tmp_path / f"export{made}"
            folder.mkdir(parents=True)
            path = build.write(export, folder / build.file_name(slug, fmt, EXPORTED_AT))
        return export, path

    return make


@pytest.fixture
def make_export(app: Flask, tmp_path: Path) -> Iterator[ExportMaker]:
    """make_export("csv", labels=True, ...) -> (Export, path of the written file)."""
    yield exporter(app, tmp_path, "we-own-it")


@pytest.fixture
def load_version(app: Flask):
    """Load another questionnaire file (a new version of the survey) into the app's database."""

    def load(path: Path) -> None:
        with app.extensions["survey_db"].writing() as session:
            load_questionnaire(session, path)

    return load


# -- expected values -------------------------------------------------------------------------------


def posted_value(question_type: str, raw: Any) -> Any:
    """A posted form value as the export holds it (codes; whole numbers as int)."""
    if raw in (None, "", []):
        return None
    if question_type in ("integer", "scale"):
        return int(raw)
    if question_type == "country":
        return str(raw).upper()
    return raw.strip() if isinstance(raw, str) else raw


def expected_answers(
    person: Person, columns: list[Column], questionnaire: Questionnaire
) -> dict[str, Any]:
    """Column name -> the value the export should hold for this person's answers (codes, 0/1,
    int, text; None where the question did not apply or was not answered). Metadata excluded."""
    flat = person.flat
    saved_sections = set(person.answers)
    result: dict[str, Any] = {}
    for column in columns:
        if column.question_id is None:  # metadata, quality flags
            continue
        question = questionnaire.question(column.question_id or "")
        if question.id in person.skipped or question.section_id not in saved_sections:
            result[column.name] = None
        elif column.kind == "dummy":
            code = column.name[len(question.id) + 2 :]
            result[column.name] = 1 if code in (flat.get(question.id) or []) else 0
        elif column.kind == "matrix":
            result[column.name] = posted_value("integer", flat.get(column.name))
        elif column.kind == "other":
            result[column.name] = posted_value("text", flat.get(column.name))
        else:
            result[column.name] = posted_value(question.type, flat.get(question.id))
    return result


def expected_meta(person: Person) -> dict[str, Any]:
    return {
        "response_id": person.response_id,
        "status": person.status,
        "late": 1 if person.late else 0,
        "language": "en",
        "channel": person.channel,
        "questionnaire_version": 1,
        "consent_version": "2027-1",
        "started_at": person.started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# -- exports without a database (writers on their own) --------------------------------------------


def fake_export(
    columns: list[Column],
    rows: list[list[Any]],
    *,
    fmt: str = "csv",
    labels: bool = False,
    counts: Mapping[str, int] | None = None,
) -> Export:
    """An Export over given columns and raw rows, as build.prepare would make it."""
    return Export(
        survey_slug="synthetic",
        options=ExportOptions(format=fmt, labels=labels),
        language="en",
        default_language="en",
        columns=columns,
        total=len(rows),
        counts=dict(counts or {"complete": len(rows)}),
        exported_at=EXPORTED_AT,
        questionnaire_version=1,
        _rows=lambda: iter([list(row) for row in rows]),
    )


def text_column(name: str, label: str = "Some text") -> Column:
    return Column(name=name, kind="text", label={"en": label}, question_id=name)


def matrix_column(name: str, label: str = "A matrix row") -> Column:
    return Column(
        name=name,
        kind="matrix",
        label={"en": label},
        question_id=name.split("__")[0],
        value_labels=((1, {"en": "Low"}), (2, {"en": "High"}), (9, {"en": "I don't know"})),
        numbers={1: 1, 2: 2, 9: 9},
        missing_codes=(9,),
        measure=flatten.ORDINAL,
        numeric=True,
    )


@dataclass
class Answered:
    """One respondent: what they posted, in which language, and whether they submitted."""

    name: str
    posted: dict[str, dict[str, str]]
    language: str = "en"
    submit: bool = True
    response_id: str = ""


def answer_over_http(app: Flask, slug: str, people: Iterable[Answered]) -> dict[str, Answered]:
    """Each person starts (in their language), answers every section and, if they submit,
    submits over HTTP; each comes back, by name, with the id of the response it made."""

    def response_ids() -> set[str]:
        with app.extensions["survey_db"].reading() as session:
            return set(session.scalars(select(SurveyResponse.id)))

    answered = {}
    for template in people:
        person = Answered(template.name, template.posted, template.language, template.submit)
        before = response_ids()
        respondent = Respondent(app.test_client(), slug=slug)
        query = "" if person.language == "en" else f"?lang={person.language}"
        response = respondent.start(query)
        assert response.status_code == 302, response.get_data(as_text=True)
        respondent.answer_all(person.posted)
        if person.submit:
            response = respondent.submit()
            assert response.headers["Location"].endswith("/thanks"), person.name
        (person.response_id,) = response_ids() - before
        answered[person.name] = person
    return answered
