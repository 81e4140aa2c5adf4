"""A questionnaire as an XLSForm (.xlsx) that pyxform turns into an XForm.

Sections become field-list groups (one page each, as the platform shows them), a matrix a
table-list group of one select_one per row, conditions XPath (`to_xpath`). What XLSForm cannot
say goes into each row's `survey_keys` cell: a JSON object of keys in the platform's YAML format
that the reader lays over what it reads from the row, so that YAML → XLSForm → YAML gives the
same questionnaire. A row that exists only for XLSForm (a "Please specify" text, a matrix row)
says `{"skip": true}`. Pure apart from writing the file: no Flask, no database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from survey.deadline_rules import Schedule, to_local
from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.conditions import CURRENT_YEAR, Condition
from survey.questionnaire.countries import country_names
from survey.questionnaire.model import Choice, Question, Questionnaire, Section, Text
from survey.questionnaire.types import TYPES
from survey.questionnaire.types.base import (
    NumberType,
    Problem,
    QuestionType,
    number_text,
    shared_message,
)
from survey.questionnaire.types.choices import OTHER_MAX_LENGTH
from survey.questionnaire.types.decimal import DEFAULT_DECIMALS
from survey.questionnaire.types.matrix import row_field
from survey.xlsform.to_xpath import string_literal, to_xpath, unanswered_xpath

SURVEY_KEYS = "survey_keys"
SKIP = {"skip": True}
# An email address as the XForm checks it: something@something.something, no spaces.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
OTHER_LABEL = N_("Please specify")

# The XLSForm type of each question type written as one row (choice types add their list).
_ROW_TYPES = {
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "single": "select_one",
    "multiple": "select_multiple",
    "country": "select_one",
    "scale": "range",
    "text": "text",
    "long_text": "text",
    "email": "text",
    "note": "note",
    "acknowledge": "acknowledge",
    "geopoint": "geopoint",
    "calculate": "calculate",
}
# Question types that XLSForm writes as another type's row: the row's survey_keys name them.
_TYPES_IN_KEYS = {"country", "long_text", "email", "scale"}
# Question keys the native columns of a row carry exactly (a scale's bounds are its range's
# parameters); every other key of the question goes into survey_keys.
_NATIVE_KEYS = {
    "id",
    "type",
    "label",
    "help",
    "required",
    "required_message",
    "relevant",
    "choices",
    "filter_by",
    "calculation",
}
_SCALE_NATIVE_KEYS = {"min", "max"}
# The keys some types have and others not.
_TYPE_KEYS = {
    "choices",
    "filter_by",
    "max_choices",
    "rows",
    "scale",
    "min",
    "max",
    "min_label",
    "max_label",
    "max_length",
    "decimals",
    "calculation",
}

SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "choice_filter",
    "calculation",
    "parameters",
    "appearance",
    SURVEY_KEYS,
)
TRANSLATED = {"label", "hint", "required_message", "constraint_message"}


def write_xlsform(questionnaire: Questionnaire, path: Path) -> None:
    """Write `questionnaire` as an XLSForm workbook (survey, choices, settings) at `path`."""
    import xlsxwriter  # imported where used: most commands never write a workbook

    workbook = xlsxwriter.Workbook(str(path))
    try:
        for name, (header, rows) in xlsform_sheets(questionnaire).items():
            sheet = workbook.add_worksheet(name)
            for column, title in enumerate(header):
                sheet.write_string(0, column, title)
            for row_number, row in enumerate(rows, start=1):
                for column, title in enumerate(header):
                    value = row.get(title)
                    if value not in (None, ""):
                        # Always text: a label starting with "=" must not become a formula.
                        sheet.write_string(row_number, column, str(value))
    finally:
        workbook.close()


Sheet = tuple[list[str], list[dict[str, Any]]]


def xlsform_sheets(questionnaire: Questionnaire) -> dict[str, Sheet]:
    """The three sheets as (header, rows), each row a mapping of header to cell."""
    form = _Form(questionnaire)
    for section in questionnaire.sections:
        form.section(section)
    languages = questionnaire.languages
    survey_header = [
        heading
        for column in SURVEY_COLUMNS
        for heading in (
            [translated(column, language) for language in languages]
            if column in TRANSLATED
            else [column]
        )
    ]
    choices_header = [
        "list_name",
        "name",
        *(translated("label", language) for language in languages),
        *form.filter_columns,
        SURVEY_KEYS,
    ]
    settings_row = _settings(questionnaire)
    return {
        "survey": (survey_header, form.survey),
        "choices": (choices_header, form.choices),
        "settings": (list(settings_row), [settings_row]),
    }


def language_name(language: str) -> str:
    """A language as XLSForm names it: its English name and its code, `French (fr)`."""
    try:
        name = Locale.parse(language).get_language_name("en")
    except (UnknownLocaleError, ValueError):
        name = None
    return f"{name or language} ({language})"


def translated(column: str, language: str) -> str:
    """The heading of one language's column, `label::French (fr)`."""
    return f"{column}::{language_name(language)}"


