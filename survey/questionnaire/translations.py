"""Translations that cannot drift: which translated texts were made from an older source text.

Next to a questionnaire file `NAME.yaml` lives `NAME.translations.json`, written by `survey
questionnaire stamp`: for every text, a fingerprint of the default-language (source) text and
of each translation as they were when stamped. A translation is *stale* when its source text
has changed since and the translation has not: someone edited the English and nobody has
looked at the French since. Editing the translation as well clears it (the stamp then only
records the new state). Pure: no Flask, no database.

Texts are named by ids, not positions (`section.about_you.question.gender.choice.woman`), so
moving a question does not make its translations stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from survey.questionnaire.schema import Question, Questionnaire, Text

RECORD_SUFFIX = ".translations.json"
RECORD_FORMAT = 1


@dataclass(frozen=True)
class StaleTranslation:
    key: str
    language: str
    reason: str

    def line(self, path: Path) -> str:
        return f"{path}: {self.key}: {self.language} {self.reason}"


def record_path(questionnaire_file: Path) -> Path:
    """Where the fingerprints of `questionnaire_file`'s translations are kept."""
    return questionnaire_file.with_name(questionnaire_file.stem + RECORD_SUFFIX)


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def texts(questionnaire: Questionnaire) -> Iterator[tuple[str, Text]]:
    """Every text a person reads, with a stable name."""
    yield "title", questionnaire.title
    if questionnaire.short_title:
        yield "short_title", questionnaire.short_title
    yield "intro", questionnaire.intro
    yield "consent", questionnaire.consent_label
    for section in questionnaire.sections:
        prefix = f"section.{section.id}"
        yield f"{prefix}.title", section.title
        if section.intro:
            yield f"{prefix}.intro", section.intro
        for question in section.questions:
            yield from _question_texts(f"{prefix}.question.{question.id}", question)


def _question_texts(prefix: str, question: Question) -> Iterator[tuple[str, Text]]:
    yield f"{prefix}.label", question.label
    for name in ("help", "min_label", "max_label"):
        value = getattr(question, name)
        if value:
            yield f"{prefix}.{name}", value
    if question.screen_out is not None:
        yield f"{prefix}.screen_out", question.screen_out.message
    for number, constraint in enumerate(question.constraints, start=1):
        yield f"{prefix}.constraint{number}", constraint.message
    for kind, items in (("choice", question.choices), ("row", question.rows)):
        for item in items:
            yield f"{prefix}.{kind}.{item.code}", item.label
    for point in question.scale:
        yield f"{prefix}.scale.{point.code}", point.label


def stamp(questionnaire: Questionnaire) -> dict[str, Any]:
    """The fingerprints of every text as it is now (what `stamp` writes)."""
    source = questionnaire.default_language
    entries = {}
    for key, value in texts(questionnaire):
        entry = {"source": fingerprint(value.get(source, ""))}
        for language in questionnaire.languages[1:]:
            if value.get(language):
                entry[language] = fingerprint(value[language])
        entries[key] = entry
    return {"format": RECORD_FORMAT, "source_language": source, "texts": entries}


def stale(questionnaire: Questionnaire, record: Mapping[str, Any]) -> list[StaleTranslation]:
    """Translations made from a source text that has changed since they were stamped, and
    translations never stamped at all."""
    recorded: Mapping[str, Mapping[str, str]] = record.get("texts", {})
    source = questionnaire.default_language
    found = []
    for key, value in texts(questionnaire):
        entry = recorded.get(key)
        for language in questionnaire.languages[1:]:
            translation = value.get(language)
            if not translation:
                continue  # missing texts are the loader's to report
            if entry is None or language not in entry:
                found.append(StaleTranslation(key, language, "translation was never stamped"))
            elif entry.get("source") != fingerprint(value.get(source, "")) and entry[
                language
            ] == fingerprint(translation):
                found.append(
                    StaleTranslation(
                        key, language, f"translation is stale: the {source} text changed since"
                    )
                )
    return found


def read_record(path: Path) -> dict[str, Any]:
    """The stamped fingerprints; an empty record when there is no file yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: cannot be read as translation fingerprints: {error}") from error
    if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
        raise ValueError(f"{path}: not a translation fingerprints file (format {RECORD_FORMAT})")
    return data


def write_record(path: Path, record: Mapping[str, Any]) -> None:
    """One key per line, sorted, so a change shows as a small diff."""
    path.write_text(json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
