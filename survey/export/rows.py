"""Responses as rows of the export's columns. Pure: no Flask, no database session.

`row_maker` turns each stored response into its values, column by column, under the version of
the questionnaire the person answered (see its docstring for how the work is done once).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from survey.export.flatten import EXPORT_STATUS, Column
from survey.questionnaire import flow, quality
from survey.questionnaire.model import SPEEDER_FRACTION, Questionnaire
from survey.questionnaire.types import type_of


class ResponseRecord(NamedTuple):
    """What the database holds for one response, as the row builder needs it (a tuple: one
    is made per response, and tuples are the cheapest to make)."""

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
    completed_sections: Collection[str]


RowMaker = Callable[[ResponseRecord, Questionnaire], list[Any]]
# A compiled row: (answers.get, completed sections, metadata values) -> values.
RowFunction = Callable[[Callable[[str], Any], Collection[str], Mapping[str, Any]], list[Any]]

# What each step of a row does under one questionnaire version, worked out once per version.
_META, _EMPTY, _VALUE, _OTHER, _PARTS, _DUMMIES = range(6)
Step = tuple[int, str, str, Any]  # (action, name, question id, extra)


def row_maker(
    export_columns: Sequence[Column],
    paces: Mapping[int, quality.Pace] | None = None,
    speeder_fraction: float = SPEEDER_FRACTION,
) -> RowMaker:
    """A function that turns one response into its values, column by column: codes, 0/1,
    numbers, text; None = empty.

    The quality flags follow survey.questionnaire.quality: `paces` (by version number) are how
    fast the complete responses to each version were; without them, no one is judged a speeder.

    A question that did not apply (under the version the person answered) is empty in all its
    columns; so is a choice that version did not offer. Dummies are 0/1 once the question was
    answered (its section saved), empty before. For a screened-out response, every question
    after the one that screened it out did not apply, in its section and in every later one
    (whatever was saved there before the person went back and was screened out).

    An export makes this row for every response, so the work is done once where it can be: the
    steps of a row once per version; which questions apply once per distinct set of the answers
    that conditions read; and, for each distinct set of questions that apply, the steps become
    one small Python function (see `_compile`), so a row is a single list display instead of a
    loop that decides, column by column, what to do.
    """
    return _RowMaker(export_columns, paces or {}, speeder_fraction)


class _Plan(NamedTuple):
    """A row's steps under one version, and the answers its conditions read (`compound`: the
    lists and maps, frozen to be part of a key)."""

    questionnaire: Questionnaire  # held so that its id() is not reused while cached
    steps: list[Step]
    plain: tuple[str, ...]
    compound: tuple[str, ...]
    screening: tuple[str, ...]  # what screen-out rules read (for screened-out responses)
    grids: tuple[str, ...]  # what straightlining reads


class _Compiled(NamedTuple):
    """The row function for one set of questions that apply, and the grids among them."""

    function: RowFunction
    grids: tuple[str, ...]


class _RowMaker:
    def __init__(
        self,
        export_columns: Sequence[Column],
        paces: Mapping[int, quality.Pace],
        speeder_fraction: float,
    ):
        self.columns = export_columns
        self.paces = paces
        self.speeder_fraction = speeder_fraction
        self.plans: dict[int, _Plan] = {}
        self.by_inputs: dict[tuple[Any, ...], _Compiled] = {}
        self.by_applying: dict[tuple[int, frozenset[tuple[str, str]]], _Compiled] = {}

    def __call__(self, record: ResponseRecord, questionnaire: Questionnaire) -> list[Any]:
        answers = record.answers
        today = record.started_at.date()
        plan = self.plan(questionnaire)
        get = answers.get
        screened_out = record.status == "screened_out"
        key = (
            id(questionnaire),
            today,
            screened_out,
            *map(get, plan.plain),
            *[_frozen(get(name)) for name in plan.compound],
            *([_frozen(get(name)) for name in plan.screening] if screened_out else ()),
        )
        compiled = self.by_inputs.get(key)
        if compiled is None:
            compiled = self.by_inputs[key] = self.function(plan, answers, today, screened_out)
        function, grids = compiled
        meta = _meta_values(record)
        submitted = record.submitted_at
        meta["flag_speeder"] = quality.speeder(
            record.status,
            (submitted - record.started_at).total_seconds() if submitted else None,
            self.paces.get(record.questionnaire_version),
            self.speeder_fraction,
        )
        meta["flag_straightlining"] = quality.straightlined(answers, grids)
        return function(get, record.completed_sections, meta)

    def plan(self, questionnaire: Questionnaire) -> _Plan:
        known = self.plans.get(id(questionnaire))
        if known is None:
            inputs = _condition_inputs(questionnaire)
            compound = {name for name in inputs if type_of(questionnaire.question(name)).compound}
            known = self.plans[id(questionnaire)] = _Plan(
                questionnaire,
                _steps(self.columns, questionnaire),
                tuple(name for name in inputs if name not in compound),
                tuple(name for name in inputs if name in compound),
                _screening_inputs(questionnaire),
                quality.grids(questionnaire),
            )
        return known

    def function(
        self, plan: _Plan, answers: Mapping[str, Any], today: date, screened_out: bool
    ) -> _Compiled:
        applying = _applying_questions(plan.questionnaire, answers, today, screened_out)
        # Many condition inputs (an age, a day) give the same questions: compile once for them.
        signature = (id(plan.questionnaire), frozenset(applying.items()))
        compiled = self.by_applying.get(signature)
        if compiled is None:
            steps = _narrow(plan.steps, applying)
            # Only a grid that applied can flag straightlining (a screened-out response may
            # hold answers to one saved before the screen).
            grids = tuple(question_id for question_id in plan.grids if question_id in applying)
            compiled = self.by_applying[signature] = _Compiled(_compile(steps, applying), grids)
        return compiled


def _compile(steps: list[Step], applying: Mapping[str, str]) -> RowFunction:
    """The steps of one narrowed plan as the source of one function, compiled.

    Every name, id and code goes into the source through repr(), as a literal, never as code
    (ids and codes are also checked against [a-z0-9_] patterns when a questionnaire is loaded).
    """
    lines = ["def row(get, completed, meta):"]
    items = []
    for number, (action, name, question_id, extra) in enumerate(steps):
        if action == _EMPTY:
            items.extend(["None"] * len(extra))
        elif action == _META:
            items.append(f"meta[{name!r}]")
        elif action in (_VALUE, _OTHER):
            items.append(f"get({(name if action == _OTHER else question_id)!r})")
        elif action == _PARTS:  # keys of a map answer: matrix rows, a point's coordinates
            keys = "".join(f"value.get({key!r}), " for key in extra)
            lines += [
                f"    value = get({question_id!r})",
                f"    part{number} = {(None,) * len(extra)!r} if value is None else ({keys})",
            ]
            items.append(f"*part{number}")
        else:  # _DUMMIES: empty until the question's section was saved, then 0/1 per choice
            dummies = "".join(
                "None, " if code is None else f"1 if {code!r} in value else 0, " for code in extra
            )
            lines += [
                f"    value = get({question_id!r})",
                f"    if value is None and {applying[question_id]!r} not in completed:",
                f"        part{number} = {(None,) * len(extra)!r}",
                "    else:",
                "        value = value or ()",
                f"        part{number} = ({dummies})",
            ]
            items.append(f"*part{number}")
    lines.append(f"    return [{', '.join(items)}]")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), "<export row>", "exec"), namespace)  # noqa: S102
    function: RowFunction = namespace["row"]
    return function


def _steps(export_columns: Sequence[Column], questionnaire: Questionnaire) -> list[Step]:
    """The steps that fill a row's columns in order, under one version."""
    steps: list[Step] = []
    for column in export_columns:
        question_id = column.question_id or ""
        code = column.name[len(question_id) + 2 :]
        if column.kind in ("meta", "quality"):
            steps.append((_META, column.name, "", None))
        elif not questionnaire.has_question(question_id):
            steps.append((_EMPTY, column.name, question_id, [None]))
        elif column.kind == "dummy" or column.part is not None:
            action = _DUMMIES if column.kind == "dummy" else _PARTS
            if column.kind == "dummy":
                offered = {str(item.code) for item in questionnaire.question(question_id).choices}
                code = code if code in offered else None  # type: ignore[assignment]
            else:
                code = str(column.part)
            if steps and steps[-1][0] == action and steps[-1][2] == question_id:
                steps[-1][3].append(code)
            else:
                steps.append((action, column.name, question_id, [code]))
        elif column.kind == "other":
            steps.append((_OTHER, column.name, question_id, None))
        else:
            steps.append((_VALUE, column.name, question_id, None))
    return steps


