"""`geopoint`: a place as latitude and longitude in decimal degrees, typed in two boxes ("2.5"
or "2,5", up to six digits after the point) or filled by the page script from the browser's
location. Both or neither; stored as `{"latitude": ..., "longitude": ...}`; exported as two
columns `<id>_latitude` and `<id>_longitude`; in conditions only `answered(q)`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.columns import SCALE, Column, QuestionFields, in_pattern
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import (
    ANSWERED,
    FormData,
    Problem,
    QuestionType,
    first,
)
from survey.questionnaire.types.decimal import decimals_message, exact_number, shown

# Six digits after the point: about 10 cm, finer than any phone's location.
DECIMALS = 6
# Each coordinate: its name (the key of the answer, the end of its field and column) and its
# largest size in degrees; then the words that name it in messages and column labels.
AXES: tuple[tuple[str, int], ...] = (("latitude", 90), ("longitude", 180))
_NOT_A_NUMBER = {
    "latitude": N_("Enter the latitude in degrees, like 12.34567."),
    "longitude": N_("Enter the longitude in degrees, like -1.23456."),
}
_OUT_OF_RANGE = {
    "latitude": N_("Enter a latitude from -90 to 90."),
    "longitude": N_("Enter a longitude from -180 to 180."),
}
_ONLY_ONE = {
    "latitude": N_("Enter the latitude too, or leave both boxes empty."),
    "longitude": N_("Enter the longitude too, or leave both boxes empty."),
}
_COLUMN_LABEL = {
    "latitude": N_("%(question)s (latitude)"),
    "longitude": N_("%(question)s (longitude)"),
}


def field_of(question: Question, axis: str) -> str:
    """The form field of one coordinate: `<id>__latitude`."""
    return f"{question.id}__{axis}"


class Geopoint(QuestionType):
    name = "geopoint"
    xlsform_type = "geopoint"
    macro = "geopoint"
    compares_as = ANSWERED
    compound = True
    required_message = N_("Enter the latitude and the longitude.")

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        typed = {axis: first(form, field_of(question, axis)).strip() for axis, _ in AXES}
        if not any(typed.values()):
            return None, []
        value: dict[str, float] = {}
        problems: list[Problem] = []
        for axis, largest in AXES:
            field = field_of(question, axis)
            if not typed[axis]:
                problems.append(Problem(field, "only_one"))
                continue
            exact, found = exact_number(field, typed[axis], DECIMALS)
            if exact is not None and abs(exact) > largest:
                found = [Problem(field, "range")]
            problems.extend(found)
            if exact is not None:
                value[axis] = float(exact)
        return (None, problems) if problems else (value, [])

    def form_fields(self, question: Question, value: Any) -> dict[str, list[str]]:
        return {field_of(question, axis): [shown(value[axis])] for axis, _ in AXES}

    def anchors(self, question: Question, answers: Mapping[str, Any]) -> dict[str, str]:
        fields = {field_of(question, axis): f"f-{field_of(question, axis)}" for axis, _ in AXES}
        return {question.id: f"f-{field_of(question, AXES[0][0])}", **fields}

    def message(self, problem: Problem, question: Question, language: str) -> str | None:
        axis = problem.field.rpartition("__")[2]
        words = {"decimal": _NOT_A_NUMBER, "range": _OUT_OF_RANGE, "only_one": _ONLY_ONE}
        if problem.code in words and axis in words[problem.code]:
            return gettext_in(language, words[problem.code][axis])
        if problem.code == "decimals":
            return decimals_message(problem.params["max"], language)
        return None

    def show(self, value: Any, language: str) -> str:
        # Coordinates are written the same way in every language: a point, a comma between.
        return ", ".join(shown(value[axis]) for axis, _ in AXES)

    def columns(self, question: Question, common: QuestionFields) -> list[Column]:
        return [
            Column(
                name=f"{question.id}_{axis}",
                kind=self.name,
                label=in_pattern(question.label, _COLUMN_LABEL[axis]),
                measure=SCALE,
                numeric=True,
                decimals=DECIMALS,
                part=axis,
                **common,
            )
            for axis, _ in AXES
        ]


TYPE = Geopoint()
