"""Stata 15 (.dta): like SPSS, but Stata has no user-missing numbers: each missing-value code
of a column (a scale point the questionnaire marks missing) is written as an extended missing
value (.a, .b ...), with its value label."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from survey.export.documentation import stata_missing_letters
from survey.export.flatten import Column
from survey.export.model import Export, Format
from survey.export.names import cut, stata_names
from survey.export.statistical import is_numeric, value_labels, variable_label

if TYPE_CHECKING:
    from survey.export.compact_columns import TypedColumn

STATA_LABEL_CHARACTERS = 80
STATA_NUMBER_FORMAT = "%10.0g"  # what Stata shows a double with


def _file_label(export: Export) -> str:
    """The survey, and how its missing-value codes are written ('98 is .a, 99 is .b'), in at
    most 80 characters."""
    written: dict[str, None] = {}
    for column in export.columns:
        for number, letter in stata_missing_letters(column).items():
            written[f"{number} is .{letter}"] = None
    label = f"{export.survey_slug} responses"
    if written:
        label += "; missing: " + ", ".join(written)
    return cut(label, STATA_LABEL_CHARACTERS, len)


def _column(
    export: Export, column: Column, typed: TypedColumn
) -> tuple[Any, dict[Any, str] | None, list[str]]:
    """A column's values, value labels and extended missing letters as Stata has them."""
    from survey.export.compact_columns import NumberColumn  # loaded by write_dta already

    labels: dict[Any, str] | None = None
    if column.is_categorical:
        labels = dict(value_labels(export, column))
    letters = stata_missing_letters(column)
    for number, letter in letters.items():
        if labels is not None and number in labels:
            labels[letter] = labels.pop(number)
    values = typed.array()
    if letters and isinstance(typed, NumberColumn):
        # pyreadstat writes a letter in a numeric column as that extended missing value
        lettered = typed.with_letters(letters)
        if lettered is not None:
            values = lettered
    return values, labels, list(letters.values())


def write_dta(export: Export, path: Path) -> None:
    """Stata 15: categories numeric with value labels, variable labels (80 characters at
    most), missing-value codes as extended missing values."""
    # numpy only when a file is written: every process imports the formats' registry.
    import pandas as pd
    import pyreadstat

    from survey.export.compact_columns import typed_columns

    names = stata_names(export.columns)
    series = {}
    missing_user_values: dict[str, list[str]] = {}
    labels_by_name: dict[str, dict[Any, str]] = {}
    for column, typed in zip(export.columns, typed_columns(export), strict=True):
        name = names[column.name]
        series[name], labels, letters = _column(export, column, typed)
        if labels is not None:
            labels_by_name[name] = labels
        if letters:
            missing_user_values[name] = letters
    pyreadstat.write_dta(
        pd.DataFrame(series, copy=False),
        str(path),
        file_label=_file_label(export),
        column_labels={
            names[column.name]: cut(
                variable_label(export, column, names[column.name]),
                STATA_LABEL_CHARACTERS,
                len,
            ).rstrip()
            for column in export.columns
        },
        variable_value_labels=labels_by_name,
        missing_user_values=missing_user_values,
        # A general format for every number, whatever type holds it: as typed, with its digits.
        variable_format={
            names[column.name]: STATA_NUMBER_FORMAT
            for column in export.columns
            if is_numeric(column)
        },
    )


FORMAT = Format(
    name="dta",
    extension="dta",
    label="Stata (.dta)",
    write=write_dta,
    libraries=("pandas", "pyarrow", "pyreadstat"),
    whole_table=True,
)
