"""Questionnaire definitions: read a YAML file, check every part of it, build immutable objects."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from survey.deadline_rules import (
    MAX_CONTACT_LENGTH,
    LocalTimeError,
    Schedule,
    local_to_utc,
    valid_timezone,
)
from survey.questionnaire.columns import QuestionFields
from survey.questionnaire.model import (
    SPEEDER_FRACTION,
    Choice,
    Question,
    Questionnaire,
    Section,
    Text,
)
from survey.questionnaire.schema_conditions import ConditionReader
from survey.questionnaire.types import TYPES
from survey.questionnaire.types.base import CODE
from survey.questionnaire.yaml_file import Lines, Places, YamlError, fingerprint, parse

__all__ = [
    "Choice",
    "Places",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "Section",
    "Text",
    "fingerprint",
    "load_file",
    "load_text",
    "read_source",
]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")

_TOP_KEYS = {
    "slug",
    "languages",
    "title",
    "short_title",
    "intro",
    "schedule",
    "consent",
    "analysis",
    "sections",
}
_SECTION_KEYS = {"id", "title", "intro", "relevant", "questions"}
_COMMON_KEYS = {
    "id",
    "type",
    "label",
    "help",
    "required",
    "relevant",
    "constraints",
    "screen_out",
    "personal",
    "required_message",
}


class QuestionnaireError(ValueError):
    """A questionnaire file with problems; `problems` holds one line for each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def load_file(path: str | Path) -> Questionnaire:
    """Read and check a questionnaire file; raise QuestionnaireError naming file and place."""
    return load_text(read_source(path), str(path))


