"""Responses as stable, flat columns with a codebook. Pure: no Flask, no database session.

Column order: the metadata, then every question in questionnaire order. Columns come from every
version of the questionnaire, merged in order, so a question (or a choice) removed in a later
version keeps its column and a download never changes the meaning of a column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from survey.questionnaire import flow
from survey.questionnaire.countries import country_name
from survey.questionnaire.schema import Choice, Question, Questionnaire, Text

MISSING_LABEL: Text = {"en": "I don't know"}

# Measurement levels as SPSS names them.
NOMINAL, ORDINAL, SCALE = "nominal", "ordinal", "scale"


@dataclass(frozen=True)
class Column:
    """One exported variable and everything the codebook and the typed formats need."""

    name: str
    kind: str  # meta | single | dummy | other | matrix | integer | scale | text | country | email
    label: Text
    question_id: str | None = None
    value_labels: tuple[tuple[Any, Text], ...] = ()  # (code, label) for choice-like columns
    numbers: Mapping[Any, int] = field(default_factory=dict)  # code -> stable number
    missing_codes: tuple[int, ...] = ()  # numbers that mean "I don't know" (9)
    measure: str = NOMINAL
    numeric: bool = False  # stored as numbers in every format
    personal: bool = False
    relevance: str | None = None
    boolean: bool = False  # 0/1 in every mode, labels included

    @property
    def is_categorical(self) -> bool:
        return bool(self.value_labels)


@dataclass(frozen=True)
class ResponseRecord:
    """What the database holds for one response, as the row builder needs it."""

    response_id: str
    status: str
    late: bool
    language: str
    channel: str | None
    questionnaire_version: int
    consent_version: str
    started_at: datetime
    submitted_at: datetime | None
    last_section: str | None
    answers: Mapping[str, Any]
    completed_sections: frozenset[str]


EXPORT_STATUS = {"complete": "complete", "in_progress": "partial", "screened_out": "screened_out"}
STATUS_LABELS: tuple[tuple[Any, Text], ...] = (
    ("complete", {"en": "Complete"}),
    ("partial", {"en": "Partial"}),
    ("screened_out", {"en": "Screened out"}),
)
YES_NO: tuple[tuple[Any, Text], ...] = ((0, {"en": "No"}), (1, {"en": "Yes"}))


def _meta(name: str, label: str, **extra: Any) -> Column:
    return Column(name=name, kind="meta", label={"en": label}, **extra)


METADATA: tuple[Column, ...] = (
    _meta("response_id", "Response id (random)"),
    _meta(
        "status",
        "Status of the response",
        value_labels=STATUS_LABELS,
        numbers={"complete": 1, "partial": 2, "screened_out": 3},
    ),
    _meta(
        "late",
        "Submitted in the grace period after the deadline",
        value_labels=YES_NO,
        numbers={0: 0, 1: 1},
        numeric=True,
        boolean=True,
    ),
    _meta("language", "Language the response was answered in"),
    _meta("channel", "Channel (the ?via= tag of the link used)"),
    _meta("questionnaire_version", "Questionnaire version", numeric=True, measure=SCALE),
    _meta("consent_version", "Consent version agreed to"),
    _meta("started_at", "Started at (UTC, ISO 8601)"),
    _meta("submitted_at", "Submitted at (UTC, ISO 8601)"),
    _meta("duration_seconds", "Seconds from start to submission", numeric=True, measure=SCALE),
    _meta("last_section", "Last section saved (partial responses)"),
)


def columns(versions: Sequence[Questionnaire], *, with_personal_data: bool = False) -> list[Column]:
    """Every column of an export over all `versions` (oldest first)."""
    result = list(METADATA)
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
        result.extend(_question_columns(question, section_relevance.get(question.id)))
    return result


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
            question = _with(question, choices=extra_choices, rows=extra_rows)
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
            result[index] = _with(item, number=result[index].number)
        else:
            if item.number in used:
                item = _with(item, number=max(used) + 1)
            by_code[item.code] = len(result)
            used.add(item.number)
            result.append(item)
    return result


def _with(question: Question, **changes: Any) -> Question:
    from dataclasses import replace

    return replace(question, **changes)


def _question_columns(question: Question, section_relevance: str | None = None) -> list[Column]:
    relevance = question.relevant.source if question.relevant is not None else None
    if section_relevance and relevance:
        relevance = f"({section_relevance}) and ({relevance})"
    elif section_relevance:
        relevance = section_relevance
    common = {
        "question_id": question.id,
        "personal": question.personal,
        "relevance": relevance,
    }
    label = question.label
    if question.type == "single":
        main = [
            Column(
                name=question.id,
                kind="single",
                label=label,
                value_labels=tuple((choice.code, choice.label) for choice in question.choices),
                numbers={choice.code: choice.number for choice in question.choices},
                **common,
            )
        ]
    elif question.type == "multiple":
        main = [
            Column(
                name=f"{question.id}__{choice.code}",
                kind="dummy",
                label=_joined(label, choice.label),
                value_labels=YES_NO,
                numbers={0: 0, 1: 1},
                numeric=True,
                boolean=True,
                **common,
            )
            for choice in question.choices
        ]
    elif question.type == "matrix":
        value_labels = tuple((point.code, point.label) for point in question.scale)
        main = [
            Column(
                name=f"{question.id}__{row.code}",
                kind="matrix",
                label=_joined(label, row.label),
                value_labels=value_labels,
                numbers={point.code: int(point.code) for point in question.scale},
                missing_codes=tuple(int(point.code) for point in question.scale if point.missing),
                measure=ORDINAL,
                numeric=True,
                **common,
            )
            for row in question.rows
        ]
    elif question.type in ("integer", "scale"):
        measure = SCALE if question.type == "integer" else ORDINAL
        main = [
            Column(
                name=question.id,
                kind=question.type,
                label=label,
                measure=measure,
                numeric=True,
                **common,
            )
        ]
    else:
        main = [Column(name=question.id, kind=question.type, label=label, **common)]
    if question.other_choices:
        other_label = {
            language: f"{text} (other, please specify)" for language, text in label.items()
        }
        main.append(Column(name=question.other_field, kind="other", label=other_label, **common))
    return main


def _joined(first: Text, second: Text) -> Text:
    return {language: f"{text}: {second.get(language, '')}" for language, text in first.items()}


RowMaker = Callable[[ResponseRecord, Questionnaire], list[Any]]


def row_maker(export_columns: Sequence[Column]) -> RowMaker:
    """A function that turns one response into its values, column by column: codes, 0/1,
    numbers, text; None = empty.

    A question that did not apply (under the version the person answered) is empty in all its
    columns. Dummies are 0/1 once the question was answered (its section saved); empty before.
    The plan of each column is worked out once here, and which questions apply is computed
    once per distinct set of answers that conditions read, so a large export stays fast.
    """
    plan: list[tuple[str, str, str]] = []
    for column in export_columns:
        question_id = column.question_id or ""
        sub_code = column.name[len(question_id) + 2 :] if column.kind in ("dummy", "matrix") else ""
        plan.append((column.kind, column.name, question_id if column.kind != "meta" else ""))
        if sub_code:
            plan[-1] = (column.kind, sub_code, question_id)
    applying_cache: dict[tuple[Any, ...], dict[str, str]] = {}
    # Keyed by id(); holding the questionnaire here keeps that id from being reused.
    inputs: dict[int, tuple[Questionnaire, tuple[str, ...]]] = {}

    offered_cache: dict[tuple[int, str], frozenset[Any]] = {}

    def offered(questionnaire: Questionnaire, question_id: str) -> frozenset[Any]:
        key = (id(questionnaire), question_id)
        codes = offered_cache.get(key)
        if codes is None:
            question = questionnaire.question(question_id)
            codes = offered_cache[key] = frozenset(choice.code for choice in question.choices)
        return codes

    def make(record: ResponseRecord, questionnaire: Questionnaire) -> list[Any]:
        answers = record.answers
        year = record.started_at.year
        known = inputs.get(id(questionnaire))
        if known is None:
            known = inputs[id(questionnaire)] = (questionnaire, _condition_inputs(questionnaire))
        key = (id(questionnaire), year, *(_frozen(answers.get(name)) for name in known[1]))
        applying = applying_cache.get(key)
        if applying is None:
            applying = applying_cache[key] = _applying_questions(questionnaire, answers, year)
        values: list[Any] = []
        append = values.append
        for kind, name, question_id in plan:
            if kind == "meta":
                append(_meta_value(name, record))
            elif question_id not in applying:
                append(None)
            elif kind == "dummy":
                value = answers.get(question_id)
                if (
                    value is None and applying[question_id] not in record.completed_sections
                ) or name not in offered(questionnaire, question_id):
                    append(None)  # not answered yet, or a choice this version did not offer
                else:
                    append(1 if isinstance(value, list) and name in value else 0)
            elif kind == "matrix":
                value = answers.get(question_id)
                append(value.get(name) if isinstance(value, dict) else None)
            elif kind == "other":
                append(answers.get(name))
            else:
                append(answers.get(question_id))
        return values

    return make


def row(
    record: ResponseRecord, questionnaire: Questionnaire, export_columns: Sequence[Column]
) -> list[Any]:
    """One response as values (see row_maker; for a single row)."""
    return row_maker(export_columns)(record, questionnaire)


def _condition_inputs(questionnaire: Questionnaire) -> tuple[str, ...]:
    """The question ids that section and question conditions read."""
    found: set[str] = set()
    for section in questionnaire.sections:
        if section.relevant is not None:
            found |= section.relevant.question_ids()
        for question in section.questions:
            if question.relevant is not None:
                found |= question.relevant.question_ids()
    return tuple(sorted(found))


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


def _applying_questions(
    questionnaire: Questionnaire, answers: Mapping[str, Any], year: int
) -> dict[str, str]:
    """Question id -> section id of every question that applies to these answers."""
    result = {}
    for section in questionnaire.sections:
        if not flow.section_applies(section, answers, year):
            continue
        for question in section.questions:
            if flow.question_applies(question, answers, year):
                result[question.id] = section.id
    return result


def _meta_value(name: str, record: ResponseRecord) -> Any:
    match name:
        case "response_id":
            return record.response_id
        case "status":
            return EXPORT_STATUS.get(record.status, record.status)
        case "late":
            return 1 if record.late else 0
        case "language":
            return record.language
        case "channel":
            return record.channel
        case "questionnaire_version":
            return record.questionnaire_version
        case "consent_version":
            return record.consent_version
        case "started_at":
            return _iso(record.started_at)
        case "submitted_at":
            return _iso(record.submitted_at)
        case "duration_seconds":
            if record.submitted_at is None:
                return None
            return int((record.submitted_at - record.started_at).total_seconds())
        case "last_section":
            return record.last_section if record.status != "complete" else None
    raise KeyError(name)


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def label_of(column: Column, value: Any, language: str, default_language: str) -> Any:
    """A value as its label (label mode); 0/1 columns and values without labels stay as they are."""
    if value is None or column.boolean:
        return value
    if column.kind == "country":
        return country_name(str(value), language)
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
