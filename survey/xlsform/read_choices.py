"""An XLSForm's choices sheet: each list's choices with valid, unique codes; a select
question's choices (narrowed by its `choice_filter`, with its 'Other'); the lists no question
uses, noted."""

from __future__ import annotations

import re
from typing import Any

from survey.xlsform import names
from survey.xlsform.places import Place
from survey.xlsform.read_expressions import check_names
from survey.xlsform.read_rows import survey_keys
from survey.xlsform.read_settings import texts, words
from survey.xlsform.read_state import Item, ReaderState, RowError

# `column = ${question}`, and the form this platform writes, which also offers the choices that
# belong to no answer: `column = ${question} or column = ''`.
_CHOICE_FILTER = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*\$\{\s*([^}\s]+)\s*\}"
    r"(?:\s+or\s+\1\s*=\s*(?:''|\"\"))?\s*$"
)


def read_lists(state: ReaderState) -> None:
    """Each list's choices in order: (row, name, code), with codes valid and unique."""
    renamed = state.renamed_codes
    taken: dict[str, names.Names] = {}
    for row in state.book.choices:
        list_name, name = row.get("list name"), row.get("name")
        if list_name is None and name is None:
            continue
        if list_name is None or name is None:
            state.notes.append(
                f"sheet choices, row {row.number}: no "
                f"{'list_name' if list_name is None else 'name'}; the row is ignored"
            )
            continue
        list_name, name = str(list_name), str(name)
        code = taken.setdefault(list_name, names.Names()).unique(names.choice_code(name))
        if code != name:
            renamed.setdefault(list_name, []).append(f"{name!r} → {code!r}")
        state.lists.setdefault(list_name, []).append((row, name, code))


def renamed_codes(state: ReaderState) -> None:
    """A note for each list whose names were made codes, where a question carried over keeps
    those codes (not a list only the platform's own rows name, such as its country list)."""
    for list_name, changes in state.renamed_codes.items():
        if list_name in state.coded_lists:
            state.notes.append(f"choice list {list_name!r}: codes {', '.join(changes)}")


def choice_codes(state: ReaderState, list_name: str) -> dict[str, str]:
    """Each choice's name in the sheet → its code."""
    return {name: code for _, name, code in state.lists.get(list_name, [])}


def unused_lists(state: ReaderState) -> None:
    for list_name, choices in state.lists.items():
        if list_name not in state.used_lists:
            rows = ", ".join(str(row.number) for row, _, _ in choices[:5])
            more = ", ..." if len(choices) > 5 else ""
            state.notes.append(
                f"choice list {list_name!r} (sheet choices, rows {rows}{more}) is used by no "
                "question carried over; it is not carried over"
            )


def choices(state: ReaderState, item: Item) -> dict[str, Any]:
    """A select question's keys from its list: `choices`, and `filter_by` for a filter."""
    list_name = str(item.list_name)
    state.used_lists.add(list_name)
    keys: dict[str, Any] = {}
    parents: dict[str, str] | None = None
    column = None
    choice_filter = item.row.get("choice_filter")
    if choice_filter:
        column, parent_name = _choice_filter(state, item, str(choice_filter))
        parent = state.kept[parent_name]
        keys["filter_by"] = parent.id
        parents = dict(parent.codes)
    choices: list[dict[str, Any]] = []
    for row, name, code in state.lists[list_name]:
        choice: dict[str, Any] = {"code": code}
        label = texts(state, row.get("label"))
        if label:
            choice["label"] = label
        if parents is not None and column is not None and row.get(column) is not None:
            value = str(row.get(column))
            if value not in parents:
                state.notes.append(
                    f"sheet choices, row {row.number}: choice {code!r} of {item.name!r} "
                    f"belongs to {value!r}, which is no choice of {keys['filter_by']!r}: it "
                    "could never be offered and is not carried over"
                )
                continue
            choice["parent"] = parents[value]
        try:
            row_keys = survey_keys(row)
        except ValueError as error:
            raise RowError(f"choices row {row.number}: {error}") from None
        if row_keys.get("skip") is True:
            continue
        choice.update(row_keys)
        choices.append(choice)
        state.place(choice, Place("choices", row.number, name, list_name, frozenset(row_keys)))
    if item.or_other:
        existing = next((choice for choice in choices if choice["code"] == "other"), None)
        if existing is not None:
            existing["other"] = True
        else:
            choices.append({"code": "other", "label": words(state, "other"), "other": True})
    keys["choices"] = choices
    return keys


def _choice_filter(state: ReaderState, item: Item, text: str) -> tuple[str, str]:
    """The choices column and the earlier single question of `column = ${question}`."""
    match = _CHOICE_FILTER.match(text)
    if match is None:
        raise RowError(f"choice_filter {text!r} is not supported: only `column = ${{question}}` is")
    column, parent_name = match.groups()
    check_names(state, item, {parent_name}, "choice_filter", inclusive=False)
    parent = state.kept[parent_name]
    if parent.kind != "single":
        raise RowError(f"choice_filter: {parent_name!r} is not a select_one question")
    if not any(row.get(column) is not None for row, _, _ in state.lists[str(item.list_name)]):
        raise RowError(f"choice_filter: the choices sheet has no column {column!r} for it")
    return column, parent_name
