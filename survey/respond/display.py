"""Answers, deadlines and messages as people read them."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_datetime, format_timedelta, get_timezone_location
from flask_babel import get_locale
from markupsafe import Markup, escape

from survey.deadline_rules import Schedule, State, state_at, to_local
from survey.i18n import current_language, text
from survey.i18n import gettext as _
from survey.questionnaire import flow
from survey.questionnaire.countries import country_names
from survey.questionnaire.model import Choice, Question, Questionnaire, Section
from survey.questionnaire.types import type_of


def zone_name(timezone: str, language: str) -> str:
    """A time zone as a reader of `language` knows it: its city in that language ("Bruselas",
    "Bruxelles"); in English, and wherever the locale data has no city, the zone's own name
    ("Europe/Brussels"), as admins set it."""
    if language == "en":
        return timezone
    try:
        city = get_timezone_location(timezone, locale=language, return_city=True)
    except (LookupError, ValueError):
        return timezone
    return str(city) or timezone


@dataclass(frozen=True)
class Moment:
    """An instant for people: in the survey's zone with its UTC offset, and as ISO UTC."""

    local: str
    zone: str
    offset: str
    iso_utc: str


def moment(value: datetime | None, timezone: str) -> Moment | None:
    if value is None:
        return None
    # TRANSLATORS: a date and time as a CLDR pattern: d day, MMMM month name, y year, HH:mm
    # hours and minutes; words in single quotes, e.g. "d 'de' MMMM 'de' y, HH:mm".
    pattern = _("d MMMM y, HH:mm")
    return _moment(value, timezone, pattern, current_language())


