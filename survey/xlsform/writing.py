"""A questionnaire as an XLSForm (.xlsx) that pyxform turns into an XForm.

Sections become field-list groups (one page each, as the platform shows them), a matrix a
table-list group of one select_one per row, conditions XPath (`to_xpath`). What XLSForm cannot
say goes into each row's `survey_keys` cell: a JSON object of keys in the platform's YAML format
that the reader lays over what it reads from the row, so that YAML → XLSForm → YAML gives the
same questionnaire. A row that exists only for XLSForm (a "Please specify" text, a matrix row)
says `{"skip": true}`: the reader makes it again from its question, and compares the row read
with this module's (`generated_rows`) to find a person's edit. Pure apart from writing the
file: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from survey.message_catalogs import N_, language_tag
from survey.questionnaire.conditions import Condition
from survey.questionnaire.countries import country_names
from survey.questionnaire.model import Choice, Question, Questionnaire, Section, Text
from survey.questionnaire.types import TYPES
from survey.questionnaire.types.base import (
    CODE,
    Problem,
)
from survey.questionnaire.types.choices import OTHER_MAX_LENGTH
from survey.questionnaire.types.matrix import row_field
from survey.xlsform.constraints import Rules
from survey.xlsform.to_xpath import string_literal, to_xpath
from survey.xlsform.yaml_keys import as_json, choice_flags, question_keys, questionnaire_keys

SURVEY_KEYS = "survey_keys"
SKIP = {"skip": True}
OTHER_LABEL = N_("Please specify")

# The question type a row of each XLSForm type is read as; a question of another type (a
# country is a select_one, a long text a text) names its own type in the row's survey_keys.
_READ_AS = {"select_one": "single", "select_multiple": "multiple", "range": "scale"}
_CHOICE_ROWS = ("select_one", "select_multiple")
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
_RANGE_NATIVE_KEYS = {"min", "max"}

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
        try:
            workbook.close()  # the file is made here
        except xlsxwriter.exceptions.FileCreateError as error:
            # xlsxwriter wraps the OSError of a file it cannot make (a missing folder, no
            # permission): raised as that OSError, callers say what went wrong in one line.
            cause = error.args[0] if error.args else None
            raise cause if isinstance(cause, OSError) else OSError(str(error)) from None


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


def generated_rows(questionnaire: Questionnaire) -> dict[str, list[dict[str, Any]]]:
    """The rows written only for XLSForm, which the reader skips (`{"skip": true}`) and makes
    again from their question: by question id, its "Please specify" text or its matrix rows."""
    form = _Form(questionnaire)
    found: dict[str, list[dict[str, Any]]] = {}
    for question in form.questions.values():
        if question.rows:
            found[question.id] = form.matrix_rows(question)
        elif question.other_choices:
            found[question.id] = [form.other_row(question)]
    return found


def language_name(language: str) -> str:
    """A language as XLSForm names it: its English name and its code as a BCP 47 tag,
    `French (fr)`, `Portuguese (pt-BR)` for the format's `pt_BR` (pyxform, which knows codes
    without a region only, warns of it; the reader takes it back as `pt_BR`)."""
    try:
        name = Locale.parse(language).get_language_name("en")
    except (UnknownLocaleError, ValueError):
        name = None
    return f"{name or language} ({language_tag(language)})"


def translated(column: str, language: str) -> str:
    """The heading of one language's column, `label::French (fr)`."""
    return f"{column}::{language_name(language)}"


