"""What SPSS (.sav) and Stata (.dta) files share: the whole table at once, categories as their
stable numbers, variable labels and value labels.

pyreadstat writes both from a pandas DataFrame: the one place where an export holds the whole
table in memory. Text stays exactly as it was answered: these files have no formulas.
"""

from __future__ import annotations

import math
from typing import Any

from survey.export.flatten import Column
from survey.export.model import Export, ExportError


def is_numeric(column: Column) -> bool:
    """Numeric in SPSS and Stata: numbers, 0/1 and every column with value labels."""
    return column.numeric or column.is_categorical


def _number(column: Column, value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    raise ExportError(f"column {column.name}: value {value!r} has no number in the codebook")


def numbered_table(export: Export) -> tuple[list[Column], list[list[Any]]]:
    """The whole table by column (SPSS and Stata need it at once): floats or text."""
    columns = export.columns
    data: list[list[Any]] = [[] for _ in columns]
    numeric = [is_numeric(column) for column in columns]
    for values in export.numbered():
        for index, value in enumerate(values):
            if numeric[index]:
                data[index].append(_number(columns[index], value))
            else:
                data[index].append("" if value is None else _without_nul(str(value)))
    return columns, data


def _without_nul(text: str) -> str:
    """SPSS and Stata files end a text at a NUL: one in an answer stored before such answers
    were refused shows as U+FFFD (replacement character), and the rest of the text stays."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def variable_label(export: Export, column: Column, written: str) -> str:
    """The question text; led by the full variable name when the file's name is shorter."""
    label = export.label(column)
    return label if written == column.name else f"{column.name}: {label}"


def value_labels(export: Export, column: Column) -> dict[int | float, str]:
    """Stable number -> label in the export's language."""
    # Keyed as pyreadstat's value labels are (a dict, so the key type must match it).
    return {
        column.numbers.get(code, code): export.value_label(label)
        for code, label in column.value_labels
    }