def read_source(path: str | Path) -> str:
    """A questionnaire file's text; QuestionnaireError if it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionnaireError([f"{path}: cannot read the file: {error}"]) from None


def load_text(text: str, source_name: str, places: Places | None = None) -> Questionnaire:
    """Parse questionnaire YAML text; `source_name` names it in error messages, which give the
    line of each problem, or its place in the file the text was converted from (`places`)."""
    try:
        data, lines, duplicates = parse(text, source_name)
    except YamlError as error:
        raise QuestionnaireError([str(error)]) from None
    builder = _Builder(source_name, lines, places)
    for path, line in duplicates:
        builder.problems.append(f"{source_name}:{line}: {builder.describe(path)}: key given twice")
    questionnaire = builder.build(data)
    if builder.problems:
        raise QuestionnaireError(builder.problems)
    assert questionnaire is not None
    return questionnaire


class _Builder(ConditionReader):
    """Walks the parsed YAML, collecting every problem instead of stopping at the first."""

    def __init__(self, source_name: str, lines: Lines, places: Places | None = None):
        super().__init__(source_name, lines, places)
        self.section_of: dict[str, str] = {}
        self.lower_ids: dict[str, str] = {}  # lower-cased id -> the id as written

    # -- the document ------------------------------------------------------------------------

    def build(self, data: Any) -> Questionnaire | None:
        top = self.mapping(data, (), _TOP_KEYS)
        for key in ("slug", "languages", "title", "schedule", "consent", "sections"):
            if top and key not in top:
                self.problem((), f"missing key {key!r}")
        slug = top.get("slug")
        if "slug" in top and (not isinstance(slug, str) or not _SLUG.match(slug)):
            self.problem(("slug",), "must be lower-case letters, digits and hyphens")
        languages = top.get("languages")
        if (
            isinstance(languages, list)
            and languages
            and all(isinstance(item, str) and _LANGUAGE.match(item) for item in languages)
        ):
            self.languages = tuple(languages)
        elif "languages" in top:
            self.problem(("languages",), "must be a list of language codes such as [en, fr]")
        title = self.text(top.get("title"), ("title",))
        short_title = self.text(top.get("short_title"), ("short_title",), required=False)
        intro = self.text(top.get("intro"), ("intro",), required=False)
        schedule = self.schedule(top.get("schedule"), ("schedule",))
        consent = self.mapping(top.get("consent"), ("consent",), {"version", "label"})
        consent_version = consent.get("version")
        if consent and (not isinstance(consent_version, str | int) or consent_version == ""):
            self.problem(("consent", "version"), "missing consent version")
        consent_label = self.text(consent.get("label"), ("consent", "label"))
        sections = self.sections(top.get("sections"), ("sections",))
        country, breakdowns, speeder_fraction = self.analysis(top.get("analysis"), ("analysis",))
        if self.problems or schedule is None:
            return None
        return Questionnaire(
            slug=str(slug),
            languages=self.languages,
            title=title or {},
            short_title=short_title,
            intro=intro or {},
            schedule=schedule,
            consent_version=str(consent_version),
            consent_label=consent_label or {},
            sections=tuple(sections),
            country_question=country,
            breakdowns=breakdowns,
            speeder_fraction=speeder_fraction,
            _questions=dict(self.questions),
        )

    def analysis(
        self, value: Any, path: tuple[Any, ...]
    ) -> tuple[str | None, tuple[str, ...], float]:
        """The country question (declared, else the first question of type country), the
        dashboard's breakdowns (choice questions) and the speeder fraction."""
        known = {"country", "breakdowns", "speeder_fraction"}
        data = self.mapping(value, path, known) if value is not None else {}
        fraction = data.get("speeder_fraction", SPEEDER_FRACTION)
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not 0 < fraction < 1
        ):
            self.problem(
                (*path, "speeder_fraction"),
                f"must be a number between 0 and 1 (a share of the median time), not {fraction!r}",
            )
            fraction = SPEEDER_FRACTION
        country = data.get("country")
        if country is None:
            first = next((q for q in self.questions.values() if q.type == "country"), None)
            country = first.id if first is not None else None
        elif not isinstance(country, str) or country not in self.questions:
            self.problem((*path, "country"), f"unknown question id {country!r}")
            country = None
        elif TYPES[self.questions[country].type].compares_as != CODE:
            self.problem((*path, "country"), f"{country!r} must be a country or single question")
            country = None
        raw = data.get("breakdowns", [])
        if not isinstance(raw, list):
            self.problem((*path, "breakdowns"), "must be a list of question ids")
            raw = []
        breakdowns = []
        for index, name in enumerate(raw):
            question = self.questions.get(name) if isinstance(name, str) else None
            if question is None:
                self.problem((*path, "breakdowns", index), f"unknown question id {name!r}")
            elif not question.choices:
                self.problem(
                    (*path, "breakdowns", index), f"{name!r} must be a single or multiple question"
                )
            else:
                breakdowns.append(name)
        return country, tuple(breakdowns), float(fraction)

    def schedule(self, value: Any, path: tuple[Any, ...]) -> Schedule | None:
        data = self.mapping(
            value, path, {"opens_at", "closes_at", "timezone", "grace_minutes", "contact"}
        )
        timezone = data.get("timezone")
        if not isinstance(timezone, str) or not valid_timezone(timezone):
            self.problem((*path, "timezone"), f"unknown time zone {timezone!r}")
            return None
        grace = data.get("grace_minutes", 0)
        grace_minutes = self.integer(grace, (*path, "grace_minutes"))
        if grace_minutes is not None and grace_minutes < 0:
            self.problem((*path, "grace_minutes"), "cannot be negative")
        times: dict[str, datetime | None] = {}
        for key in ("opens_at", "closes_at"):
            raw = data.get(key)
            if raw is None:
                times[key] = None
                continue
            try:
                local = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
                times[key] = local_to_utc(local, timezone)
            except ValueError as error:
                self.problem((*path, key), f"not a date and time: {error}")
                return None
            except LocalTimeError as error:
                self.problem((*path, key), str(error))
                return None
        opens_at, closes_at = times["opens_at"], times["closes_at"]
        if opens_at and closes_at and closes_at <= opens_at:
            self.problem((*path, "closes_at"), "must be after opens_at")
        contact = data.get("contact")
        if contact is not None and (not isinstance(contact, str) or not contact.strip()):
            self.problem((*path, "contact"), "must be text: an email address or whom to write to")
            contact = None
        elif contact is not None and len(contact.strip()) > MAX_CONTACT_LENGTH:
            self.problem((*path, "contact"), f"can have at most {MAX_CONTACT_LENGTH} characters")
        return Schedule(
            opens_at, closes_at, timezone, grace_minutes or 0, contact and contact.strip()
        )

    def sections(self, value: Any, path: tuple[Any, ...]) -> list[Section]:
        if not isinstance(value, list) or not value:
            self.problem(path, "must be a non-empty list of sections")
            return []
        # First every id and its position, so conditions can be checked against them.
        raw_sections = self.index_sections(value, path)
        sections = [self.section(*item) for item in raw_sections]
        if not self.problems:  # a type makes its columns from a question without mistakes
            self.column_clashes()
        return sections

    def column_clashes(self) -> None:
        """A question id that is also the name of another question's export column (its
        "Please specify" text, a point's latitude), ignoring case as SPSS and Stata do."""
        ids = {question_id.lower(): question_id for question_id in self.questions}
        for question in self.questions.values():
            common: QuestionFields = {
                "question_id": question.id,
                "personal": False,
                "relevance": None,
            }
            for column in TYPES[question.type].columns(question, common):
                other = ids.get(column.name.lower())
                if other is not None and column.name != question.id:
                    self.problem(
                        ("sections",),
                        f"question id {other!r} clashes with the column {column.name!r} "
                        f"of {question.id!r}",
                    )

    def index_sections(
        self, value: list[Any], path: tuple[Any, ...]
    ) -> list[tuple[tuple[Any, ...], dict[str, Any], str | None, list[Any]]]:
        """Each section's place, data, id and questions; every question id gets its position."""
        raw_sections = []
        seen_sections: set[str | None] = set()
        for index, raw in enumerate(value):
            section_path = (*path, index)
            data = self.mapping(raw, section_path, _SECTION_KEYS)
            section_id = self.identifier(data.get("id"), (*section_path, "id"), "section")
            if section_id is not None and section_id in seen_sections:
                self.problem((*section_path, "id"), f"duplicate section id {section_id!r}")
            seen_sections.add(section_id)
            questions = data.get("questions")
            if not isinstance(questions, list) or not questions:
                self.problem((*section_path, "questions"), "must be a non-empty list")
                questions = []
            raw_sections.append((section_path, data, section_id, questions))
            for q_index, question in enumerate(questions):
                q_id = question.get("id") if isinstance(question, dict) else None
                if not isinstance(q_id, str):
                    continue
                if q_id in self.order:
                    self.problem(
                        (*section_path, "questions", q_index, "id"),
                        f"duplicate question id {q_id!r}",
                    )
                elif q_id.lower() in self.lower_ids:
                    self.problem(
                        (*section_path, "questions", q_index, "id"),
                        f"question id {q_id!r} differs from {self.lower_ids[q_id.lower()]!r} "
                        "only in capitals (SPSS and Stata would take them for one variable)",
                    )
                self.lower_ids.setdefault(q_id.lower(), q_id)
                self.order.setdefault(q_id, len(self.order))
                self.section_of.setdefault(q_id, str(section_id))
        return raw_sections

    def section(
        self,
        section_path: tuple[Any, ...],
        data: dict[str, Any],
        section_id: str | None,
        questions: list[Any],
    ) -> Section:
        ids: list[str] = [
            q["id"] for q in questions if isinstance(q, dict) and q.get("id") in self.order
        ]
        first = self.order[ids[0]] if ids else len(self.order)
        built = [
            self.question(raw, (*section_path, "questions", q_index), str(section_id))
            for q_index, raw in enumerate(questions)
        ]
        relevant = self.condition(
            data.get("relevant"), (*section_path, "relevant"), before=first, inclusive=False
        )
        return Section(
            id=str(section_id),
            title=self.text(data.get("title"), (*section_path, "title")) or {},
            intro=self.text(data.get("intro"), (*section_path, "intro"), required=False),
            relevant=relevant,
            questions=tuple(item for item in built if item is not None),
        )

    def question(self, raw: Any, path: tuple[Any, ...], section_id: str) -> Question | None:
        q_type = raw.get("type") if isinstance(raw, dict) else None
        kind = TYPES.get(q_type) if isinstance(q_type, str) else None
        if kind is None:
            if isinstance(raw, dict):
                self.problem(
                    (*path, "type"),
                    f"unknown question type {q_type!r} (one of: {', '.join(TYPES)})",
                )
            else:
                self.problem(path, "must be a mapping of keys to values")
            return None
        data = self.mapping(raw, path, _COMMON_KEYS | kind.keys)
        question_id = self.identifier(data.get("id"), (*path, "id"), "question")
        if question_id is None:
            return None
        position = self.order[question_id]
        values: dict[str, Any] = {
            "id": question_id,
            "type": kind.name,
            "section_id": section_id,
            "label": self.text(data.get("label"), (*path, "label"), required=kind.asked) or {},
            "help": self.text(data.get("help"), (*path, "help"), required=False),
            "required": self.boolean(data.get("required"), (*path, "required")),
            "required_message": self.text(
                data.get("required_message"), (*path, "required_message"), required=False
            ),
            "personal": self.boolean(data.get("personal"), (*path, "personal")),
            **kind.build(self, data, path, position),
        }
        # Conditions are checked after the question exists, so a rule may name its own question.
        self.questions[question_id] = Question(**values)
        question = Question(**values, **self.rules(data, path, position))
        self.questions[question_id] = question
        return question
