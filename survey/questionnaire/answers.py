"""Read one section's submitted form into typed answers, with every problem found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from survey.questionnaire.flow import other_selected, question_applies, screens_out
from survey.questionnaire.model import Question, ScreenOut, Section
from survey.questionnaire.types import TYPES, type_of
from survey.questionnaire.types.base import FormData, Problem, first

__all__ = ["FormData", "Problem", "SectionResult", "form_values", "is_field_of", "read_section"]


@dataclass
class SectionResult:
    values: dict[str, Any]
    problems: list[Problem]
    screened_out: ScreenOut | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def read_section(
    section: Section, form: FormData, answers: Mapping[str, Any], today: date
) -> SectionResult:
    """Parse and validate a section; `answers` holds what other sections already saved.

    A screen-out rule is decided first, so a person who is screened out is never asked to
    complete the rest of the section.
    """
    screened = _screen_out(section, form, answers, today)
    if screened is not None:
        return screened
    working = dict(answers)
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for question in section.questions:
        if not question_applies(question, working, today):
            working.pop(question.id, None)
            continue
        value, found = _read_question(question, form, working, today)
        problems.extend(found)
        if found:
            continue
        values[question.id] = value
        working[question.id] = value
        if question.other_choices and value is not None and other_selected(question, value):
            values[question.other_field] = first(form, question.other_field).strip()
            working[question.other_field] = values[question.other_field]
        problems.extend(_check_constraints(question, working, today))
    return SectionResult(values, problems)


def _screen_out(
    section: Section, form: FormData, answers: Mapping[str, Any], today: date
) -> SectionResult | None:
    working = dict(answers)
    values: dict[str, Any] = {}
    for question in section.questions:
        if not question_applies(question, working, today):
            continue
        value, found = _read_question(question, form, working, today)
        if not found and value is not None:
            values[question.id] = value
            working[question.id] = value
        if not found and screens_out(question, working, today):
            return SectionResult(values, [], screened_out=question.screen_out)
    return None


def _check_constraints(
    question: Question, answers: Mapping[str, Any], today: date
) -> list[Problem]:
    problems = []
    for constraint in question.constraints:
        named = constraint.check.question_ids()
        if any(answers.get(name) in (None, "", []) for name in named):
            continue
        if not constraint.check.evaluate(answers, today):
            problems.append(Problem(question.id, "constraint", text=constraint.message))
    return problems


def _read_question(
    question: Question, form: FormData, answers: Mapping[str, Any], today: date
) -> tuple[Any, list[Problem]]:
    kind = TYPES[question.type]
    value, problems = kind.read(question, form, answers, today)
    if problems:
        return None, problems
    if question.required:
        missing = kind.missing(question, value)
        if missing and question.required_message is not None:
            missing = [replace(item, text=question.required_message) for item in missing]
        if missing:
            return None, missing
    return value, []


def form_values(section: Section, answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Saved answers as the form fields that would produce them (to fill a section's form)."""
    form: dict[str, list[str]] = {}
    for question in section.questions:
        value = answers.get(question.id)
        if value is None:
            continue
        form.update(type_of(question).form_fields(question, value))
        other = answers.get(question.other_field)
        if other is not None:
            form[question.other_field] = [str(other)]
    return form


def is_field_of(section: Section, name: str) -> bool:
    """Whether a form field named `name` belongs to a question of `section`: the question's
    own field, a part of it (`<question>__<row>`, a place's `<question>__<axis>`) or its
    "Please specify" box."""
    question_id = name.partition("__")[0]
    return any(name == item.other_field or question_id == item.id for item in section.questions)
