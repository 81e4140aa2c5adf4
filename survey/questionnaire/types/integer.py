"""`integer`: a whole number, with `min` and `max` (numbers or expressions such as
"current_year + 2")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import (
    FormData,
    NumberType,
    Path,
    Problem,
    Reader,
    bound,
    first,
    read_bounds,
)

_INTEGER = re.compile(r"^[+-]?\d{1,9}$")


def whole_number(raw: str) -> int | None:
    """`raw` as a whole number of at most nine digits, or None."""
    return int(raw) if _INTEGER.match(raw) else None


class Integer(NumberType):
    name = "integer"
    xlsform_type = "integer"
    keys = frozenset({"min", "max"})
    macro = "integer"

    def build(
        self, reader: Reader, data: Mapping[str, Any], path: Path, position: int
    ) -> dict[str, Any]:
        def whole_or_expression(raw: Any, where: Path) -> Any:
            if isinstance(raw, str):  # "current_year + 2": worked out from earlier answers
                return reader.condition(raw, where, before=position, inclusive=False)
            return reader.integer(raw, where)

        return read_bounds(reader, data, path, whole_or_expression)

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        raw = first(form, question.id).strip()
        if not raw:
            return None, []
        value = whole_number(raw)
        if value is None:
            return None, [Problem(question.id, "integer")]
        low = bound(question.min, answers, today)
        high = bound(question.max, answers, today)
        low = low if isinstance(low, int) else None
        high = high if isinstance(high, int) else None
        if (low is not None and value < low) or (high is not None and value > high):
            return None, [Problem(question.id, "range", {"min": low, "max": high})]
        return value, []

    def message(self, problem: Problem, question: Question, language: str) -> str | None:
        if problem.code == "integer":
            return gettext_in(language, N_("Enter a whole number, like 25."))
        return None


TYPE = Integer()
