"""`decimal`: a number with a fractional part, with `min`, `max` and `decimals` (how many
digits after the decimal point an answer may have; default 2). People may write the decimal
point as a point or a comma ("2.5", "2,5"); the answer is stored as a number."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from survey.message_catalogs import N_, gettext_in, ngettext_in
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import (
    FormData,
    NumberType,
    Path,
    Problem,
    Reader,
    first,
    number_text,
    read_bounds,
)

DEFAULT_DECIMALS = 2
MAX_DECIMALS = 6
# At most 12 digits before the point: beyond that a float no longer holds every digit.
_DECIMAL = re.compile(r"^[+-]?(\d{1,12})([.,](\d+))?$")


def shown(value: float | int) -> str:
    """A stored decimal as written back into the form: no exponent and no trailing zeros
    ("2.5", "1000000")."""
    return format(Decimal(str(value)).normalize(), "f")


class DecimalNumber(NumberType):
    name = "decimal"
    keys = frozenset({"min", "max", "decimals"})
    macro = "decimal"

    def build(
        self, reader: Reader, data: Mapping[str, Any], path: Path, position: int
    ) -> dict[str, Any]:
        def number(raw: Any, where: Path) -> Any:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                reader.problem(where, f"must be a number, not {raw!r}")
                return None
            return raw

        values = read_bounds(reader, data, path, number)
        decimals = reader.integer(data.get("decimals", DEFAULT_DECIMALS), (*path, "decimals"))
        if decimals is not None and not 1 <= decimals <= MAX_DECIMALS:
            reader.problem((*path, "decimals"), f"must be from 1 to {MAX_DECIMALS}")
        values["decimals"] = decimals
        return values

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        raw = first(form, question.id).strip()
        if not raw:
            return None, []
        match = _DECIMAL.match(raw)
        if match is None:
            return None, [Problem(question.id, "decimal")]
        places = len(match.group(3) or "")
        allowed = question.decimals or DEFAULT_DECIMALS
        if places > allowed:
            return None, [Problem(question.id, "decimals", {"max": allowed})]
        try:
            exact = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            return None, [Problem(question.id, "decimal")]
        low, high = question.min, question.max
        if (isinstance(low, int | float) and exact < Decimal(str(low))) or (
            isinstance(high, int | float) and exact > Decimal(str(high))
        ):
            return None, [Problem(question.id, "range", {"min": low, "max": high})]
        return float(exact), []

    def form_fields(self, question: Question, value: Any) -> dict[str, list[str]]:
        return {question.id: [shown(value)]}

    def show(self, value: Any, language: str) -> str:
        return number_text(Decimal(str(value)), language)

    def message(self, problem: Problem, question: Question, language: str) -> str | None:
        if problem.code == "decimal":
            return gettext_in(language, N_("Enter a number, like 2.5."))
        if problem.code == "decimals":
            count = problem.params["max"]
            return ngettext_in(
                language,
                "Use at most %(num)s digit after the decimal point.",
                "Use at most %(num)s digits after the decimal point.",
                count,
            ) % {"num": count}
        return None


TYPE = DecimalNumber()