# -- the questionnaire in its own YAML keys ----------------------------------------------------


def question_keys(question: Question) -> dict[str, Any]:
    """A question as the keys of its YAML entry (defaults left out)."""
    keys: dict[str, Any] = {"id": question.id, "type": question.type}
    _put(keys, "label", _text(question.label))
    _put(keys, "help", _text(question.help))
    if question.required:
        keys["required"] = True
    _put(keys, "required_message", _text(question.required_message))
    _put(keys, "relevant", _source(question.relevant))
    if question.cascade is not None:
        keys["filter_by"] = question.cascade.question_id
    _put(keys, "calculation", _source(question.calculation))
    if question.choices:
        keys["choices"] = [
            _choice_keys(item, index) for index, item in enumerate(question.choices, 1)
        ]
    _put(keys, "max_choices", question.max_choices)
    if question.rows:
        keys["rows"] = [_choice_keys(item, index) for index, item in enumerate(question.rows, 1)]
    if question.scale:
        keys["scale"] = [_choice_keys(item, int(item.code)) for item in question.scale]
    _put(keys, "min", _source(question.min))
    _put(keys, "max", _source(question.max))
    _put(keys, "min_label", _text(question.min_label))
    _put(keys, "max_label", _text(question.max_label))
    _put(keys, "max_length", question.max_length)
    if question.decimals is not None and question.decimals != DEFAULT_DECIMALS:
        keys["decimals"] = question.decimals
    if question.constraints:
        keys["constraints"] = [
            {"check": item.check.source, "message": dict(item.message)}
            for item in question.constraints
        ]
    if question.screen_out is not None:
        keys["screen_out"] = {
            "when": question.screen_out.when.source,
            "message": dict(question.screen_out.message),
        }
    if question.personal:
        keys["personal"] = True
    # Only the keys the type reads (a calculation's `decimals` is worked out, not written).
    own = TYPES[question.type].keys
    return {name: value for name, value in keys.items() if name not in _TYPE_KEYS or name in own}


def choice_flags(choice: Choice, default_number: int) -> dict[str, Any]:
    """What a choice says besides its code and label, where it differs from the defaults."""
    flags: dict[str, Any] = {}
    for name in ("other", "exclusive", "missing"):
        if getattr(choice, name):
            flags[name] = True
    if choice.number != default_number:
        flags["number"] = choice.number
    return flags


def _choice_keys(choice: Choice, default_number: int) -> dict[str, Any]:
    keys: dict[str, Any] = {"code": choice.code, "label": dict(choice.label)}
    _put(keys, "parent", choice.parent)
    return {**keys, **choice_flags(choice, default_number)}


def _put(keys: dict[str, Any], name: str, value: Any) -> None:
    if value is not None:
        keys[name] = value


def _text(text: Text | None) -> dict[str, str] | None:
    return dict(text) if text else None


def _source(value: Any) -> Any:
    """A condition or expression as the platform's own text; any other value as it is."""
    return value.source if isinstance(value, Condition) else value


def _local_time(moment: datetime | None, timezone: str) -> str | None:
    if moment is None:
        return None
    local = to_local(moment, timezone).replace(tzinfo=None)
    return local.isoformat(timespec="minutes" if local.second == 0 else "seconds")


def _schedule_keys(schedule: Schedule) -> dict[str, Any]:
    return {
        "opens_at": _local_time(schedule.opens_at, schedule.timezone),
        "closes_at": _local_time(schedule.closes_at, schedule.timezone),
        "timezone": schedule.timezone,
        "grace_minutes": schedule.grace_minutes,
    }


