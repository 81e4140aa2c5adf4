"""`text` (one line) and `long_text` (paragraphs), with `max_length` (default 200 and 2000)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.questionnaire.model import Question
from survey.questionnaire.types.base import (
    FormData,
    Path,
    Problem,
    QuestionType,
    Reader,
    first,
    unsafe,
)


class Text(QuestionType):
    name = "text"
    xlsform_type = "text"
    keys = frozenset({"max_length"})
    macro = "text"
    default_max_length = 200
    lines = False  # whether newlines and tabs may stand in an answer

    def build(
        self, reader: Reader, data: Mapping[str, Any], path: Path, position: int
    ) -> dict[str, Any]:
        length = reader.integer(
            data.get("max_length", self.default_max_length), (*path, "max_length")
        )
        if length is not None and length < 1:
            reader.problem((*path, "max_length"), "must be at least 1")
        return {"max_length": length}

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        raw = first(form, question.id).replace("\r\n", "\n").strip()
        if not raw:
            return None, []
        if question.max_length is not None and len(raw) > question.max_length:
            return None, [Problem(question.id, "too_long", {"max": question.max_length})]
        problems = unsafe(question.id, raw, lines=self.lines)
        return (None if problems else raw), problems


class LongText(Text):
    name = "long_text"
    xlsform_type = "text"
    macro = "long_text"
    default_max_length = 2000
    lines = True
    xlsform_appearance = "multiline"


TYPE = Text()
LONG_TYPE = LongText()
