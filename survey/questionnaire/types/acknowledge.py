"""`acknowledge`: one tick box whose label is the question ("I have read the above"). Ticked,
the answer is 1; unticked, there is none, so `required: true` means it must be ticked. In
conditions it is a number: `answered(q)` or `q == 1`. Exported as one column, 1 or empty."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.columns import Column, QuestionFields
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import NUMBER, FormData, Problem, QuestionType, first

TICKED = 1
YES = N_("Yes")


class Acknowledge(QuestionType):
    name = "acknowledge"
    xlsform_type = "acknowledge"
    macro = "acknowledge"
    compares_as = NUMBER
    required_message = N_("Tick the box to continue.")

    def valid_literal(self, value: Any) -> bool:
        # An unticked box has no answer, so only 1 can ever match.
        return value == TICKED and not isinstance(value, bool)

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        raw = first(form, question.id)
        if not raw:
            return None, []
        if raw != str(TICKED):
            return None, [Problem(question.id, "choice")]
        return TICKED, []

    def show(self, value: Any, language: str) -> str:
        return gettext_in(language, YES)

    def columns(self, question: Question, common: QuestionFields) -> list[Column]:
        return [
            Column(
                name=question.id,
                kind=self.name,
                label=question.label,
                value_labels=((TICKED, {"en": YES}),),
                numbers={TICKED: TICKED},
                numeric=True,
                boolean=True,  # 1 in every mode, as a choice's 0/1 column; "Yes" translated
                **common,
            )
        ]


TYPE = Acknowledge()
