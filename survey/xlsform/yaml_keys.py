"""A questionnaire's objects as the keys of its YAML file, for the `survey_keys` cells of an
XLSForm (the reader lays them over what it reads from a row)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from survey.deadline_rules import Schedule, to_local
from survey.questionnaire.conditions import Condition
from survey.questionnaire.model import SPEEDER_FRACTION, Choice, Question, Questionnaire, Text
from survey.questionnaire.types import TYPES
from survey.questionnaire.types.decimal import DEFAULT_DECIMALS

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
        **({"contact": schedule.contact} if schedule.contact else {}),
    }


def questionnaire_keys(questionnaire: Questionnaire) -> dict[str, Any]:
    """The top-level keys of a questionnaire that XLSForm's settings cannot say."""
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
    if questionnaire.speeder_fraction != SPEEDER_FRACTION:
        analysis["speeder_fraction"] = questionnaire.speeder_fraction
    if analysis:
        keys["analysis"] = analysis
    return keys


def as_json(keys: Mapping[str, Any]) -> str | None:
    return json.dumps(keys, ensure_ascii=False) if keys else None
