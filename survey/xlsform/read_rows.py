"""What each row of an XLSForm's survey sheet is (a question of which platform type, a group, a
repeat, metadata, a row that cannot be carried over), the id each question gets, and the cells
every part of the reader reads the same way (`survey_keys`, bind messages)."""

from __future__ import annotations

import json
from typing import Any

from pyxform import aliases
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL, RE_SELECT

from survey.xlsform import names
from survey.xlsform.read_state import Item, ReaderState
from survey.xlsform.sheets import Row

# XLSForm's types (with pyxform's aliases) that have a question type of the platform.
_TYPES = {
    **dict.fromkeys(("integer", "int", "q int", "add integer prompt"), "integer"),
    **dict.fromkeys(("decimal", "q decimal", "add decimal prompt"), "decimal"),
    **dict.fromkeys(("text", "string", "q string", "add text prompt"), "text"),
    **dict.fromkeys(("date", "q date", "add date prompt"), "date"),
    **dict.fromkeys(("note", "q note", "add note prompt"), "note"),
    **dict.fromkeys(
        ("acknowledge", "q acknowledge", "add acknowledge prompt", "trigger"), "acknowledge"
    ),
    **dict.fromkeys(
        ("geopoint", "q geopoint", "gps", "location", "q location", "add location prompt"),
        "geopoint",
    ),
    **dict.fromkeys(("calculate", "q calculate", "add calculate prompt"), "calculate"),
    "range": "scale",
}
# Rows about the device and the session rather than the respondent; the platform records the
# times it needs itself.
_METADATA = {"audit", "start-geopoint", "background-audio", "background-geopoint"}


def classify(state: ReaderState) -> list[Item]:
    """Every row of the survey sheet, classified (the choice lists must have been read)."""
    return [_classify_row(state, row) for row in state.book.survey]


def _classify_row(state: ReaderState, row: Row) -> Item:
    type_text = " ".join(str(row.get("type") or "").split())
    name = str(row.get("name") or "").strip()
    item = Item(row, type_text, "question", name)
    try:
        item.keys = survey_keys(row)
    except ValueError as error:
        item.unsupported = str(error)
    if item.keys.get("skip") is True:
        item.kind = "skip"
        return item
    if not type_text:
        if not row.values or not (name or row.get("label")):
            item.kind = "blank"
        else:
            item.unsupported = item.unsupported or "the row has no type"
        return item
    begin, end = RE_BEGIN_CONTROL.search(type_text), RE_END_CONTROL.search(type_text)
    if end:
        item.kind = "end_group" if aliases.control[end["type"]] == "group" else "end_repeat"
        return item
    if begin:
        control = aliases.control[begin["type"]]
        item.kind = "begin_group" if control == "group" else "begin_repeat"
        item.name = name or f"group_{row.number}"
        if control != "group":
            item.unsupported = "repeats are not supported"
        return item
    if not name:
        if _TYPES.get(type_text) == "note":
            item.name = f"note_{row.number}"
            state.notes.append(
                f"survey row {row.number}: a note without a name is named {item.name!r}"
            )
        else:
            item.unsupported = item.unsupported or "the row has no name"
            return item
    _classify_type(state, item, type_text)
    return item


def _classify_type(state: ReaderState, item: Item, type_text: str) -> None:
    select = RE_SELECT.search(type_text)
    if select:
        command = select["select_command"]
        if command in aliases.select_from_file:
            item.unsupported = "choices from a file are not supported"
        elif aliases.select[command] == "select one external":
            item.unsupported = "external choices are not supported"
        elif command == "rank":
            item.unsupported = "rank questions are not supported"
        elif select["list_name"] not in state.lists:
            item.unsupported = f"choice list {select['list_name']!r} is not on the choices sheet"
        else:
            item.question_type = "single" if aliases.select[command] == "select one" else "multiple"
            item.list_name = select["list_name"]
            item.or_other = select["specify_other"] is not None
        return
    known = QUESTION_TYPE_DICT.get(type_text) or QUESTION_TYPE_DICT.get(type_text.lower())
    platform_type = _TYPES.get(type_text) or _TYPES.get(type_text.lower())
    if platform_type:
        item.question_type = platform_type
    elif type_text in _METADATA or (known and "jr:preload" in known.get("bind", {})):
        item.kind = "metadata"
    elif type_text.startswith(("select_one", "select_multiple", "select one", "select all")):
        item.unsupported = f"type {type_text!r} is not a select with a choice list"
    elif known is not None or type_text in ("xml-external", "csv-external"):
        item.unsupported = f"{type_text} questions are not supported"
    else:
        item.unsupported = f"unknown type {type_text!r}"


def assign_ids(state: ReaderState) -> None:
    """Every question row's id: valid, unique ignoring case, clear of the export columns
    the platform adds (`<geopoint>_latitude`, `<question>_other`); renamings noted."""
    questions = [item for item in state.items if item.kind == "question" and item.name]
    for item in state.items:
        if item.name and item.kind in ("question", "metadata", "begin_group"):
            state.by_name.setdefault(item.name, item)
    taken = names.Names(conditions=True)
    for item in questions:
        base = names.question_id(item.name)
        if item.question_type == "geopoint":
            taken.reserve(f"{base}_latitude")
            taken.reserve(f"{base}_longitude")
        if item.or_other:
            taken.reserve(f"{base}_other")
    for item in [*questions, *(i for i in state.items if i.is_matrix)]:
        wanted = item.keys.get("id") if isinstance(item.keys.get("id"), str) else None
        if wanted:
            taken.reserve(wanted)
            state.ids[id(item)] = wanted
            continue
        base = names.question_id(item.name)
        given = base if taken.free(base) else taken.unique(base)
        taken.reserve(given)
        state.ids[id(item)] = given
        if given != item.name and item.unsupported is None:
            state.notes.append(f"survey row {item.row.number}: {item.name!r} is now {given!r}")


def survey_keys(row: Row) -> dict[str, Any]:
    """The row's `survey_keys` cell: a JSON object of keys in the platform's format."""
    raw = row.get("survey_keys")
    if raw is None or not str(raw).strip():
        return {}
    try:
        value = json.loads(str(raw))
    except ValueError as error:
        raise ValueError(f"survey_keys is not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise ValueError("survey_keys must be a JSON object of keys and values")
    return value


def either(row: Row, key: str) -> Any:
    """A bind column written `constraint_message` (under bind) or `jr:constraintMsg` (alone)."""
    value = row.get("bind", key)
    return value if value is not None else row.get(key)
