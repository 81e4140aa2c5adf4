"""`date`: a calendar day, with `min` and `max` (ISO dates, "2000-01-01"). The page shows the
browser's date picker where it has one and a plain text box for YYYY-MM-DD elsewhere; the answer
is stored, compared in conditions and exported as an ISO date."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from babel.dates import format_date

from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import (
    DATE,
    FormData,
    Path,
    Problem,
    QuestionType,
    Reader,
    first,
    read_bounds,
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(value: Any) -> datetime.date | None:
    """An ISO date ("2001-03-28", or a date YAML read as one), or None."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None


def long_date(value: str, language: str) -> str:
    """An ISO date as `language` writes it in full ("28 March 2001", "28 mars 2001")."""
    day = parse_date(value)
    if day is None:
        return value
    # TRANSLATORS: a date as a CLDR pattern: d day, MMMM month name, y year; words in single
    # quotes, e.g. "d 'de' MMMM 'de' y".
    return str(format_date(day, gettext_in(language, N_("d MMMM y")), locale=language))


class Date(QuestionType):
    name = "date"
    xlsform_type = "date"
    keys = frozenset({"min", "max"})
    macro = "date"
    compares_as = DATE

    def build(
        self, reader: Reader, data: Mapping[str, Any], path: Path, position: int
    ) -> dict[str, Any]:
        def iso_date(raw: Any, where: Path) -> str | None:
            day = parse_date(raw)
            if day is None:
                reader.problem(where, f"must be a date as YYYY-MM-DD, not {raw!r}")
            return day.isoformat() if day else None

        return read_bounds(reader, data, path, iso_date, order="must not be before min")

    def valid_literal(self, value: Any) -> bool:
        return parse_date(value) is not None

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        raw = first(form, question.id).strip()
        if not raw:
            return None, []
        day = parse_date(raw)
        if day is None:
            return None, [Problem(question.id, "date")]
        value = day.isoformat()
        low, high = question.min, question.max
        if (isinstance(low, str) and value < low) or (isinstance(high, str) and value > high):
            return None, [Problem(question.id, "date_range", {"min": low, "max": high})]
        return value, []

    def show(self, value: Any, language: str) -> str:
        return long_date(str(value), language)

    def message(self, problem: Problem, question: Question, language: str) -> str | None:
        if problem.code == "date":
            return gettext_in(language, N_("Enter a date as year-month-day, like 2001-03-28."))
        if problem.code != "date_range":
            return None
        low, high = problem.params.get("min"), problem.params.get("max")
        if low and high:
            message = gettext_in(language, N_("Enter a date from %(min)s to %(max)s."))
            return message % {"min": long_date(low, language), "max": long_date(high, language)}
        if low:
            message = gettext_in(language, N_("Enter a date on or after %(min)s."))
            return message % {"min": long_date(low, language)}
        message = gettext_in(language, N_("Enter a date on or before %(max)s."))
        return message % {"max": long_date(str(high), language)}


TYPE = Date()