def _settings(questionnaire: Questionnaire) -> dict[str, Any]:
    default = questionnaire.default_language
    keys: dict[str, Any] = {"slug": questionnaire.slug, "languages": list(questionnaire.languages)}
    if set(questionnaire.title) != {default}:
        keys["title"] = dict(questionnaire.title)  # form_title holds only the default language
    _put(keys, "short_title", _text(questionnaire.short_title))
    _put(keys, "intro", _text(questionnaire.intro))
    keys["schedule"] = _schedule_keys(questionnaire.schedule)
    keys["consent"] = {
        "version": questionnaire.consent_version,
        "label": dict(questionnaire.consent_label),
    }
    analysis: dict[str, Any] = {}
    _put(analysis, "country", questionnaire.country_question)
    if questionnaire.breakdowns:
        analysis["breakdowns"] = list(questionnaire.breakdowns)
    if analysis:
        keys["analysis"] = analysis
    return {
        "form_title": questionnaire.title.get(default, ""),
        "form_id": questionnaire.slug,
        "version": questionnaire.consent_version,
        "default_language": language_name(default),
        # Labels and survey_keys keep their line breaks and spaces exactly.
        "clean_text_values": "no",
        SURVEY_KEYS: _json(keys),
    }


def _json(keys: Mapping[str, Any]) -> str | None:
    return json.dumps(keys, ensure_ascii=False) if keys else None


# -- the survey and choices sheets -------------------------------------------------------------


