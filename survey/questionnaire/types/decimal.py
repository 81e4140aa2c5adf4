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


def exact_number(field: str, raw: str, places: int) -> tuple[Decimal | None, list[Problem]]:
    """`raw` ("2.5" or "2,5", trimmed) as an exact number with at most `places` digits after
    the point, or None and the problem with it."""
    match = _DECIMAL.match(raw)
    if match is None:
        return None, [Problem(field, "decimal")]
    if len(match.group(3) or "") > places:
        return None, [Problem(field, "decimals", {"max": places})]
    try:
        return Decimal(raw.replace(",", ".")), []
    except InvalidOperation:
        return None, [Problem(field, "decimal")]


def decimals_message(count: int, language: str) -> str:
    """ "Use at most 2 digits after the decimal point.", in `language`."""
    return ngettext_in(
        language,
        "Use at most %(num)s digit after the decimal point.",
        "Use at most %(num)s digits after the decimal point.",
        count,
    ) % {"num": count}


class DecimalNumber(NumberType):
    name = "decimal"
    xlsform_type = "decimal"
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
        exact, problems = exact_number(question.id, raw, question.decimals or DEFAULT_DECIMALS)
        if exact is None:
            return None, problems
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
            return decimals_message(problem.params["max"], language)
        return None


TYPE = DecimalNumber()
