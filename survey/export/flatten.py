"""Responses as stable, flat columns with a codebook. Pure: no Flask, no database session.

Column order: the metadata, then every question in questionnaire order. Columns come from every
version of the questionnaire, merged in order, so a question (or a choice) removed in a later
version keeps its column and a download never changes the meaning of a column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from babel.numbers import format_percent

from survey.message_catalogs import N_, NP_, gettext_in
from survey.questionnaire import quality
from survey.questionnaire.columns import NOMINAL as NOMINAL
from survey.questionnaire.columns import ORDINAL as ORDINAL
from survey.questionnaire.columns import SCALE as SCALE
from survey.questionnaire.columns import YES_NO, Column, QuestionFields
from survey.questionnaire.model import SPEEDER_FRACTION, Choice, Question, Questionnaire, Text
from survey.questionnaire.types import type_of

__all__ = ["Column", "codebook", "columns", "label_of", "number_of"]


EXPORT_STATUS = {"complete": "complete", "in_progress": "partial", "screened_out": "screened_out"}
# The words an export adds itself are English msgids of the interface catalogs; `columns` gives
# them in every language of the questionnaire (see `_in_languages`).
STATUS_CONTEXT = "status of one response"  # the same literal in each NP_: tools read it there
STATUS_LABELS: tuple[tuple[Any, Text], ...] = (
    ("complete", {"en": NP_("status of one response", "Complete")}),
    ("partial", {"en": NP_("status of one response", "Partial")}),
    ("screened_out", {"en": NP_("status of one response", "Screened out")}),
)


def _meta(name: str, label: str, **extra: Any) -> Column:
    return Column(name=name, kind="meta", label={"en": label}, **extra)


METADATA: tuple[Column, ...] = (
    _meta("response_id", N_("Response id (random)")),
    _meta(
        "status",
        N_("Status of the response"),
        value_labels=STATUS_LABELS,
        numbers={"complete": 1, "partial": 2, "screened_out": 3},
    ),
    _meta(
        "late",
        N_("Submitted in the grace period after the deadline"),
        value_labels=YES_NO,
        numbers={0: 0, 1: 1},
        numeric=True,
        boolean=True,
    ),
    _meta("language", N_("Language the response was answered in")),
    _meta("channel", N_("Channel (the ?via= tag of the link used)")),
    _meta("questionnaire_version", N_("Questionnaire version"), numeric=True, measure=SCALE),
    _meta("consent_version", N_("Consent version agreed to")),
    _meta("started_at", N_("Started at (UTC, ISO 8601)")),
    _meta("submitted_at", N_("Submitted at (UTC, ISO 8601)")),
    _meta("duration_seconds", N_("Seconds from start to submission"), numeric=True, measure=SCALE),
    _meta("last_section", N_("Last section saved (partial responses)")),
)


# Each rule in words (the codebook's question text and the variable label in SPSS and Stata).
SPEEDER_RULE = N_(
    "Speeder: 1 for a complete response that took less than %(share)s of the median time of the "
    "complete responses to its questionnaire version, 0 for any other response; empty while "
    "fewer than %(number)s complete responses to that version exist to judge by"
)
STRAIGHTLINING_RULE = N_(
    "Straightlining: 1 for a response that gave the same answer to every row of a grid "
    "question with at least %(number)s rows answered, 0 for any other response"
)


def quality_columns(fraction: float, languages: Sequence[str]) -> tuple[Column, ...]:
    """The 0/1 quality flags (survey.questionnaire.quality), each labelled with its rule."""

    def rule(message: str) -> Text:
        return {
            language: gettext_in(language, message)
            % {
                "share": format_percent(fraction, locale=language),
                "number": quality.MIN_COMPLETE_TO_JUDGE
                if message == SPEEDER_RULE
                else quality.MIN_GRID_ROWS,
            }
            for language in languages
        }

    return tuple(
        _in_languages(
            Column(
                name=name,
                kind="quality",
                label=rule(message),
                value_labels=YES_NO,
                numbers={0: 0, 1: 1},
                numeric=True,
                boolean=True,
            ),
            languages,
        )
        for name, message in (
            ("flag_speeder", SPEEDER_RULE),
            ("flag_straightlining", STRAIGHTLINING_RULE),
        )
    )


def columns(
    versions: Sequence[Questionnaire],
    *,
    with_personal_data: bool = False,
    speeder_fraction: float = SPEEDER_FRACTION,
) -> list[Column]:
    """Every column of an export over all `versions` (oldest first): the metadata, the quality
    flags, then the questions."""
    languages = tuple(dict.fromkeys(code for item in versions for code in item.languages))
    result = [_in_languages(column, languages) for column in METADATA]
    result += quality_columns(speeder_fraction, languages)
    section_relevance = {
        question.id: section.relevant.source
        for questionnaire in versions
        for section in questionnaire.sections
        for question in section.questions
        if section.relevant is not None
    }
    for question in merged_questions(versions):
        if question.personal and not with_personal_data:
            continue
        for column in _question_columns(question, section_relevance.get(question.id)):
            result.append(_in_languages(column, languages) if column.boolean else column)
    return result


def _in_languages(column: Column, languages: Sequence[str]) -> Column:
    """A column whose own words (label, value labels) are English msgids, in `languages`."""

    def translated(text: Text, context: str | None = None) -> Text:
        return {language: gettext_in(language, text["en"], context) for language in languages}

    context = STATUS_CONTEXT if column.name == "status" and column.kind == "meta" else None
    return replace(
        column,
        label=translated(column.label) if column.kind == "meta" else column.label,
        value_labels=tuple(
            (code, translated(label, context)) for code, label in column.value_labels
        ),
    )


def merged_questions(versions: Sequence[Questionnaire]) -> list[Question]:
    """Questions of all versions in questionnaire order: a later version's question is placed
    after the question that precedes it there; one removed later keeps its place; the newest
    wording wins; choices are merged the same way, so none is ever dropped."""
    order: list[str] = []
    latest: dict[str, Question] = {}
    choices: dict[str, list[Choice]] = {}
    rows: dict[str, list[Choice]] = {}
    for questionnaire in versions:
        previous: str | None = None
        for question in questionnaire.questions():
            if question.id not in latest:
                position = order.index(previous) + 1 if previous is not None else 0
                order.insert(position, question.id)
            latest[question.id] = question
            choices[question.id] = _merge(choices.get(question.id, []), question.choices)
            rows[question.id] = _merge(rows.get(question.id, []), question.rows)
            previous = question.id
    merged = []
    for question_id in order:
        question = latest[question_id]
        extra_choices = tuple(choices[question_id])
        extra_rows = tuple(rows[question_id])
        if extra_choices != question.choices or extra_rows != question.rows:
            question = replace(question, choices=extra_choices, rows=extra_rows)
        merged.append(question)
    return merged


def _merge(known: list[Choice], newer: Sequence[Choice]) -> list[Choice]:
    """Choices of all versions: a known choice keeps its place and number (newest label); a new
    one is added at the end with its number, or, if an earlier choice has that number, the
    next number free."""
    by_code = {item.code: index for index, item in enumerate(known)}
    result = list(known)
    used = {item.number for item in known}
    for item in newer:
        if item.code in by_code:
            index = by_code[item.code]
            result[index] = replace(item, number=result[index].number)
        else:
            if item.number in used:
                item = replace(item, number=max(used) + 1)
            by_code[item.code] = len(result)
            used.add(item.number)
            result.append(item)
    return result


def _question_columns(question: Question, section_relevance: str | None = None) -> list[Column]:
    """The columns the question's type makes, with where it applies."""
    relevance = question.relevant.source if question.relevant is not None else None
    if section_relevance and relevance:
        relevance = f"({section_relevance}) and ({relevance})"
    elif section_relevance:
        relevance = section_relevance
    common: QuestionFields = {
        "question_id": question.id,
        "personal": question.personal,
        "relevance": relevance,
    }
    return type_of(question).columns(question, common)


