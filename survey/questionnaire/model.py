"""A questionnaire as immutable objects: sections, questions, choices and their rules.

Built and checked by `survey.questionnaire.schema` from a YAML file; read by everything else.
What a question of each type means (its keys, answers, review lines, export columns) is in
`survey.questionnaire.types`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from survey.deadline_rules import Schedule
from survey.questionnaire.conditions import Condition

Text = Mapping[str, str]
# A bound of a number or date question: a number, an ISO date, or an expression
# ("current_year + 2") worked out from earlier answers.
Bound = int | float | str | Condition | None


@dataclass(frozen=True)
class Choice:
    code: str | int
    label: Text
    number: int
    other: bool = False
    exclusive: bool = False
    missing: bool = False
    # Cascading choices: offered only when the question's `filter_by` was answered with this.
    parent: str | None = None


@dataclass(frozen=True)
class Cascade:
    """A choice list that follows an earlier single-choice answer (`filter_by`)."""

    question_id: str
    section_id: str  # where that question is asked
    parents: tuple[Choice, ...]  # its choices: the groups shown when there is no page script


@dataclass(frozen=True)
class Constraint:
    check: Condition
    message: Text


@dataclass(frozen=True)
class ScreenOut:
    when: Condition
    message: Text


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Text
    section_id: str
    help: Text | None = None
    required: bool = False
    relevant: Condition | None = None
    constraints: tuple[Constraint, ...] = ()
    screen_out: ScreenOut | None = None
    personal: bool = False
    choices: tuple[Choice, ...] = ()
    max_choices: int | None = None
    rows: tuple[Choice, ...] = ()
    scale: tuple[Choice, ...] = ()
    min: Bound = None
    max: Bound = None
    min_label: Text | None = None
    max_label: Text | None = None
    max_length: int | None = None
    decimals: int | None = None
    required_message: Text | None = None
    calculation: Condition | None = None  # a `calculate` question's expression
    cascade: Cascade | None = None  # from `filter_by`: cascading choices

    @property
    def other_field(self) -> str:
        return f"{self.id}_other"

    def choice(self, code: Any) -> Choice | None:
        return next((item for item in self.choices if item.code == code), None)

    def offered(self, answers: Mapping[str, Any]) -> tuple[Choice, ...]:
        """The choices offered for these answers: with `filter_by`, those whose parent is its
        answer and those without a parent."""
        if self.cascade is None:
            return self.choices
        parent = answers.get(self.cascade.question_id)
        return tuple(item for item in self.choices if item.parent in (None, parent))

    def codes(self) -> list[str | int]:
        """The codes an answer can take: the scale points of a matrix, else the choices."""
        return [item.code for item in (self.scale if self.rows else self.choices)]

    @property
    def other_choices(self) -> tuple[Choice, ...]:
        return tuple(item for item in self.choices if item.other)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    questions: tuple[Question, ...]
    intro: Text | None = None
    relevant: Condition | None = None

    @functools.cached_property
    def keys(self) -> frozenset[str]:
        """The answer keys its questions write: each one's id and "other" field."""
        return frozenset(
            key for question in self.questions for key in (question.id, question.other_field)
        )


@dataclass(frozen=True)
class AnswerKeys:
    """A questionnaire's answer keys: each one's section, and those of personal questions."""

    sections: Mapping[str, str]
    personal: frozenset[str]


SPEEDER_FRACTION = 0.4  # `analysis: speeder_fraction` when a questionnaire does not set it


@dataclass(frozen=True)
class Questionnaire:
    slug: str
    languages: tuple[str, ...]
    title: Text
    intro: Text
    schedule: Schedule
    consent_version: str
    consent_label: Text
    sections: tuple[Section, ...]
    short_title: Text | None = None
    # From `analysis`: the question that gives a response's country (export filter, dashboard)
    # and the choice questions the dashboard counts; see questionnaires/FORMAT.md.
    country_question: str | None = None
    breakdowns: tuple[str, ...] = ()
    # A complete response faster than this share of the median is flagged a speeder (see
    # survey.questionnaire.quality); the survey's newest version sets it.
    speeder_fraction: float = SPEEDER_FRACTION
    _questions: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> Text:
        """The short title where there is one (page titles, header), else the title."""
        return self.short_title or self.title

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    @functools.cached_property
    def answer_keys(self) -> AnswerKeys:
        """Where each answer's key (a question's id, or its "other" field) is stored: worked out
        once, where every save looked through all the questions again."""
        sections: dict[str, str] = {}
        personal: set[str] = set()
        for question in self.questions():
            for key in (question.id, question.other_field):
                sections[key] = question.section_id
            if question.personal:
                personal.add(question.id)
        return AnswerKeys(sections, frozenset(personal))

    def has_question(self, question_id: str) -> bool:
        return question_id in self._questions

    def question(self, question_id: str) -> Question:
        return self._questions[question_id]

    def section(self, section_id: str) -> Section | None:
        return next((item for item in self.sections if item.id == section_id), None)