def _settings(questionnaire: Questionnaire) -> dict[str, Any]:
    default = questionnaire.default_language
    return {
        "form_title": questionnaire.title.get(default, ""),
        "form_id": questionnaire.slug,
        "version": questionnaire.consent_version,
        "default_language": language_name(default),
        # Labels and survey_keys keep their line breaks and spaces exactly.
        "clean_text_values": "no",
        SURVEY_KEYS: as_json(questionnaire_keys(questionnaire)),
    }


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
        self.rules = Rules(self.questionnaire.languages, self.questions)
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
                SURVEY_KEYS: as_json(keys),
            }
        )
        for question in section.questions:
            if TYPES[question.type].xlsform_type is None:  # a matrix: a group of rows
                self.matrix(question)
            else:
                self.question(question)
        self.survey.append({"type": "end_group", "name": name})

    # -- questions ---------------------------------------------------------------------------

    def question(self, question: Question) -> None:
        row_type = TYPES[question.type].xlsform_type
        if row_type is None:
            raise ValueError(f"no XLSForm type for question type {question.type!r}")
        keys = question_keys(question)
        native = _NATIVE_KEYS | (_RANGE_NATIVE_KEYS if row_type == "range" else set())
        extra = {name: value for name, value in keys.items() if name not in native}
        if _READ_AS.get(row_type, row_type) != question.type:
            extra = {"type": question.type, **extra}
        row = self.common(question)
        constraint = self.rules.constraint(question)
        if constraint is not None:
            xpath, messages = constraint
            row["constraint"] = xpath
            row.update(self.texts("constraint_message", messages))
            # The column joins bounds, lengths and constraints: the reader takes them from here.
            extra.setdefault("constraints", [])
        if row_type in _CHOICE_ROWS:
            row_type = f"{row_type} {question.id}"
            self.choice_list(question)
        appearance = TYPES[question.type].xlsform_appearance
        if appearance is not None:
            row["appearance"] = appearance
        if row_type == "range":
            row["parameters"] = f"start={question.min} end={question.max} step=1"
        if question.calculation is not None:
            tree = question.calculation.tree
            row["calculation"] = to_xpath(
                tree, self_id=None, questions=self.questions, as_value=True
            )
        if question.cascade is not None:
            row["choice_filter"] = self.choice_filter(question, question.cascade.question_id)
        row["type"] = row_type
        row[SURVEY_KEYS] = as_json(extra)
        self.survey.append(row)
        if question.other_choices:
            self.survey.append(self.other_row(question))

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

    def other_row(self, question: Question) -> dict[str, Any]:
        """The "Please specify" text of the question's `other` choices."""
        picked = " or ".join(
            f"selected(${{{question.id}}}, {string_literal(str(choice.code))})"
            for choice in question.other_choices
        )
        problem = Problem(question.other_field, "too_long", {"max": OTHER_MAX_LENGTH})
        required = Problem(question.other_field, "other_required")
        return {
            "type": "text",
            "name": question.other_field,
            **self.texts("label", self.rules.interface(OTHER_LABEL)),
            "required": "yes",
            **self.texts("required_message", self.rules.shared(required)),
            "relevant": picked,
            "constraint": f"string-length(.) <= {OTHER_MAX_LENGTH}",
            **self.texts("constraint_message", self.rules.shared(problem)),
            SURVEY_KEYS: as_json(SKIP),
        }

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
                SURVEY_KEYS: as_json(question_keys(question)),
            }
        )
        self.survey.extend(self.matrix_rows(question))
        self.survey.append({"type": "end_group", "name": question.id})
        for point in question.scale:
            self.add_choice(question.id, point, {})

    def matrix_rows(self, question: Question) -> list[dict[str, Any]]:
        """One select_one of the matrix's scale per row, named as its export column."""
        return [
            {
                "type": f"select_one {question.id}",
                "name": row_field(question, str(row.code)),
                **self.texts("label", row.label),
                "required": "yes" if question.required else None,
                **self.texts("required_message", question.required_message),
                SURVEY_KEYS: as_json(SKIP),
            }
            for row in question.rows
        ]

    # -- choices -----------------------------------------------------------------------------

    def choice_list(self, question: Question) -> None:
        # A choice type with no choices of its own picks from the list of countries.
        if TYPES[question.type].compares_as == CODE and not question.choices:
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
                SURVEY_KEYS: as_json(flags),
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