def label_of(column: Column, value: Any, language: str, default_language: str) -> Any:
    """A value as its label (label mode); 0/1 columns and values without labels stay as they are."""
    if value is None or column.boolean:
        return value
    if column.value_name is not None:
        return column.value_name(value, language)
    for code, label in column.value_labels:
        if code == value:
            return label.get(language) or label.get(default_language) or str(code)
    return value


def text_of(value: Text, language: str, default_language: str) -> str:
    return value.get(language) or value.get(default_language) or next(iter(value.values()), "")


def number_of(column: Column, value: Any) -> Any:
    """A categorical value as its stable number (SPSS, Stata); other values unchanged."""
    if value is None or not column.numbers:
        return value
    return column.numbers.get(value, value)


def codebook(
    export_columns: Iterable[Column], language: str, default_language: str
) -> list[dict[str, Any]]:
    """One entry per column: variable, question text, type, codes with numbers and labels,
    relevance, missing-value codes, measurement level."""
    entries = []
    for column in export_columns:
        entries.append(
            {
                "variable": column.name,
                "question": text_of(column.label, language, default_language),
                "type": column.kind,
                "measure": column.measure,
                "codes": [
                    {
                        "code": code,
                        "number": column.numbers.get(code, code),
                        "label": text_of(label, language, default_language),
                    }
                    for code, label in column.value_labels
                ],
                "missing": list(column.missing_codes),
                "relevance": column.relevance or "",
            }
        )
    return entries