@functools.lru_cache(maxsize=256)
def _moment(value: datetime, timezone: str, pattern: str, language: str) -> Moment:
    """A moment as written for a language (every respondent page shows the same few)."""
    local = to_local(value, timezone)
    offset = local.strftime("%z")
    return Moment(
        local=format_datetime(local, pattern, locale=language),
        zone=zone_name(timezone, language),
        offset=f"UTC{offset[:3]}:{offset[3:]}",
        iso_utc=value.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


@dataclass(frozen=True)
class Deadline:
    closes: Moment
    grace_ends: Moment | None
    remaining: str | None  # in the last 48 hours: "2 days", "5 hours"...
    in_grace: bool  # the reader is finishing a response in the grace period
    target_iso: str  # the instant `remaining` counts down to


def deadline(schedule: Schedule, now: datetime, *, finishing: bool) -> Deadline | None:
    """The deadline as a page shows it to its reader. In the grace period only a reader
    `finishing` a response (started before the close, not yet submitted) has time left: anyone
    else may not start, and reads that the survey is closed."""
    closes = moment(schedule.closes_at, schedule.timezone)
    if closes is None or schedule.closes_at is None:
        return None
    state = state_at(schedule, now)
    in_grace = state is State.GRACE and finishing
    target = schedule.grace_ends_at if in_grace else schedule.closes_at
    remaining = None
    if target is not None and (state is State.OPEN or in_grace):
        left = target - now
        if left.total_seconds() <= 48 * 3600:
            remaining = format_timedelta(left, threshold=1.5, locale=str(get_locale() or "en"))
    return Deadline(
        closes=closes,
        grace_ends=moment(schedule.grace_ends_at, schedule.timezone),
        remaining=remaining,
        in_grace=in_grace,
        target_iso=(target or schedule.closes_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


@dataclass(frozen=True)
class AnswerRow:
    question: str
    answer: list[str]


def section_answers(section: Section, answers: dict[str, Any], today: date) -> list[AnswerRow]:
    """Each question shown in a section with the answer given, for the review page (a note,
    which has no answer, is left out)."""
    rows = []
    for question in section.questions:
        kind = type_of(question)
        if not (kind.asked and kind.has_answer) or not flow.question_applies(
            question, answers, today
        ):
            continue
        rows.append(AnswerRow(text(question.label), answer_lines(question, answers)))
    return rows


def answer_lines(question: Question, answers: dict[str, Any]) -> list[str]:
    value = answers.get(question.id)
    if value is None or value == [] or value == {}:
        return [_("Not answered")]
    return type_of(question).review(question, answers, current_language())


def screen_out_message(questionnaire: Questionnaire, answers: dict[str, Any], today: date) -> str:
    for question in questionnaire.questions():
        rule = question.screen_out
        if rule is not None and rule.when.evaluate(answers, today):
            return text(rule.message)
    return _("Thank you. This survey is not for you, but we are grateful for your time.")


def anchors(section: Section, values: Mapping[str, list[str]]) -> dict[str, str]:
    """The id of the input an error-summary link should focus for each field of a section, on
    a page showing `values` (form fields)."""
    given = {name: items[0] for name, items in values.items() if items}
    result: dict[str, str] = {}
    for question in section.questions:
        result.update(type_of(question).anchors(question, given))
    return result


@dataclass(frozen=True)
class ChoiceGroup:
    """Choices shown together: under the earlier answer they belong to (`parent`), or not."""

    parent: Choice | None
    choices: tuple[Choice, ...]


def paragraphs(text: str) -> list[list[str]]:
    """A text as the page shows it: paragraphs split at blank lines, each the list of its lines
    (a single line break stays a line break, as ODK and KoboToolbox show a note's lines)."""
    found = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if lines:
            found.append(lines)
    return found


def choice_groups(question: Question, values: Mapping[str, list[str]]) -> list[ChoiceGroup]:
    """A choice list as the page shows it. A list that follows an earlier answer offers only
    the choices of that answer when it was given on an earlier page; when it is asked on the
    same page, the choices are grouped under the answer they belong to (the page script then
    shows only the matching group)."""
    cascade = question.cascade
    if cascade is None:
        return [ChoiceGroup(None, question.choices)]
    if cascade.section_id != question.section_id:
        given = next(iter(values.get(cascade.question_id) or []), None)
        offered = tuple(item for item in question.choices if item.parent in (None, given))
        return [ChoiceGroup(None, offered)]
    groups = [
        ChoiceGroup(parent, tuple(item for item in question.choices if item.parent == parent.code))
        for parent in cascade.parents
    ]
    free = tuple(item for item in question.choices if item.parent is None)
    return [group for group in groups if group.choices] + (
        [ChoiceGroup(None, free)] if free else []
    )


def cascade_values(section: Section, answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """The saved answers that choice lists of this section follow, from earlier pages."""
    found = {}
    for question in section.questions:
        cascade = question.cascade
        if cascade is not None and cascade.section_id != section.id:
            given = answers.get(cascade.question_id)
            if given is not None:
                found[cascade.question_id] = [str(given)]
    return found


def earlier_answers(
    questionnaire: Questionnaire, answers: dict[str, Any], section: Section
) -> dict[str, Any]:
    """Saved answers from other sections that this section's conditions read (for the script)."""
    own = {question.id for question in section.questions}
    named = {
        name
        for question in section.questions
        for condition in (question.relevant, question.calculation)
        if condition is not None
        for name in condition.question_ids()
    } | {question.cascade.question_id for question in section.questions if question.cascade}
    return {name: answers[name] for name in sorted(named - own) if name in answers}


def field_label(questionnaire: Questionnaire, field: str) -> str:
    """The question a form field belongs to (a matrix row's question; "Please specify" boxes
    named as such), so an error-summary line makes sense on its own."""
    question_id = field.partition("__")[0]
    if not questionnaire.has_question(question_id) and question_id.endswith("_other"):
        question = questionnaire.question(question_id.removesuffix("_other"))
        return _("%(question)s (Please specify)", question=text(question.label))
    return text(questionnaire.question(question_id).label)


@functools.lru_cache(maxsize=16)
def _country_options(language: str) -> tuple[str, frozenset[str]]:
    """The HTML <option>s of every country, named and sorted for `language`, and their codes:
    built once per language (some 250 of them on every page that asks for a country)."""
    names = country_names(language)
    options = "".join(
        f'<option value="{escape(code)}">{escape(name)}</option>' for code, name in names
    )
    return options, frozenset(code for code, _name in names)


def country_options(language: str, selected: str) -> Markup:
    """The country <option>s in `language`, the `selected` one marked so."""
    options, codes = _country_options(language)
    if selected in codes:
        chosen = f'<option value="{escape(selected)}"'
        options = options.replace(f"{chosen}>", f"{chosen} selected>", 1)
    return Markup(options)  # noqa: S704 - built from escaped codes and names
