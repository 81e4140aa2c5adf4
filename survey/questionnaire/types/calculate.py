"""`calculate`: a derived variable, worked out on the server from earlier answers with the same
evaluator as conditions (`calculation`), never asked, exported like an answer.

Its column is numeric when the expression gives numbers (arithmetic, counts, numbers and text
that holds numbers, number questions), else text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.columns import SCALE, Column, QuestionFields
from survey.questionnaire.conditions import (
    Arith,
    Call,
    Condition,
    IfElse,
    Literal,
    Node,
    Ref,
)
from survey.questionnaire.model import Question, Text
from survey.questionnaire.types.base import NUMBER, FormData, Path, Problem, QuestionType, Reader

# Digits after the point in typed exports of a calculation that may give fractions (SPSS and
# Stata formats; values keep every digit); one that gives whole numbers has none.
DECIMALS = 4
# TRANSLATORS: how the codebook names a calculated variable that has no label of its own:
# by its rule, e.g. "Calculated: size - adults".
RULE_LABEL = N_("Calculated: %(rule)s")
# A text result longer than this is cut, as a text answer would be refused.
MAX_TEXT = 2000


def value_of(question: Question, answers: Mapping[str, Any], today: date) -> Any:
    """The calculation's result for these answers, as stored: a number when the column is
    numeric, else text; None when it has no value."""
    assert question.calculation is not None
    result = question.calculation.value(answers, today)
    if result is None or result == "":
        return None
    if isinstance(result, bool):  # a comparison: 1 or 0
        result = int(result)
    if question.decimals is not None:  # numeric
        number = _as_number(result)
        if number is None:
            return None
        return int(number) if float(number).is_integer() and abs(number) < 2**53 else number
    if isinstance(result, float) and result.is_integer():
        result = int(result)
    return str(result)[:MAX_TEXT]


def _as_number(value: Any) -> float | int | None:
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def gives_number(node: Node, questions: Mapping[str, Question]) -> bool:
    """Whether an expression always gives a number (or nothing)."""
    match node:
        case Literal(value):
            return _as_number(value) is not None
        case Arith() | Call("count_selected" | "string_length", _):
            return True
        case IfElse(_, then, otherwise):
            return gives_number(then, questions) and gives_number(otherwise, questions)
        case Ref(name, None) if name in questions:
            question = questions[name]
            if question.calculation is not None:
                return question.decimals is not None
            from survey.questionnaire.types import type_of  # the registry imports this module

            return type_of(question).compares_as == NUMBER
        case Ref("current_year", None):
            return True
    return False


class Calculate(QuestionType):
    name = "calculate"
    xlsform_type = "calculate"
    keys = frozenset({"calculation"})
    macro = "calculate"
    asked = False

    def build(
        self, reader: Reader, data: Mapping[str, Any], path: Path, position: int
    ) -> dict[str, Any]:
        calculation = reader.condition(
            data.get("calculation"), (*path, "calculation"), before=position, inclusive=False
        )
        if data.get("calculation") is None:
            reader.problem(path, "a calculate question needs a `calculation`")
        if data.get("required"):
            reader.problem((*path, "required"), "a calculation is never asked, so never required")
        if calculation is None:
            return {"calculation": None, "decimals": None}
        questions = {
            name: question
            for name in calculation.question_ids()
            # Checked as asked before it when the calculation was read: no new problem here.
            if (question := reader.earlier_question(name, path, position)) is not None
        }
        decimals = None
        if gives_number(calculation.tree, questions):
            decimals = 0 if _whole(calculation.tree, questions) else DECIMALS
        return {"calculation": calculation, "decimals": decimals}

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        return value_of(question, answers, today), []

    def review(self, question: Question, answers: Mapping[str, Any], language: str) -> list[str]:
        return []

    def columns(self, question: Question, common: QuestionFields) -> list[Column]:
        numeric = question.decimals is not None
        assert question.calculation is not None
        return [
            Column(
                name=question.id,
                kind=self.name,
                label=question.label or _rule_label(question.calculation),
                measure=SCALE if numeric else "nominal",
                numeric=numeric,
                decimals=question.decimals or 0,
                **common,
            )
        ]


def _rule_label(calculation: Condition) -> Text:
    """A calculation without a label, as the codebook names it: by its rule, in each language
    of the interface."""
    from survey.message_catalogs import catalog_paths, language_of

    languages = {"en", *(language_of(path) for path in catalog_paths())}
    return {
        language: gettext_in(language, RULE_LABEL) % {"rule": calculation.source}
        for language in sorted(languages)
    }


def _whole(node: Node, questions: Mapping[str, Question]) -> bool:
    """Whether an expression that gives a number always gives a whole one."""
    match node:
        case Literal(value):
            number = _as_number(value)
            return number is not None and float(number).is_integer()
        case Arith(op, left, right):
            return op != "/" and _whole(left, questions) and _whole(right, questions)
        case Call("count_selected" | "string_length", _) | Ref("current_year", None):
            return True
        case IfElse(_, then, otherwise):
            return _whole(then, questions) and _whole(otherwise, questions)
        case Ref(name, None) if name in questions:
            question = questions[name]
            if question.calculation is not None:
                return question.decimals == 0
            from survey.questionnaire.types import type_of  # the registry imports this module

            return type_of(question).compares_as == NUMBER and not question.decimals
    return False


TYPE = Calculate()
