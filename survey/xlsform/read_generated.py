"""Rows the platform's writer made for XLSForm only (a question's "Please specify" text, the
rows of a matrix), marked `{"skip": true}` in survey_keys: the reader skips them, because each
is made again from its question. Each is compared with what the writer would write for it now,
so that a person's edit is never dropped without a word: a matrix row's edited label is carried
over to the matrix (that cell is the row's text); any other difference is a warning naming the
row, the cells that differ, and where to make the change instead."""

from __future__ import annotations

from typing import Any

from survey.questionnaire.schema import QuestionnaireError, load_text
from survey.xlsform.languages import language_code
from survey.xlsform.read_settings import texts
from survey.xlsform.read_state import Generated, Item, ReaderState
from survey.xlsform.sheets import DEFAULT, Row, survey_row
from survey.xlsform.writing import SURVEY_KEYS, generated_rows
from survey.xlsform.yaml_dump import yaml_text

# Grouped columns as sheets.py groups them (`bind::relevant`), named as a person writes them.
_GROUPS = {"bind", "control", "media"}
_COLUMN_NAMES = {
    "jr:constraintMsg": "constraint_message",
    "jr:requiredMsg": "required_message",
    "calculate": "calculation",
    "readonly": "read_only",
    "jr:count": "repeat_count",
}
_TEXT_COLUMNS = {"label", "hint", "constraint_message", "required_message", "guidance_hint"}


def check_generated(state: ReaderState, data: dict[str, Any]) -> None:
    """Compare every skipped row with the writer's; carry over or warn (data: as converted)."""
    for item in state.orphans:
        _warn(state, item, _not_written(None))
    if not state.generated:
        return
    try:
        questionnaire = load_text(yaml_text(data, state.path.name), state.source)
    except QuestionnaireError:
        numbers = ", ".join(str(found.item.row.number) for found in state.generated)
        state.notes.append(
            f"survey rows {numbers} were written by the platform for their questions (survey_keys "
            '{"skip": true}) and are made again from them; whether they were edited is '
            "checked once the form's other problems are fixed"
        )
        return
    written = generated_rows(questionnaire)
    owners: dict[int, list[Generated]] = {}
    for found in state.generated:
        owners.setdefault(id(found.question), []).append(found)
    for rows in owners.values():
        question = rows[0].question
        expected = written.get(str(question.get("id")), [])
        for found, index in _pairs(rows, expected):
            if index is None:
                _warn(state, found.item, _not_written(_owner(found)))
            else:
                _compare(state, found, index, survey_row(expected[index], found.item.row.number))


def _pairs(rows: list[Generated], expected: list[dict[str, Any]]) -> list[tuple[Generated, Any]]:
    """Each skipped row and the index of the writer's row it stands for: the one of its name,
    else the next one no row has taken (a row renamed); None when there is none left."""
    by_name = {str(row.get("name")): index for index, row in enumerate(expected)}
    taken = {by_name[found.item.name] for found in rows if found.item.name in by_name}
    free = iter(index for index in range(len(expected)) if index not in taken)
    return [
        (found, by_name[found.item.name] if found.item.name in by_name else next(free, None))
        for found in rows
    ]


def _compare(state: ReaderState, found: Generated, index: int, expected: Row) -> None:
    cells, wanted = _cells(state, found.item.row), _cells(state, expected)
    differ = [
        column
        for column in dict.fromkeys([*cells, *wanted])
        if cells.get(column) != wanted.get(column)
    ]
    if not differ:
        return
    matrix_rows = found.question.get("rows")
    if isinstance(matrix_rows, list) and found.item.name == expected.get("name"):
        carried = _carry_label(state, found, matrix_rows[index])
        differ = [column for column in differ if column not in carried]
    if differ:
        _warn(state, found.item, _edited(differ, found))


def _carry_label(state: ReaderState, found: Generated, row: dict[str, Any]) -> list[str]:
    """A matrix row's label as edited, over the label of that row of the matrix (a text
    emptied is not carried: the row would have none); the cells carried over."""
    edited = texts(state, found.item.row.get("label")) or {}
    label = row.get("label")
    if not isinstance(label, dict):
        return []
    changed = {code: text for code, text in edited.items() if label.get(code) != text}
    if not changed:
        return []
    label.update(changed)
    codes = ", ".join(changed)
    state.notes.append(
        f"survey row {found.item.row.number}: the edited label ({codes}) of {found.item.name!r}, "
        f"a row of matrix {found.owner.name!r}, is carried over to the matrix"
    )
    return [f"label ({code})" for code in changed]


def _cells(state: ReaderState, row: Row) -> dict[str, str]:
    """A row's cells by the column a person sees (`relevant`, `label (fr)`), values trimmed,
    texts by their language's code, survey_keys left out."""
    cells: dict[str, str] = {}
    for key, value in row.values.items():
        if key != SURVEY_KEYS:
            _put(state, cells, key, value)
    return cells


def _put(state: ReaderState, cells: dict[str, str], key: str, value: Any) -> None:
    column = _COLUMN_NAMES.get(key, key)
    if isinstance(value, dict) and key in _GROUPS:
        for inner_key, inner in value.items():
            _put(state, cells, str(inner_key), inner)
    elif isinstance(value, dict) or column in _TEXT_COLUMNS:
        by_language = value if isinstance(value, dict) else {DEFAULT: value}
        for language, text in by_language.items():
            code = state.languages.get(str(language)) or language_code(str(language)) or language
            if str(text).strip():
                cells[f"{column} ({code})"] = str(text).strip()
    elif value is not None and str(value).strip():
        cells[column] = " ".join(str(value).split())


def _owner(found: Generated) -> str:
    kind = "matrix" if found.owner.is_matrix else "question"
    return f"{kind} {found.owner.name!r} (row {found.owner.row.number})"


def _not_written(owner: str | None) -> str:
    whose = "no question here has it" if owner is None else f"{owner} has no such row"
    return (
        'its survey_keys {"skip": true} mark a row the platform writes for a question (a '
        f'"Please specify" text, a matrix row), but {whose}: the row is not imported; clear '
        "its survey_keys to import it as a question of its own"
    )


def _edited(columns: list[str], found: Generated) -> str:
    listed = ", ".join(columns)
    verb = "differs" if len(columns) == 1 else "differ"
    if found.owner.is_matrix:
        return (
            f"{listed} {verb} from what the platform writes for this row of matrix "
            f"{found.owner.name!r} and {'is' if len(columns) == 1 else 'are'} not carried over: "
            f"the row is made again from the matrix on import; change the matrix's rows, scale, "
            f"required or relevant in the survey_keys of row {found.owner.row.number} instead"
        )
    return (
        f'{listed} {verb} from what the platform writes for the "Please specify" row of '
        f"{_owner(found)} and {'is' if len(columns) == 1 else 'are'} not carried over: the row "
        "is made again from that question on import (shown when an 'other' choice is picked, "
        "with the platform's label and rules); change the question or its choices instead"
    )


def _warn(state: ReaderState, item: Item, why: str) -> None:
    name = f" (name: {item.name})" if item.name else ""
    state.warnings.append(f"{state.source}: survey sheet, row {item.row.number}{name}: {why}")