@dataclass
class _Form:
    questionnaire: Questionnaire
    survey: list[dict[str, Any]] = field(default_factory=list)
    choices: list[dict[str, Any]] = field(default_factory=list)
    filter_columns: list[str] = field(default_factory=list)
    questions: dict[str, Question] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # every name on the survey sheet

    def __post_init__(self) -> None:
        self.questions = {item.id: item for item in self.questionnaire.questions()}
        for question in self.questions.values():
            self.names.add(question.id)
            self.names.update(row_field(question, str(row.code)) for row in question.rows)
            if question.other_choices:
                self.names.add(question.other_field)

    @property
    def languages(self) -> tuple[str, ...]:
        return self.questionnaire.languages

    def texts(self, column: str, text: Text | None) -> dict[str, str]:
        """One cell per language; a missing translation stays empty."""
        if not text:
            return {}
        return {translated(column, language): text.get(language, "") for language in self.languages}

    def xpath(self, condition: Condition | None, self_id: str | None = None) -> str | None:
        if condition is None:
            return None
        return to_xpath(condition.tree, self_id=self_id, questions=self.questions)

    # -- sections ----------------------------------------------------------------------------

    def section(self, section: Section) -> None:
        # XLSForm names are unique across groups and questions; a section named like one of
        # its questions gets another name, and survey_keys keep its id.
        name, keys = section.id, dict[str, Any]()
        while name in self.names:
            name, keys["id"] = f"{name}_section", section.id
        self.names.add(name)
        if section.intro:
            keys["intro"] = dict(section.intro)
        self.survey.append(
            {
                "type": "begin_group",
                "name": name,
                **self.texts("label", section.title),
                "relevant": self.xpath(section.relevant),
                "appearance": "field-list",
                SURVEY_KEYS: _json(keys),
            }
        )
        for question in section.questions:
            if question.type == "matrix":
                self.matrix(question)
            else:
                self.question(question)
        self.survey.append({"type": "end_group", "name": name})

    # -- questions ---------------------------------------------------------------------------

    def question(self, question: Question) -> None:
        row_type = _ROW_TYPES.get(question.type)
        if row_type is None:
            raise ValueError(f"no XLSForm type for question type {question.type!r}")
        keys = question_keys(question)
        native = _NATIVE_KEYS | (_SCALE_NATIVE_KEYS if question.type == "scale" else set())
        extra = {name: value for name, value in keys.items() if name not in native}
        if question.type in _TYPES_IN_KEYS:
            extra = {"type": question.type, **extra}
        row = self.common(question)
        constraint = self.constraint(question)
        if constraint is not None:
            xpath, messages = constraint
            row["constraint"] = xpath
            row.update(self.texts("constraint_message", messages))
            # The column joins bounds, lengths and constraints: the reader takes them from here.
            extra.setdefault("constraints", [])
        if question.type in ("single", "multiple", "country"):
            row_type = f"{row_type} {question.id}"
            self.choice_list(question)
        if question.type == "long_text":
            row["appearance"] = "multiline"
        if question.type == "scale":
            row["parameters"] = f"start={question.min} end={question.max} step=1"
        if question.calculation is not None:
            tree = question.calculation.tree
            row["calculation"] = to_xpath(
                tree, self_id=None, questions=self.questions, as_value=True
            )
        if question.cascade is not None:
            row["choice_filter"] = self.choice_filter(question, question.cascade.question_id)
        row["type"] = row_type
        row[SURVEY_KEYS] = _json(extra)
        self.survey.append(row)
        if question.other_choices:
            self.other(question)

    def common(self, question: Question) -> dict[str, Any]:
        """The cells every row of a question has: name, texts, required, relevant."""
        return {
            "name": question.id,
            **self.texts("label", question.label),
            **self.texts("hint", question.help),
            "required": "yes" if question.required else None,
            **self.texts("required_message", question.required_message),
            "relevant": self.xpath(question.relevant),
        }

    def other(self, question: Question) -> None:
        """The "Please specify" text of the question's `other` choices."""
        picked = " or ".join(
            f"selected(${{{question.id}}}, {string_literal(str(choice.code))})"
            for choice in question.other_choices
        )
        problem = Problem(question.other_field, "too_long", {"max": OTHER_MAX_LENGTH})
        required = Problem(question.other_field, "other_required")
        self.survey.append(
            {
                "type": "text",
                "name": question.other_field,
                **self.texts("label", self.interface(OTHER_LABEL)),
                "required": "yes",
                **self.texts("required_message", self.shared(required)),
                "relevant": picked,
                "constraint": f"string-length(.) <= {OTHER_MAX_LENGTH}",
                **self.texts("constraint_message", self.shared(problem)),
                SURVEY_KEYS: _json(SKIP),
            }
        )

    def matrix(self, question: Question) -> None:
        """A table-list group of one select_one per row, sharing the scale as their list; the
        group's survey_keys hold the whole question."""
        self.survey.append(
            {
                "type": "begin_group",
                "name": question.id,
                **self.texts("label", question.label),
                **self.texts("hint", question.help),
                "relevant": self.xpath(question.relevant),
                "appearance": "table-list",
                SURVEY_KEYS: _json(question_keys(question)),
            }
        )
        for row in question.rows:
            self.survey.append(
                {
                    "type": f"select_one {question.id}",
                    "name": row_field(question, str(row.code)),
                    **self.texts("label", row.label),
                    "required": "yes" if question.required else None,
                    **self.texts("required_message", question.required_message),
                    SURVEY_KEYS: _json(SKIP),
                }
            )
        self.survey.append({"type": "end_group", "name": question.id})
        for point in question.scale:
            self.add_choice(question.id, point, {})

    # -- choices -----------------------------------------------------------------------------

    def choice_list(self, question: Question) -> None:
        if question.type == "country":
            names = {language: dict(country_names(language)) for language in self.languages}
            for code, _ in country_names(self.questionnaire.default_language):
                label = {language: names[language][code] for language in self.languages}
                self.choices.append(
                    {"list_name": question.id, "name": code, **self.texts("label", label)}
                )
            return
        for position, choice in enumerate(question.choices, start=1):
            cells: dict[str, Any] = {}
            if question.cascade is not None and choice.parent is not None:
                cells[question.cascade.question_id] = choice.parent
            self.add_choice(question.id, choice, cells, choice_flags(choice, position))

    def add_choice(
        self,
        list_name: str,
        choice: Choice,
        cells: dict[str, Any],
        flags: dict[str, Any] | None = None,
    ) -> None:
        if flags is None:  # a matrix scale point: numbered by its code
            flags = choice_flags(choice, int(choice.code))
        self.choices.append(
            {
                "list_name": list_name,
                "name": str(choice.code),
                **self.texts("label", choice.label),
                **cells,
                SURVEY_KEYS: _json(flags),
            }
        )

    def choice_filter(self, question: Question, filter_by: str) -> str:
        """Choices whose parent is the earlier answer, and those without a parent."""
        if filter_by not in self.filter_columns:
            self.filter_columns.append(filter_by)
        xpath = f"{filter_by}=${{{filter_by}}}"
        if any(choice.parent is None for choice in question.choices):
            xpath += f" or {filter_by}=''"
        return xpath

    # -- constraints -------------------------------------------------------------------------

    def constraint(self, question: Question) -> tuple[str, Text] | None:
        """Every rule an answer must meet as one XPath, and their messages joined."""
        parts = list(self.rules(question))
        if not parts:
            return None
        xpath = " and ".join(f"({item})" if " or " in item else item for item, _ in parts)
        messages = {
            language: " ".join(message[language] for _, message in parts if message.get(language))
            for language in self.languages
        }
        return xpath, messages

    def rules(self, question: Question) -> Iterator[tuple[str, Text]]:
        kind = TYPES.get(question.type)
        if isinstance(kind, NumberType) and question.type != "scale":
            yield from self.number_bounds(question)
        if question.type == "date":
            yield from self.date_bounds(question)
        if question.max_length is not None:
            problem = Problem(question.id, "too_long", {"max": question.max_length})
            yield f"string-length(.) <= {question.max_length}", self.message(question, problem)
        if question.type == "email":
            xpath = f"regex(., {string_literal(EMAIL_PATTERN)})"
            yield xpath, self.message(question, Problem(question.id, "email"))
        if question.max_choices is not None:
            problem = Problem(question.id, "max_choices", {"max": question.max_choices})
            yield f"count-selected(.) <= {question.max_choices}", self.message(question, problem)
        for choice in question.choices:
            if choice.exclusive:
                code = string_literal(str(choice.code))
                problem = Problem(question.id, "exclusive", {"label": choice.label})
                xpath = f"not(selected(., {code})) or count-selected(.) = 1"
                yield xpath, self.message(question, problem)
        for rule in question.constraints:
            yield self.unless_unanswered(rule.check, question), dict(rule.message)

    def number_bounds(self, question: Question) -> Iterator[tuple[str, Text]]:
        bounds = [(">=", question.min), ("<=", question.max)]
        tests = [
            self.unless_unanswered(limit, question, f". {op} {self.bound(limit, question)}")
            for op, limit in bounds
            if limit is not None
        ]
        if not tests:
            return
        message = {
            language: _range_sentence(question.min, question.max, language)
            for language in self.languages
        }
        for index, test in enumerate(tests):
            yield test, (message if index == 0 else {})  # one sentence says both bounds

    def date_bounds(self, question: Question) -> Iterator[tuple[str, Text]]:
        bounds = [(">=", question.min), ("<=", question.max)]
        tests = [
            f". {op} date({string_literal(str(limit))})"
            for op, limit in bounds
            if limit is not None
        ]
        if tests:
            params = {"min": question.min, "max": question.max}
            message = self.message(question, Problem(question.id, "date_range", params))
            yield " and ".join(tests), message

    def bound(self, limit: Any, question: Question) -> str:
        if isinstance(limit, Condition):
            xpath = to_xpath(
                limit.tree, self_id=question.id, questions=self.questions, as_value=True
            )
            return f"({xpath})" if " " in xpath and not xpath.startswith("format-date") else xpath
        return repr(limit)

    def unless_unanswered(self, rule: Any, question: Question, xpath: str | None = None) -> str:
        """A rule checked only when every question it names is answered, as the platform
        checks it (a bound that names an unanswered question is no bound)."""
        if not isinstance(rule, Condition):
            return xpath or ""
        if xpath is None:
            xpath = to_xpath(rule.tree, self_id=question.id, questions=self.questions)
        others = sorted(
            (ref for ref in rule.refs() if ref.name not in (CURRENT_YEAR, question.id) or ref.row),
            key=lambda ref: (ref.name, ref.row or ""),
        )
        if not others:
            return xpath
        guards = [unanswered_xpath(ref, questions=self.questions) for ref in others]
        return " or ".join([*guards, f"({xpath})" if " or " in xpath else xpath])

    # -- messages ----------------------------------------------------------------------------

    def message(self, question: Question, problem: Problem) -> Text:
        """A problem as the platform words it in each language."""
        kind: QuestionType = TYPES[question.type]
        return {
            language: kind.message(problem, question, language)
            or shared_message(problem, kind.required_message, language)
            for language in self.languages
        }

    def shared(self, problem: Problem) -> Text:
        return {
            language: shared_message(problem, QuestionType.required_message, language)
            for language in self.languages
        }

    def interface(self, message: str) -> Text:
        return {language: gettext_in(language, message) for language in self.languages}


def _range_sentence(low: Any, high: Any, language: str) -> str:
    """A bound missed, as the platform says it; an expression bound ("current_year + 2") is
    shown as written, since the message cannot work it out."""

    def shown(limit: Any) -> str:
        return limit.source if isinstance(limit, Condition) else number_text(limit, language)

    if low is not None and high is not None:
        message = gettext_in(language, N_("Enter a number from %(min)s to %(max)s."))
        return message % {"min": shown(low), "max": shown(high)}
    if low is not None:
        message = gettext_in(language, N_("Enter a number of at least %(min)s."))
        return message % {"min": shown(low)}
    message = gettext_in(language, N_("Enter a number of at most %(max)s."))
    return message % {"max": shown(high)}
