"""SPSS (.sav): categories numeric with value labels, variable labels, user-missing values
(the scale points a questionnaire marks missing), measurement levels, the facts as notes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from survey.export.documentation import facts
from survey.export.flatten import Column
from survey.export.model import Export, Format
from survey.export.names import cut, spss_names
from survey.export.statistical import is_numeric, value_labels, variable_label

SPSS_NOTE_BYTES = 80


def _utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def _notes(lines: Iterable[str]) -> list[str]:
    """Lines of at most SPSS_NOTE_BYTES bytes (SPSS document records), wrapped on spaces."""
    result = []
    for line in lines:
        current = ""
        for word in line.split(" "):
            candidate = f"{current} {word}" if current else word
            if _utf8_length(candidate) <= SPSS_NOTE_BYTES:
                current = candidate
                continue
            if current:
                result.append(current)
            current = word
            while _utf8_length(current) > SPSS_NOTE_BYTES:
                piece = cut(current, SPSS_NOTE_BYTES, _utf8_length)
                result.append(piece)
                current = current[len(piece) :]
        result.append(current)
    return result


def write_sav(export: Export, path: Path) -> None:
    """SPSS: choices, statuses, 0/1 and matrices numeric with value labels; variable labels;
    each column's missing-value codes declared user-missing; measurement levels."""
    # numpy only when a file is written: every process imports the formats' registry.
    import pandas as pd
    import pyreadstat

    from survey.export.compact_columns import typed_columns

    columns = export.columns
    names = spss_names(columns)
    frame = pd.DataFrame(
        {
            names[column.name]: typed.array()
            for column, typed in zip(columns, typed_columns(export), strict=True)
        },
        copy=False,
    )
    note_lines = [f"{key}: {value}" for key, value in facts(export)]
    note_lines += [
        f"renamed to fit SPSS: {names[column.name]} = {column.name}"
        for column in columns
        if names[column.name] != column.name
    ]
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=f"{export.survey_slug} responses",
        column_labels={
            names[column.name]: variable_label(export, column, names[column.name])
            for column in columns
        },
        variable_value_labels={
            names[column.name]: value_labels(export, column)
            for column in columns
            if column.is_categorical
        },
        missing_ranges={
            names[column.name]: list(column.missing_codes)
            for column in columns
            if column.missing_codes
        },
        variable_measure={names[column.name]: column.measure for column in columns},
        variable_format={
            names[column.name]: _spss_format(column) for column in columns if is_numeric(column)
        },
        note=_notes(note_lines),
    )


FORMAT = Format(
    name="sav",
    extension="sav",
    label="SPSS (.sav)",
    write=write_sav,
    libraries=("pandas", "pyarrow", "pyreadstat"),
    whole_table=True,
)


def _spss_format(column: Column) -> str:
    """Twelve digits and a sign; for decimals also the point and the digits after it."""
    return f"F{14 + column.decimals}.{column.decimals}" if column.decimals else "F12.0"
