"""Read one section's submitted form into typed answers, with every problem found."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from survey.questionnaire.conditions import Condition
from survey.questionnaire.countries import COUNTRY_CODES
from survey.questionnaire.flow import other_selected, question_applies
from survey.questionnaire.schema import OTHER_MAX_LENGTH, Question, ScreenOut, Section, Text

FormData = Mapping[str, Sequence[str]]
_INTEGER = re.compile(r"^[+-]?\d{1,9}$")
# Characters a text answer may not hold: control characters (NUL cuts text short in SPSS and
# Stata files, others garble a CSV or a terminal) and the bidirectional overrides and isolates
# that make text read differently from what is stored. Long text keeps newlines and tabs.
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")
_UNSAFE_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")


def _unsafe(field_name: str, text: str, *, lines: bool) -> list[Problem]:
    """A problem if `text` holds a character no answer may hold (`lines`: newlines and tabs
    are allowed)."""
    pattern = _UNSAFE_TEXT if lines else _UNSAFE_LINE
    return [Problem(field_name, "characters")] if pattern.search(text) else []


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one form field; `code` picks the message, `params` fill it in."""

    field: str
    code: str
    # dataclasses.field in full: this class has a field named `field`.
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    text: Text | None = None  # a message written in the questionnaire file


@dataclass
class SectionResult:
    values: dict[str, Any]
    problems: list[Problem]
    screened_out: ScreenOut | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def matrix_field(question: Question, row_code: str) -> str:
    """The form field (and export column) of one matrix row."""
    return f"{question.id}__{row_code}"


def read_section(
    section: Section, form: FormData, answers: Mapping[str, Any], current_year: int
) -> SectionResult:
    """Parse and validate a section; `answers` holds what other sections already saved.

    A screen-out rule is decided first, so a person who is screened out is never asked to
    complete the rest of the section.
    """
    screened = _screen_out(section, form, answers, current_year)
    if screened is not None:
        return screened
    working = dict(answers)
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for question in section.questions:
        if not question_applies(question, working, current_year):
            working.pop(question.id, None)
            continue
        value, found = _read_question(question, form, working, current_year)
        problems.extend(found)
        if found:
            continue
        values[question.id] = value
        working[question.id] = value
        if question.other_choices and value is not None and other_selected(question, value):
            values[question.other_field] = _first(form, question.other_field).strip()
            working[question.other_field] = values[question.other_field]
        problems.extend(_check_constraints(question, working, current_year))
    return SectionResult(values, problems)


def _screen_out(
    section: Section, form: FormData, answers: Mapping[str, Any], current_year: int
) -> SectionResult | None:
    working = dict(answers)
    values: dict[str, Any] = {}
    for question in section.questions:
        if not question_applies(question, working, current_year):
            continue
        value, found = _read_question(question, form, working, current_year)
        if not found and value is not None:
            values[question.id] = value
            working[question.id] = value
        if (
            question.screen_out
            and not found
            and question.screen_out.when.evaluate(working, current_year)
        ):
            return SectionResult(values, [], screened_out=question.screen_out)
    return None


def _check_constraints(
    question: Question, answers: Mapping[str, Any], current_year: int
) -> list[Problem]:
    problems = []
    for constraint in question.constraints:
        named = constraint.check.question_ids()
        if any(answers.get(name) in (None, "", []) for name in named):
            continue
        if not constraint.check.evaluate(answers, current_year):
            problems.append(Problem(question.id, "constraint", text=constraint.message))
    return problems


def _first(form: FormData, name: str) -> str:
    values = form.get(name) or []
    return values[0] if values else ""


def _read_question(
    question: Question, form: FormData, answers: Mapping[str, Any], current_year: int
) -> tuple[Any, list[Problem]]:
    reader = _READERS[question.type]
    value, problems = reader(question, form, answers, current_year)
    if problems:
        return None, problems
    if question.required and value in (None, "", []) and question.type != "matrix":
        return None, [Problem(question.id, "required")]
    return value, []


def _bound(limit: int | Condition | None, answers: Mapping[str, Any], year: int) -> int | None:
    if isinstance(limit, Condition):
        value = limit.value(answers, year)
        return value if isinstance(value, int) else None
    return limit


def _read_integer(
    question: Question, form: FormData, answers: Mapping[str, Any], current_year: int
) -> tuple[Any, list[Problem]]:
    raw = _first(form, question.id).strip()
    if not raw:
        return None, []
    if not _INTEGER.match(raw):
        return None, [Problem(question.id, "integer")]
    value = int(raw)
    low = _bound(question.min, answers, current_year)
    high = _bound(question.max, answers, current_year)
    if (low is not None and value < low) or (high is not None and value > high):
        return None, [Problem(question.id, "range", {"min": low, "max": high})]
    return value, []


