"""What a question type is: everything the platform does with one kind of question.

A type is a subclass of `QuestionType` in a module of its own, registered in
`survey.questionnaire.types`. It says which keys its questions take in the YAML and checks
them, reads a submitted form into an answer (with every problem found), gives the form fields
that show a saved answer again, the lines of the review page, the input an error link focuses,
the export columns with their value labels, what its answer means in a condition, and the
macro that renders it (`survey/respond/templates/respond/questions/<macro>.html`).

Pure: no Flask. Words a type shows people are msgids of the interface catalogs, translated
with `gettext_in` for the language asked for.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from babel.numbers import format_decimal

from survey.message_catalogs import N_, gettext_in, ngettext_in
from survey.questionnaire.columns import SCALE, Column, QuestionFields
from survey.questionnaire.conditions import Condition
from survey.questionnaire.model import Bound, Choice, Question, Text

FormData = Mapping[str, Sequence[str]]
Path = tuple[Any, ...]

# Characters a text answer may not hold: control characters (NUL cuts text short in SPSS and
# Stata files, others garble a CSV or a terminal) and the bidirectional overrides and isolates
# that make text read differently from what is stored. Long text keeps newlines and tabs.
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")
_UNSAFE_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")

# How an answer takes part in a condition (`compares_as`): numbers and dates are ordered,
# codes are checked against the question's codes when the file is loaded; an answer that is
# `ANSWERED` only may stand in `answered(q)` and nowhere else (it is not one value).
NUMBER, DATE, CODE, CODES, ROWS, TEXT = "number", "date", "code", "codes", "rows", "text"
ANSWERED = "answered"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one form field; `code` picks the message, `params` fill it in."""

    field: str
    code: str
    # dataclasses.field in full: this class has a field named `field`.
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    text: Text | None = None  # a message written in the questionnaire file


class Reader(Protocol):
    """The questionnaire loader's readers, for a type's own keys: each reports a problem with
    the file's line and returns None (or a harmless value) when the value is wrong."""

    def problem(self, path: Path, message: str) -> None: ...

    def text(self, value: Any, path: Path, required: bool = True) -> Text | None: ...

    def integer(self, value: Any, path: Path) -> int | None: ...

    def choices(
        self, value: Any, path: Path, extra: frozenset[str] = ..., *, numbered: bool = ...
    ) -> tuple[Choice, ...]: ...

    def condition(
        self, source: Any, path: Path, before: int, inclusive: bool = True
    ) -> Condition | None: ...

    def earlier_question(self, question_id: Any, path: Path, before: int) -> Question | None: ...


def first(form: FormData, name: str) -> str:
    """The first value a form sent for `name`, or ""."""
    values = form.get(name) or []
    return values[0] if values else ""


def unsafe(field_name: str, text: str, *, lines: bool) -> list[Problem]:
    """A problem if `text` holds a character no answer may hold (`lines`: newlines and tabs
    are allowed)."""
    pattern = _UNSAFE_TEXT if lines else _UNSAFE_LINE
    return [Problem(field_name, "characters")] if pattern.search(text) else []


def pick(text: Text | None, language: str) -> str:
    """A questionnaire text in `language`, else in the first language it has."""
    if not text:
        return ""
    return text.get(language) or next(iter(text.values()), "")


def bound(limit: Bound, answers: Mapping[str, Any], today: date) -> Any:
    """A min or max as it stands for these answers (an expression is worked out)."""
    if isinstance(limit, Condition):
        return limit.value(answers, today)
    return limit


def number_text(value: float | Decimal, language: str) -> str:
    """A bound as `language` writes it: grouped from five digits on ("1,000,000",
    "1 000 000"), so a year stays a year ("2028")."""
    if isinstance(value, int) and abs(value) < 10_000:
        return str(value)
    return str(format_decimal(value, locale=language, decimal_quantization=False))


def range_message(low: Any, high: Any, language: str) -> str:
    """A bound missed: "Enter a number from 1 to 5", "of at least 1" or "of at most 5"."""
    if low is not None and high is not None:
        message = N_("Enter a number from %(min)s to %(max)s.")
        return gettext_in(language, message) % {
            "min": number_text(low, language),
            "max": number_text(high, language),
        }
    if low is not None:
        message = N_("Enter a number of at least %(min)s.")
        return gettext_in(language, message) % {"min": number_text(low, language)}
    return gettext_in(language, N_("Enter a number of at most %(max)s.")) % {
        "max": number_text(high, language)
    }


def read_bounds(
    reader: Reader,
    data: Mapping[str, Any],
    path: Path,
    read_one: Callable[[Any, Path], Any],
    *,
    order: str = "must not be below min",
) -> dict[str, Any]:
    """`min` and `max`, each read by `read_one` (which reports a wrong value and gives None);
    `order` is the problem when min comes after max (expressions are not compared)."""
    result: dict[str, Any] = {
        key: None if data.get(key) is None else read_one(data[key], (*path, key))
        for key in ("min", "max")
    }
    low, high = result["min"], result["max"]
    comparable = not isinstance(low, Condition) and not isinstance(high, Condition)
    if low is not None and high is not None and comparable and low > high:
        reader.problem((*path, "max"), order)
    return result


