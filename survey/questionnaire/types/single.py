"""`single`: one of the `choices` (radio buttons)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.questionnaire.columns import Column, QuestionFields
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import FormData, Problem, first
from survey.questionnaire.types.choices import ChoiceType, read_other


class Single(ChoiceType):
    name = "single"
    xlsform_type = "select_one"
    macro = "single"

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        raw = first(form, question.id)
        if not raw:
            return None, []
        choice = question.choice(raw)
        if choice is None or choice not in question.offered(answers):
            return None, [Problem(question.id, "choice")]
        return choice.code, read_other(question, form, [choice.code])

    def choice_columns(self, question: Question, common: QuestionFields) -> list[Column]:
        return [
            Column(
                name=question.id,
                kind=self.name,
                label=question.label,
                value_labels=tuple((choice.code, choice.label) for choice in question.choices),
                numbers={choice.code: choice.number for choice in question.choices},
                **common,
            )
        ]


TYPE = Single()
