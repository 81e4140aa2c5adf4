"""A question row of an XLSForm's survey sheet as a question of the format: its texts, its
type's keys (a range's bounds, a select's choices), its relevant, constraint or calculation, and
its survey_keys laid over all these."""

from __future__ import annotations

import re
from typing import Any

from pyxform import aliases
from pyxform.errors import PyXFormError
from pyxform.parsing.parameters import parse as parse_parameters

from survey.xlsform.from_xpath import Answer
from survey.xlsform.read_choices import choice_codes, choices
from survey.xlsform.read_expressions import KIND_OF_TYPE, all_of, expression
from survey.xlsform.read_rows import either
from survey.xlsform.read_settings import texts, words
from survey.xlsform.read_state import Item, ReaderState, RowError

# Question keys that belong to a type (dropped when survey_keys gives the row another type).
_TYPE_KEYS = {
    "choices",
    "filter_by",
    "min",
    "max",
    "min_label",
    "max_label",
    "calculation",
    "max_length",
    "decimals",
    "max_choices",
}
_PIPED = re.compile(r"\$\{[^}]*\}")


def question_row(
    state: ReaderState, item: Item, conditions: tuple[str, ...]
) -> dict[str, Any] | None:
    """The question of a row, kept for the rows after it to use; None when it is left out.
    `conditions` are the relevant of the nested groups around it."""
    if item.unsupported:
        state.leave(item, item.unsupported)
        return None
    try:
        question = _question(state, item, conditions)
    except RowError as error:
        state.leave(item, error.why)
        return None
    finally:
        state.current = None
    state.kept[item.name] = _answer_of(state, item, question)
    state.place(question, state.row_place(item))
    return question


def _answer_of(state: ReaderState, item: Item, question: dict[str, Any]) -> Answer:
    kind = KIND_OF_TYPE.get(str(question.get("type")), "other")
    codes = {}
    if kind in ("single", "multiple") and item.list_name:
        codes = choice_codes(state, item.list_name)
        if item.or_other:
            codes.setdefault("other", "other")
    return Answer(question["id"], kind, codes)


def _question(state: ReaderState, item: Item, conditions: tuple[str, ...]) -> dict[str, Any]:
    computed = _computed(state, item)
    question: dict[str, Any] = {
        "id": state.id_of(item),
        "type": "calculate" if computed else str(item.question_type),
    }
    _text_keys(state, item, question, computed)
    relevant = expression(state, item, ("bind", "relevant"), "relevant")
    combined = all_of([*conditions, *([relevant] if relevant else [])])
    if combined:
        question["relevant"] = combined
    if computed:
        _calculation(state, item, question)
    else:
        _type_keys(state, item, question)
        state.current = (item.name, _answer_of(state, item, question))
        constraint = expression(state, item, ("bind", "constraint"), "constraint")
        if constraint and question["type"] != "note":
            message = texts(state, either(item.row, "jr:constraintMsg")) or words(
                state, "constraint"
            )
            question["constraints"] = [{"check": constraint, "message": message}]
    merged = _merged(item, question)
    if "choices" in merged and item.list_name is not None:
        state.coded_lists.add(str(item.list_name))
    return merged


def _computed(state: ReaderState, item: Item) -> bool:
    """Whether the row is worked out from other answers rather than asked (a calculate row, or
    one read_only with a calculation); a calculation on a row asked is dropped, with a note."""
    row = item.row
    question_type = str(item.question_type)
    calculation = row.get("bind", "calculate")
    computed = question_type == "calculate" or (
        calculation is not None and aliases.yes_no.get(str(row.get("bind", "readonly"))) is True
    )
    if computed and question_type != "calculate":
        state.notes.append(
            f"survey row {row.number}: {item.name!r} is worked out from other answers "
            "(read_only with a calculation): it becomes a calculate question"
            + (" and its choices are not carried over" if item.list_name else "")
        )
    elif calculation is not None and question_type != "calculate":
        state.notes.append(
            f"survey row {row.number}: {item.name!r} has a calculation but is not read_only: "
            "the calculation (a default people could change) is not carried over"
        )
    return computed


def _calculation(state: ReaderState, item: Item, question: dict[str, Any]) -> None:
    row = item.row
    if row.get("bind", "calculate") is None:
        raise RowError("a calculate row needs a calculation")
    question["calculation"] = expression(state, item, ("bind", "calculate"), "calculation")
    dropped = [key for key in ("constraint", "required") if row.get("bind", key)]
    if dropped:
        state.notes.append(
            f"survey row {row.number}: {item.name!r} is never asked, so its "
            f"{' and '.join(dropped)} cannot be checked with anyone: not carried over"
        )


def _text_keys(state: ReaderState, item: Item, question: dict[str, Any], computed: bool) -> None:
    row = item.row
    label = texts(state, row.get("label"))
    if label:
        question["label"] = label
    help_text = texts(state, row.get("hint"))
    if help_text and not computed:
        question["help"] = help_text
    cells = [row.get("label"), row.get("hint"), either(row, "jr:constraintMsg")]
    piped = sorted({match for text in cells for match in _PIPED.findall(_joined(text))})
    if piped:
        state.notes.append(
            f"survey row {row.number}: the texts of {item.name!r} show "
            f"{', '.join(piped)} as written (answers inside texts are not supported)"
        )
    if computed or question["type"] in ("note",):
        return
    required = row.get("bind", "required")
    if required is not None:
        flag = aliases.yes_no.get(str(required).strip())
        if flag is None:
            raise RowError(f"required expressions ({required!r}) are not supported")
        if flag:
            question["required"] = True
            message = texts(state, either(row, "jr:requiredMsg"))
            if message:
                question["required_message"] = message


def _type_keys(state: ReaderState, item: Item, question: dict[str, Any]) -> None:
    if item.question_type == "scale":
        question.update(_scale(item))
    if item.list_name is not None:
        question.update(choices(state, item))


def _scale(item: Item) -> dict[str, Any]:
    raw = str(item.row.get("parameters") or "")
    try:
        parameters = parse_parameters(raw, item.row.number)
    except PyXFormError:
        raise RowError(f"parameters {raw!r} cannot be read") from None
    values = {"start": "1", "end": "10", "step": "1", **parameters}
    try:
        start, end, step = (int(values[key]) for key in ("start", "end", "step"))
    except ValueError:
        start = end = step = 0
    if step != 1 or start >= end:
        raise RowError(
            "only ranges of whole numbers from start up to end in steps of 1 are supported "
            f"({raw!r})"
        )
    return {"min": start, "max": end}


def _merged(item: Item, question: dict[str, Any]) -> dict[str, Any]:
    """The row's survey_keys over what was read from it (another type drops the keys that
    belonged to the one read)."""
    if not item.keys:
        return question
    new_type = item.keys.get("type")
    if new_type is not None and new_type != question.get("type"):
        question = {key: value for key, value in question.items() if key not in _TYPE_KEYS}
    question.update(item.keys)
    return question


def _joined(text: Any) -> str:
    if isinstance(text, dict):
        return " ".join(str(value) for value in text.values())
    return "" if text is None else str(text)