class QuestionType:
    """The behaviour every type shares; a type overrides what is its own."""

    name: ClassVar[str]
    keys: ClassVar[frozenset[str]] = frozenset()  # its own keys in the YAML
    macro: ClassVar[str]  # respond/questions/<macro>.html renders it
    # The XLSForm type of its row (a choice type adds its list); None: written otherwise (a
    # matrix is a group of rows).
    xlsform_type: ClassVar[str | None] = None
    xlsform_appearance: ClassVar[str | None] = None  # e.g. "multiline"
    xlsform_pattern: ClassVar[str | None] = None  # a regex() its XLSForm constraint checks
    compares_as: ClassVar[str] = TEXT
    list_answer: ClassVar[bool] = False  # the answer is a list (the page script collects it)
    compound: ClassVar[bool] = False  # the answer is a list or a map (not hashable as it is)
    # Rows answered on one scale (the answer maps row codes to scale codes): what the quality
    # flag for straightlining reads (survey.questionnaire.quality).
    grid: ClassVar[bool] = False
    required_message: ClassVar[str] = N_("Enter an answer.")
    # Whether a person answers it on a page; a question that is not asked (a calculation) has
    # no label to show, no form field and no line on the review page.
    asked: ClassVar[bool] = True
    # False for a question that only shows text (a note): it has no answer to require, check,
    # name in a condition, review or export.
    has_answer: ClassVar[bool] = True

    # -- the questionnaire file ----------------------------------------------------------------

    def build(
        self, reader: Reader, data: Mapping[str, Any], path: Path, position: int
    ) -> dict[str, Any]:
        """The Question fields read from this type's own keys (checked through `reader`)."""
        return {}

    def condition_codes(self, question: Question, row: str | None) -> set[Any] | None:
        """The codes a condition may compare this answer (or one matrix row) with; None when
        any value of the right kind may stand there."""
        return None

    def valid_literal(self, value: Any) -> bool:
        """Whether a literal compared with this answer in a condition can ever match it."""
        return True

    # -- answering -----------------------------------------------------------------------------

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        """The answer a section's form gives to `question` (None: not answered) and the
        problems found; `answers` are the ones already known (bounds may depend on them)."""
        raise NotImplementedError

    def missing(self, question: Question, value: Any) -> list[Problem]:
        """The problems of a required question left unanswered."""
        return [Problem(question.id, "required")] if value in (None, "", []) else []

    def form_fields(self, question: Question, value: Any) -> dict[str, list[str]]:
        """A saved answer as the form fields that would send it (to fill the form again)."""
        return {question.id: [str(value)]}

    def anchors(self, question: Question, answers: Mapping[str, Any]) -> dict[str, str]:
        """The id of the input an error-summary link focuses, for each field of the question;
        `answers` are the ones the page was sent with (a choice list may follow one)."""
        return {question.id: f"f-{question.id}"}

    def message(self, problem: Problem, question: Question, language: str) -> str | None:
        """A problem as one sentence in `language`; None for the ones every type shares."""
        return None

    def review(self, question: Question, answers: Mapping[str, Any], language: str) -> list[str]:
        """The answer as the review page shows it (the caller handles "Not answered")."""
        return [self.show(answers[question.id], language)]

    def show(self, value: Any, language: str) -> str:
        """One answer value as people read it."""
        return str(value)

    # -- exporting -----------------------------------------------------------------------------

    def columns(self, question: Question, common: QuestionFields) -> list[Column]:
        """The export columns of the question (its "Please specify" column is added for it)."""
        return [Column(name=question.id, kind=self.name, label=question.label, **common)]


class NumberType(QuestionType):
    """A question answered with a number: ordered in conditions, one numeric column."""

    compares_as = NUMBER
    measure: ClassVar[str] = SCALE  # SPSS's measurement level of its column

    def valid_literal(self, value: Any) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)

    def columns(self, question: Question, common: QuestionFields) -> list[Column]:
        return [
            Column(
                name=question.id,
                kind=self.name,
                label=question.label,
                measure=self.measure,
                numeric=True,
                decimals=question.decimals or 0,
                **common,
            )
        ]


def shared_message(problem: Problem, required_message: str, language: str) -> str:
    """The sentences every type shares, in `language`."""
    params = problem.params
    match problem.code:
        case "required":
            return gettext_in(language, required_message)
        case "range":
            return range_message(params.get("min"), params.get("max"), language)
        case "choice":
            return gettext_in(language, N_("Select one of the answers shown."))
        case "other_required":
            return gettext_in(language, N_("Please specify your answer."))
        case "too_long":
            return ngettext_in(
                language,
                "Use at most %(num)s character.",
                "Use at most %(num)s characters.",
                params["max"],
            ) % {"num": params["max"]}
        case "characters":
            return gettext_in(
                language,
                N_(
                    "Remove the invisible control or text-direction characters from this answer "
                    "(they often come with copied text)."
                ),
            )
    return gettext_in(language, N_("Check this answer."))
