"""An XLSForm workbook's three sheets as rows, through pyxform.

pyxform reads the cells (`xlsx_to_dict`: values and headers trimmed, blank rows kept so that a
row's number is its index + 2) and says what each header means (`process_header`: `list name`
and `list_name`, `label::English (en)`, `constraint_message` → `bind.jr:constraintMsg`). Rows are
grouped as pyxform groups them, `{"label": {"English (en)": ...}, "bind": {"relevant": ...}}`,
but values are kept exactly as written (pyxform would straighten typographic quotes in labels).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyxform import aliases
from pyxform.errors import PyXFormError
from pyxform.parsing.sheet_headers import process_header
from pyxform.question import MultipleChoiceQuestion, Option
from pyxform.survey import Survey
from pyxform.xls2json_backends import xlsx_to_dict

# The language key of a text given in a column without one (`label` beside `label::French`).
DEFAULT = "default"
_SURVEY_COLUMNS = set(MultipleChoiceQuestion.get_slot_names())


class WorkbookError(ValueError):
    """A file that cannot be read as an XLSForm workbook."""


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet shows it (the header is row 1)
    values: dict[str, Any]

    def get(self, *path: str) -> Any:
        """The value at a path of grouped keys (`row.get("bind", "relevant")`), or None."""
        node: Any = self.values
        for key in path:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node


@dataclass(frozen=True)
class Workbook:
    survey: list[Row]
    choices: list[Row]
    settings: Row | None
    sheet_names: list[str]


def read_workbook(path: Path) -> Workbook:
    """The survey, choices and settings sheets of an .xlsx file; WorkbookError if unreadable."""
    if not path.is_file():
        raise WorkbookError("no such file")
    try:
        book = xlsx_to_dict(str(path))
    except (PyXFormError, OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise WorkbookError(f"cannot read it as an .xlsx workbook: {reason}") from None
    if "survey" not in book:
        raise WorkbookError("it has no sheet named 'survey'")
    settings = _rows(book, "settings", aliases.settings_header, set(Survey.get_slot_names()))
    return Workbook(
        survey=_rows(book, "survey", aliases.survey_header, _SURVEY_COLUMNS),
        choices=_rows(book, "choices", aliases.list_header, set(Option.get_slot_names())),
        settings=next((row for row in settings if row.values), None),
        sheet_names=list(book.get("sheet_names", [])),
    )


def survey_row(cells: Mapping[str, Any], number: int) -> Row:
    """A survey row given as header → cell, as the writer makes it, grouped as a row read from
    a workbook is (empty cells left out)."""
    values = {header: str(value) for header, value in cells.items() if value not in (None, "")}
    tokens_of = _tokens_of(list(values), aliases.survey_header, _SURVEY_COLUMNS)
    return Row(number, _grouped(values, tokens_of))


def _rows(
    book: dict[str, Any], sheet: str, header_aliases: dict[str, Any], columns: set[str]
) -> list[Row]:
    data: list[dict[str, str]] = book.get(sheet) or []
    header_rows = book.get(f"{sheet}_header") or [{}]
    headers = list(header_rows[0]) if header_rows else []
    tokens_of = _tokens_of(headers, header_aliases, columns)
    return [Row(number, _grouped(row, tokens_of)) for number, row in enumerate(data, start=2)]


def _tokens_of(
    headers: list[str], header_aliases: dict[str, Any], columns: set[str]
) -> dict[str, tuple[str, ...]]:
    double_colon = any("::" in header for header in headers)
    return {
        header: process_header(header, double_colon, header_aliases, columns)[1]
        for header in headers
    }


def _grouped(row: dict[str, str], tokens_of: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    grouped: dict[str, Any] = {}
    for header, value in row.items():
        tokens = tokens_of.get(header) or (header,)
        node = grouped
        for key in tokens[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = {} if child is None else {DEFAULT: child}
                node[key] = child
            node = child
        last = tokens[-1]
        if isinstance(node.get(last), dict):
            node[last][DEFAULT] = value
        else:
            node[last] = value
    return grouped