def _narrow(steps: list[Step], applying: Mapping[str, str]) -> list[Step]:
    """The steps for a response to which only the `applying` questions apply."""
    result: list[Step] = []
    for action, name, question_id, extra in steps:
        if action != _META and question_id not in applying:
            width = len(extra) if action in (_DUMMIES, _PARTS, _EMPTY) else 1
            result.append((_EMPTY, name, question_id, [None] * width))
        else:
            result.append((action, name, question_id, extra))
    return result


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


def _screening_inputs(questionnaire: Questionnaire) -> tuple[str, ...]:
    """The question ids that screen-out rules read."""
    found: set[str] = set()
    for question in questionnaire.questions():
        if question.screen_out is not None:
            found |= question.screen_out.when.question_ids()
    return tuple(sorted(found))


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


def _applying_questions(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    today: date,
    screened_out: bool = False,
) -> dict[str, str]:
    """Question id -> section id of every question that applies to these answers; for a
    `screened_out` response, none after the question that screened it out: the survey ended
    there. Its section was saved with the answers up to it only; sections after it may hold
    answers saved before the person went back and changed an earlier answer (an age), which
    stay stored but did not apply. (A screen-out rule reads only earlier answers, so the first
    that holds is the one that ended the response.)"""
    result = {}
    for section in questionnaire.sections:
        if not flow.section_applies(section, answers, today):
            continue
        for question in section.questions:
            if not flow.question_applies(question, answers, today):
                continue
            result[question.id] = section.id
            if screened_out and flow.screens_out(question, answers, today):
                return result
    return result


def _meta_values(record: ResponseRecord) -> dict[str, Any]:
    """The metadata columns of one response."""
    submitted = record.submitted_at
    return {
        "response_id": record.response_id,
        "status": EXPORT_STATUS.get(record.status, record.status),
        "late": 1 if record.late else 0,
        "language": record.language,
        "channel": record.channel,
        "questionnaire_version": record.questionnaire_version,
        "consent_version": record.consent_version,
        "started_at": _iso(record.started_at),
        "submitted_at": _iso(submitted),
        "duration_seconds": (
            int((submitted - record.started_at).total_seconds()) if submitted else None
        ),
        "last_section": record.last_section if record.status != "complete" else None,
    }


def _iso(value: datetime | None) -> str | None:
    # isoformat() of an aware UTC time is "YYYY-MM-DDTHH:MM:SS+00:00" (several times faster
    # than strftime, which counts at 100,000 responses); the seconds, then "Z".
    return value.isoformat()[:19] + "Z" if value is not None else None