def _read_single(
    question: Question, form: FormData, answers: Mapping[str, Any], current_year: int
) -> tuple[Any, list[Problem]]:
    raw = _first(form, question.id)
    if not raw:
        return None, []
    choice = question.choice(raw)
    if choice is None:
        return None, [Problem(question.id, "choice")]
    return choice.code, _read_other(question, form, [choice.code])


def _read_multiple(
    question: Question, form: FormData, answers: Mapping[str, Any], current_year: int
) -> tuple[Any, list[Problem]]:
    picked = set(form.get(question.id) or [])
    if not picked:
        return [], []
    known = [choice.code for choice in question.choices]
    if not picked <= set(known):
        return None, [Problem(question.id, "choice")]
    codes = [code for code in known if code in picked]  # questionnaire order
    for choice in question.choices:
        if choice.exclusive and choice.code in picked and len(picked) > 1:
            return None, [Problem(question.id, "exclusive", {"label": choice.label})]
    if question.max_choices is not None and len(codes) > question.max_choices:
        return None, [Problem(question.id, "max_choices", {"max": question.max_choices})]
    return codes, _read_other(question, form, codes)


def _read_other(question: Question, form: FormData, codes: list[Any]) -> list[Problem]:
    if not other_selected(question, codes):
        return []
    text = _first(form, question.other_field).strip()
    if not text:
        return [Problem(question.other_field, "other_required")]
    if len(text) > OTHER_MAX_LENGTH:
        return [Problem(question.other_field, "too_long", {"max": OTHER_MAX_LENGTH})]
    return _unsafe(question.other_field, text, lines=False)


def _read_country(
    question: Question, form: FormData, answers: Mapping[str, Any], current_year: int
) -> tuple[Any, list[Problem]]:
    raw = _first(form, question.id).strip().upper()
    if not raw:
        return None, []
    if raw not in COUNTRY_CODES:
        return None, [Problem(question.id, "country")]
    return raw, []


def _read_matrix(
    question: Question, form: FormData, answers: Mapping[str, Any], current_year: int
) -> tuple[Any, list[Problem]]:
    codes = {str(point.code): point.code for point in question.scale}
    value: dict[str, Any] = {}
    problems = []
    for row in question.rows:
        name = matrix_field(question, str(row.code))
        raw = _first(form, name)
        if not raw:
            if question.required:
                problems.append(Problem(name, "row_required", {"row": row.label}))
            continue
        if raw not in codes:
            problems.append(Problem(name, "choice"))
            continue
        value[str(row.code)] = codes[raw]
    return (value or None), problems


def _read_scale(
    question: Question, form: FormData, answers: Mapping[str, Any], current_year: int
) -> tuple[Any, list[Problem]]:
    raw = _first(form, question.id).strip()
    if not raw:
        return None, []
    low, high = question.min, question.max
    if not _INTEGER.match(raw) or not (
        isinstance(low, int) and isinstance(high, int) and low <= int(raw) <= high
    ):
        return None, [Problem(question.id, "range", {"min": low, "max": high})]
    return int(raw), []


def _read_text(
    question: Question, form: FormData, answers: Mapping[str, Any], current_year: int
) -> tuple[Any, list[Problem]]:
    raw = _first(form, question.id).replace("\r\n", "\n").strip()
    if not raw:
        return None, []
    if question.max_length is not None and len(raw) > question.max_length:
        return None, [Problem(question.id, "too_long", {"max": question.max_length})]
    problems = _unsafe(question.id, raw, lines=question.type == "long_text")
    return (None if problems else raw), problems


def _read_email(
    question: Question, form: FormData, answers: Mapping[str, Any], current_year: int
) -> tuple[Any, list[Problem]]:
    raw = _first(form, question.id).strip()
    if not raw:
        return None, []
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        return None, [Problem(question.id, "email")]
    if len(checked.normalized) > 254:
        return None, [Problem(question.id, "email")]
    return checked.normalized, []


_Reader = Callable[[Question, FormData, Mapping[str, Any], int], tuple[Any, list[Problem]]]
_READERS: dict[str, _Reader] = {
    "integer": _read_integer,
    "single": _read_single,
    "multiple": _read_multiple,
    "country": _read_country,
    "matrix": _read_matrix,
    "scale": _read_scale,
    "text": _read_text,
    "long_text": _read_text,
    "email": _read_email,
}


def form_values(section: Section, answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Saved answers as the form fields that would produce them (to fill a section's form)."""
    form: dict[str, list[str]] = {}
    for question in section.questions:
        value = answers.get(question.id)
        if value is None:
            continue
        if question.type == "matrix" and isinstance(value, dict):
            for row_code, point in value.items():
                form[f"{question.id}__{row_code}"] = [str(point)]
        elif isinstance(value, list):
            form[question.id] = [str(item) for item in value]
        else:
            form[question.id] = [str(value)]
        other = answers.get(question.other_field)
        if other is not None:
            form[question.other_field] = [str(other)]
    return form
