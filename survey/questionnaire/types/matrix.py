"""`matrix`: several `rows` answered on one `scale` of coded points (a grid). The answer maps
row codes to scale codes; `required: true` means every row. Scale points marked
`missing: true` ("I don't know") are declared missing values in SPSS and Stata."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.columns import ORDINAL, Column, QuestionFields, joined
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import (
    ROWS,
    FormData,
    Path,
    Problem,
    QuestionType,
    Reader,
    first,
    pick,
)


def row_field(question: Question, row_code: str) -> str:
    """The form field (and export column) of one matrix row."""
    return f"{question.id}__{row_code}"


class Matrix(QuestionType):
    name = "matrix"
    compound = True
    grid = True
    keys = frozenset({"rows", "scale"})
    macro = "matrix"
    compares_as = ROWS
    required_message = N_("Select an answer.")

    def build(
        self, reader: Reader, data: Mapping[str, Any], path: Path, position: int
    ) -> dict[str, Any]:
        return {
            "rows": reader.choices(data.get("rows"), (*path, "rows")),
            "scale": reader.choices(
                data.get("scale"), (*path, "scale"), frozenset({"missing"}), numbered=True
            ),
        }

    def condition_codes(self, question: Question, row: str | None) -> set[Any] | None:
        return {point.code for point in question.scale} if row is not None else None

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        codes = {str(point.code): point.code for point in question.scale}
        value: dict[str, Any] = {}
        problems = []
        for row in question.rows:
            name = row_field(question, str(row.code))
            raw = first(form, name)
            if not raw:
                if question.required:
                    problems.append(Problem(name, "row_required", {"row": row.label}))
                continue
            if raw not in codes:
                problems.append(Problem(name, "choice"))
                continue
            value[str(row.code)] = codes[raw]
        return (value or None), problems

    def missing(self, question: Question, value: Any) -> list[Problem]:
        return []  # each row is required on its own (see read)

    def form_fields(self, question: Question, value: Any) -> dict[str, list[str]]:
        if not isinstance(value, dict):
            return {}
        return {row_field(question, code): [str(point)] for code, point in value.items()}

    def anchors(self, question: Question, answers: Mapping[str, Any]) -> dict[str, str]:
        result = {}
        for row in question.rows:
            name = row_field(question, str(row.code))
            result[name] = f"f-{name}-{question.scale[0].code}"
        result[question.id] = result[row_field(question, str(question.rows[0].code))]
        return result

    def message(self, problem: Problem, question: Question, language: str) -> str | None:
        if problem.code == "row_required":
            message = gettext_in(language, N_("Select an answer for “%(row)s”."))
            return message % {"row": pick(problem.params["row"], language)}
        return None

    def review(self, question: Question, answers: Mapping[str, Any], language: str) -> list[str]:
        value = answers[question.id]
        scale = {point.code: point.label for point in question.scale}
        unanswered = gettext_in(language, N_("Not answered"))
        line = gettext_in(language, N_("%(label)s: %(answer)s"))
        return [
            line
            % {
                "label": pick(row.label, language),
                "answer": pick(scale.get(value.get(str(row.code))), language) or unanswered,
            }
            for row in question.rows
        ]

    def columns(self, question: Question, common: QuestionFields) -> list[Column]:
        value_labels = tuple((point.code, point.label) for point in question.scale)
        return [
            Column(
                name=row_field(question, str(row.code)),
                kind="matrix",
                label=joined(question.label, row.label),
                value_labels=value_labels,
                numbers={point.code: int(point.code) for point in question.scale},
                missing_codes=tuple(int(point.code) for point in question.scale if point.missing),
                measure=ORDINAL,
                numeric=True,
                part=str(row.code),
                **common,
            )
            for row in question.rows
        ]


TYPE = Matrix()
