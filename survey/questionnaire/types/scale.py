"""`scale`: one point from `min` to `max` (whole numbers), with labels at both ends."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.message_catalogs import N_
from survey.questionnaire.columns import ORDINAL
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import (
    FormData,
    NumberType,
    Path,
    Problem,
    Reader,
    first,
    read_bounds,
)
from survey.questionnaire.types.integer import whole_number


class Scale(NumberType):
    name = "scale"
    xlsform_type = "range"
    keys = frozenset({"min", "max", "min_label", "max_label"})
    macro = "scale"
    measure = ORDINAL
    required_message = N_("Select an answer.")

    def build(
        self, reader: Reader, data: Mapping[str, Any], path: Path, position: int
    ) -> dict[str, Any]:
        values = read_bounds(reader, data, path, reader.integer)
        for key in ("min", "max"):
            if data.get(key) is None:
                reader.problem(path, f"a scale needs {key!r}")
        values["min_label"] = reader.text(data.get("min_label"), (*path, "min_label"), False)
        values["max_label"] = reader.text(data.get("max_label"), (*path, "max_label"), False)
        return values

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        raw = first(form, question.id).strip()
        if not raw:
            return None, []
        low, high = question.min, question.max
        value = whole_number(raw)
        if value is None or not (
            isinstance(low, int) and isinstance(high, int) and low <= value <= high
        ):
            return None, [Problem(question.id, "range", {"min": low, "max": high})]
        return value, []

    def anchors(self, question: Question, answers: Mapping[str, Any]) -> dict[str, str]:
        return {question.id: f"f-{question.id}-{question.min}"}


TYPE = Scale()
