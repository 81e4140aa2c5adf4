"""`note`: text shown on the page among the questions (paragraphs separated by a blank line),
with `help` and `relevant` only. It has no answer: nothing to require or check, nothing on the
review page, no export column, and no condition may name it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.questionnaire.columns import Column, QuestionFields
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import FormData, Path, Problem, QuestionType, Reader

# The keys every question may have that mean something only for an answer.
_ANSWER_KEYS = ("required", "required_message", "constraints", "screen_out", "personal")


class Note(QuestionType):
    name = "note"
    xlsform_type = "note"
    macro = "note"
    has_answer = False

    def build(
        self, reader: Reader, data: Mapping[str, Any], path: Path, position: int
    ) -> dict[str, Any]:
        for key in _ANSWER_KEYS:
            if key in data:
                reader.problem((*path, key), f"a note has no answer: {key!r} cannot be used on it")
        return {}

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        return None, []

    def missing(self, question: Question, value: Any) -> list[Problem]:
        return []

    def form_fields(self, question: Question, value: Any) -> dict[str, list[str]]:
        return {}

    def anchors(self, question: Question, answers: Mapping[str, Any]) -> dict[str, str]:
        return {}

    def review(self, question: Question, answers: Mapping[str, Any], language: str) -> list[str]:
        return []

    def columns(self, question: Question, common: QuestionFields) -> list[Column]:
        return []


TYPE = Note()
