"""Which sections and questions apply to a response, and how a person moves between them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.questionnaire.model import Question, Questionnaire, Section

Answers = Mapping[str, Any]


def section_applies(section: Section, answers: Answers, today: date) -> bool:
    return section.relevant is None or section.relevant.evaluate(answers, today)


def question_applies(question: Question, answers: Answers, today: date) -> bool:
    return question.relevant is None or question.relevant.evaluate(answers, today)


def applicable_sections(
    questionnaire: Questionnaire, answers: Answers, today: date
) -> list[Section]:
    """The sections that apply given the answers so far, in order."""
    return [
        section for section in questionnaire.sections if section_applies(section, answers, today)
    ]


def screens_out(question: Question, answers: Answers, today: date) -> bool:
    """Whether the question's screen-out rule holds for these answers: the response ends there."""
    return question.screen_out is not None and question.screen_out.when.evaluate(answers, today)


def position(
    questionnaire: Questionnaire, answers: Answers, section_id: str, today: date
) -> tuple[int, int]:
    """(k, n) for "Section k of n", counting only sections that apply so far."""
    ids = [item.id for item in applicable_sections(questionnaire, answers, today)]
    return (ids.index(section_id) + 1 if section_id in ids else 0), len(ids)


def next_section(
    questionnaire: Questionnaire, answers: Answers, section_id: str, today: date
) -> Section | None:
    """The applicable section after `section_id`, or None when the review comes next."""
    ids = [item.id for item in questionnaire.sections]
    after = ids.index(section_id) + 1
    for section in questionnaire.sections[after:]:
        if section_applies(section, answers, today):
            return section
    return None


def previous_section(
    questionnaire: Questionnaire, answers: Answers, section_id: str, today: date
) -> Section | None:
    """The applicable section before `section_id`, or None on the first one."""
    ids = [item.id for item in questionnaire.sections]
    before = ids.index(section_id)
    for section in reversed(questionnaire.sections[:before]):
        if section_applies(section, answers, today):
            return section
    return None


def first_incomplete(
    questionnaire: Questionnaire, answers: Answers, completed: set[str], today: date
) -> Section | None:
    """The first applicable section not yet saved, or None when all are done."""
    for section in applicable_sections(questionnaire, answers, today):
        if section.id not in completed:
            return section
    return None


def prune(questionnaire: Questionnaire, answers: Answers, today: date) -> dict[str, Any]:
    """Only the answers that still apply, with every calculation worked out again from them,
    and of a choice list that follows an earlier answer only the choices it still offers:
    conditions, calculations and lists refer backwards, so one pass suffices."""
    from survey.questionnaire.types.calculate import value_of  # the types import this module

    kept: dict[str, Any] = {}
    for section in questionnaire.sections:
        if not section_applies(section, kept, today):
            continue
        for question in section.questions:
            if question.calculation is not None and question_applies(question, kept, today):
                value = value_of(question, kept, today)
                if value is not None:
                    kept[question.id] = value
                continue
            if question.id not in answers or not question_applies(question, kept, today):
                continue
            value = still_offered(question, answers[question.id], kept)
            if value is None:
                continue
            kept[question.id] = value
            other = answers.get(question.other_field)
            if other is not None and other_selected(question, value):
                kept[question.other_field] = other
    return kept


def still_offered(question: Question, value: Any, answers: Answers) -> Any:
    """An answer without the choices its list no longer offers (the earlier answer it follows
    changed); None when nothing is left."""
    if question.cascade is None:
        return value
    offered = {choice.code for choice in question.offered(answers)}
    if isinstance(value, list):
        return [code for code in value if code in offered] or None
    return value if value in offered else None


def changed_lists(
    questionnaire: Questionnaire, answers: Answers, kept: Answers, today: date
) -> set[str]:
    """The sections whose choice lists lost picks when `answers` became `kept` because the
    earlier answer they follow changed: to be answered again."""
    return {
        question.section_id
        for question in questionnaire.questions()
        if question.cascade is not None
        and question.id in answers
        and kept.get(question.id) != answers[question.id]
        and question_applies(question, kept, today)
    }


def other_selected(question: Question, value: Any) -> bool:
    """Whether an answer picks a choice that carries a "Please specify" text."""
    codes = value if isinstance(value, list) else [value]
    return any(choice.code in codes for choice in question.other_choices)
