"""One small writer per format. Each takes an Export and a path and streams rows into it.

CSV, XLSX, Parquet and the study package ZIP stream rows as they come from the database, so
memory stays flat however many responses there are. SPSS (.sav) and Stata (.dta) are written by
pyreadstat from a pandas DataFrame: the one place where the whole table is held in memory.

Text is neutralised (see build.neutralise) wherever a spreadsheet may open it: CSV, XLSX and
the files of the study package. SPSS, Stata and Parquet keep text exactly as it was answered:
they have no formulas.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from survey.export.build import FORMULA_FIRST, Export, ExportError, neutralise
from survey.export.flatten import Column


def write_csv(export: Export, path: Path, *, excel: bool = False) -> None:
    """UTF-8 CSV, one header row of variable names; `excel` adds a BOM so Excel reads UTF-8."""
    with path.open("w", encoding="utf-8-sig" if excel else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([column.name for column in export.columns])
        texts = text_positions(export)
        first = FORMULA_FIRST
        for cells in export.cells():
            for index in texts:  # only where text can be; None is written as an empty field
                # build.neutralise, inline: a call per text cell counts at 100,000 responses.
                value = cells[index]
                if value.__class__ is str and value[:1] in first:
                    cells[index] = "'" + value
            writer.writerow(cells)


def text_positions(export: Export) -> list[int]:
    """Columns whose cells can hold text (and so need neutralising)."""
    labels = export.options.labels
    return [
        index
        for index, column in enumerate(export.columns)
        if not column.numeric or (labels and column.is_categorical and not column.boolean)
    ]


def write_csv_excel(export: Export, path: Path) -> None:
    write_csv(export, path, excel=True)


# -- names in SPSS and Stata -----------------------------------------------------------------------

SPSS_NAME_BYTES = 64
STATA_NAME_CHARACTERS = 32
SPSS_RESERVED = frozenset(
    {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}
)
STATA_RESERVED = frozenset(
    {
        "_all",
        "_b",
        "byte",
        "_coef",
        "_cons",
        "double",
        "float",
        "if",
        "in",
        "int",
        "long",
        "_n",
        "_pi",
        "_pred",
        "_rc",
        "_skip",
        "strl",
        "using",
        "with",
    }
)
_STATA_STR = re.compile(r"^str[0-9]+$")
NAME_RULE = (
    "At most 64 bytes in SPSS; in Stata 32 characters, 29 for a variable with value labels. "
    "A variable name that fits is kept as it is. A longer one is cut to the limit "
    "less 5 and ends in '_' and the first 4 hex digits of the SHA-1 of the full name (the same "
    "full name always gives the same written name). A reserved word gets a trailing '_'. "
    "If the result is already taken, it ends in _2, _3, ... instead (first free, in column order)."
)


def _spss_length(name: str) -> int:
    return len(name.encode("utf-8"))


def _spss_reserved(name: str) -> bool:
    return name.lower() in SPSS_RESERVED


def _stata_reserved(name: str) -> bool:
    lowered = name.lower()
    return lowered in STATA_RESERVED or bool(_STATA_STR.match(lowered))


def _cut(name: str, limit: int, length: Callable[[str], int]) -> str:
    while length(name) > limit:
        name = name[:-1]
    return name


def names_in_file(
    names: Sequence[str],
    *,
    limit: int,
    length: Callable[[str], int] = len,
    reserved: Callable[[str], bool] = lambda name: False,
    limits: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """Each variable name -> the name written to a file whose names are at most `limit` long
    (`limits`: a smaller limit for some names).

    Deterministic: names that fit are kept; a longer name is cut to `limit - 5` and given
    "_" + the first 4 hex digits of the SHA-1 of the full name; a reserved word gets a trailing
    "_"; a name already taken (compared case-insensitively) is cut further and ends in _2, _3...
    """
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        limit_here = (limits or {}).get(name, limit)
        candidate = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if not candidate or not candidate[0].isalpha():
            candidate = "v" + candidate
        if length(candidate) > limit_here:
            digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:4]
            candidate = _cut(candidate, limit_here - 5, length) + "_" + digest
        if reserved(candidate):
            candidate = _cut(candidate, limit_here - 1, length) + "_"
        base, counter = candidate, 1
        while candidate.lower() in taken or reserved(candidate):
            counter += 1
            suffix = f"_{counter}"
            candidate = _cut(base, limit_here - len(suffix), length) + suffix
        taken.add(candidate.lower())
        result[name] = candidate
    return result


def spss_names(columns: Iterable[Column]) -> dict[str, str]:
    return names_in_file(
        [column.name for column in columns],
        limit=SPSS_NAME_BYTES,
        length=_spss_length,
        reserved=_spss_reserved,
    )


def stata_names(columns: Iterable[Column]) -> dict[str, str]:
    """Stata names: 32 characters, but 29 for a variable with value labels, because pyreadstat
    names its value-label set after the variable followed by a counter (0, 1, ... 999) and
    Stata allows 32 characters in a label name too."""
    columns = list(columns)
    labelled = [column.name for column in columns if column.is_categorical]
    labelled_limit = STATA_NAME_CHARACTERS - max(3, len(str(len(labelled) - 1)))
    return names_in_file(
        [column.name for column in columns],
        limit=STATA_NAME_CHARACTERS,
        reserved=_stata_reserved,
        limits={name: labelled_limit for name in labelled},
    )


# -- codebook and facts as plain text rows ---------------------------------------------------------

STATA_MISSING_LETTERS = "abcdefghijklmnopqrstuvwxyz"
CODEBOOK_HEADER = (
    "variable",
    "question",
    "type",
    "measure",
    "codes",
    "missing",
    "relevance",
    "name in .sav",
    "name in .dta",
)


def _codes_text(entry: dict[str, Any]) -> str:
    """'1 = worker: Worker cooperative; 2 = social: Social cooperative' (number = code: label);
    where number and code are the same: '1: Not an obstacle'."""
    parts = []
    for code in entry["codes"]:
        if str(code["number"]) == str(code["code"]):
            parts.append(f"{code['code']}: {code['label']}")
        else:
            parts.append(f"{code['number']} = {code['code']}: {code['label']}")
    return "; ".join(parts)


def _missing_text(entry: dict[str, Any]) -> str:
    if not entry["missing"]:
        return ""
    letters = ", ".join(
        f"{number} as .{STATA_MISSING_LETTERS[index]}"
        for index, number in enumerate(entry["missing"])
    )
    numbers = ", ".join(str(number) for number in entry["missing"])
    return f"{numbers} (user-missing in SPSS; in Stata {letters})"


def codebook_rows(export: Export) -> Iterator[list[str]]:
    """The codebook as text rows (header first), for the XLSX sheet and codebook.csv."""
    in_sav = spss_names(export.columns)
    in_dta = stata_names(export.columns)
    yield list(CODEBOOK_HEADER)
    for entry in export.codebook():
        yield [
            entry["variable"],
            entry["question"],
            entry["type"],
            entry["measure"],
            _codes_text(entry),
            _missing_text(entry),
            entry["relevance"],
            in_sav[entry["variable"]],
            in_dta[entry["variable"]],
        ]


def facts(export: Export) -> list[tuple[str, str]]:
    """export.about() and what the writers add: how names and 9 are written in SPSS/Stata."""
    rows = list(export.about())
    rows.append(("9 in Stata (.dta)", "written as the extended missing value .a, labelled"))
    rows.append(("variable names in .sav / .dta", NAME_RULE))
    return rows


# -- XLSX ------------------------------------------------------------------------------------------

XLSX_MAX_ROWS = 1_048_576  # including the header row


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
    )


def _write_xlsx_row(sheet: Any, row_number: int, cells: Sequence[Any]) -> None:
    for index, cell in enumerate(cells):
        if cell is None or cell == "":
            continue  # empty: nothing is written (system missing)
        if _is_number(cell):
            sheet.write_number(row_number, index, cell)
        else:
            sheet.write_string(row_number, index, neutralise(str(cell)))


def write_xlsx(export: Export, path: Path) -> None:
    """Sheets `responses`, `codebook`, `about`. Rows are written in order (constant memory);
    text always as a string cell, never as a formula; numbers as numbers; empty for None."""
    import xlsxwriter

    if export.total >= XLSX_MAX_ROWS:
        raise ExportError(
            f"{export.total} responses do not fit in an Excel sheet "
            f"(at most {XLSX_MAX_ROWS - 1}); choose CSV, Parquet, SPSS or Stata"
        )
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    try:
        bold = workbook.add_format({"bold": True})
        responses = workbook.add_worksheet("responses")
        responses.freeze_panes(1, 0)
        for index, column in enumerate(export.columns):
            responses.write_string(0, index, column.name, bold)
        row_number = 0
        for cells in export.cells():
            row_number += 1
            if row_number >= XLSX_MAX_ROWS:
                raise ExportError("too many responses for an Excel sheet")
            _write_xlsx_row(responses, row_number, cells)

        codebook = workbook.add_worksheet("codebook")
        codebook.freeze_panes(1, 0)
        codebook.set_column(0, 0, 30)
        codebook.set_column(1, 1, 60)
        codebook.set_column(4, 4, 80)
        for row_number, cells in enumerate(codebook_rows(export)):
            if row_number == 0:
                for index, cell in enumerate(cells):
                    codebook.write_string(0, index, cell, bold)
            else:
                _write_xlsx_row(codebook, row_number, cells)

        about = workbook.add_worksheet("about")
        about.set_column(0, 0, 40)
        about.set_column(1, 1, 80)
        for row_number, (key, value) in enumerate(facts(export)):
            _write_xlsx_row(about, row_number, [key, value])
    finally:
        workbook.close()


# -- SPSS and Stata --------------------------------------------------------------------------------

STATA_LABEL_CHARACTERS = 80
SPSS_NOTE_BYTES = 80


def _is_numeric(column: Column) -> bool:
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


def _numbered_table(export: Export) -> tuple[list[Column], list[list[Any]]]:
    """The whole table by column (SPSS and Stata need it at once): floats or text."""
    columns = export.columns
    data: list[list[Any]] = [[] for _ in columns]
    numeric = [_is_numeric(column) for column in columns]
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


def _variable_label(export: Export, column: Column, written: str) -> str:
    label = export.label(column)
    return label if written == column.name else f"{column.name}: {label}"


def _value_labels(export: Export, column: Column) -> dict[int | float, str]:
    # Keyed as pyreadstat's value labels are (a dict, so the key type must match it).
    return {
        column.numbers.get(code, code): export.value_label(label)
        for code, label in column.value_labels
    }


def _notes(lines: Iterable[str]) -> list[str]:
    """Lines of at most SPSS_NOTE_BYTES bytes (SPSS document records), wrapped on spaces."""
    result = []
    for line in lines:
        current = ""
        for word in line.split(" "):
            candidate = f"{current} {word}" if current else word
            if len(candidate.encode("utf-8")) <= SPSS_NOTE_BYTES:
                current = candidate
                continue
            if current:
                result.append(current)
            current = word
            while len(current.encode("utf-8")) > SPSS_NOTE_BYTES:
                cut = _cut(current, SPSS_NOTE_BYTES, lambda text: len(text.encode("utf-8")))
                result.append(cut)
                current = current[len(cut) :]
        result.append(current)
    return result


def write_sav(export: Export, path: Path) -> None:
    """SPSS: choices, statuses, 0/1 and matrices numeric with value labels; variable labels;
    9 declared as a user-missing value of each matrix column; measurement levels."""
    import pandas as pd
    import pyreadstat

    columns, data = _numbered_table(export)
    names = spss_names(columns)
    frame = pd.DataFrame(
        {
            names[column.name]: pd.Series(
                values, dtype="float64" if _is_numeric(column) else object
            )
            for column, values in zip(columns, data, strict=True)
        }
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
            names[column.name]: _variable_label(export, column, names[column.name])
            for column in columns
        },
        variable_value_labels={
            names[column.name]: _value_labels(export, column)
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
            # Twelve digits, a sign and, for decimals, the point and the digits after it.
            names[column.name]: (
                f"F{14 + column.decimals}.{column.decimals}" if column.decimals else "F12.0"
            )
            for column in columns
            if _is_numeric(column)
        },
        note=_notes(note_lines),
    )


def write_dta(export: Export, path: Path) -> None:
    """Stata 15: like SPSS, but Stata has no user-missing numbers: 9 ("I don't know") is
    written as the extended missing value .a, with its value label."""
    import pandas as pd
    import pyreadstat

    columns, data = _numbered_table(export)
    names = stata_names(columns)
    series = {}
    missing_user_values: dict[str, list[str]] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    for column, values in zip(columns, data, strict=True):
        name = names[column.name]
        if column.is_categorical:
            value_labels[name] = dict(_value_labels(export, column))
        letters = {
            float(number): STATA_MISSING_LETTERS[index]
            for index, number in enumerate(column.missing_codes)
        }
        if letters:
            missing_user_values[name] = list(letters.values())
            for number, letter in letters.items():
                if int(number) in value_labels.get(name, {}):
                    value_labels[name][letter] = value_labels[name].pop(int(number))
            if any(value in letters for value in values):
                # pyreadstat writes a letter in a numeric column as that extended missing value
                values = [letters.get(value, value) for value in values]
                series[name] = pd.Series(values, dtype=object)
                continue
        series[name] = pd.Series(values, dtype="float64" if _is_numeric(column) else object)
    pyreadstat.write_dta(
        pd.DataFrame(series),
        str(path),
        file_label=_cut(
            f"{export.survey_slug} responses; 9 (I don't know) is .a",
            STATA_LABEL_CHARACTERS,
            len,
        ),
        column_labels={
            names[column.name]: _cut(
                _variable_label(export, column, names[column.name]),
                STATA_LABEL_CHARACTERS,
                len,
            ).rstrip()
            for column in columns
        },
        variable_value_labels=value_labels,
        missing_user_values=missing_user_values,
    )


# -- Parquet ---------------------------------------------------------------------------------------

PARQUET_BATCH_ROWS = 5000


def _number_cells(export: Export, column: Column) -> bool:
    """Whether a column's cells are numbers in this export (labels turn categories into text)."""
    if not column.numeric:
        return False
    return not (export.options.labels and column.is_categorical and not column.boolean)


def _arrow_type(export: Export, column: Column) -> Any:
    """int64 for whole numbers and codes, float64 for decimals, string for the rest."""
    import pyarrow as pa

    if not _number_cells(export, column):
        return pa.string()
    return pa.float64() if column.decimals else pa.int64()


def write_parquet(export: Export, path: Path) -> None:
    """Parquet with an explicit schema (text as string, numbers as int64 or float64, all
    nullable), written in record batches; each field carries its label, the file the export's
    facts and codebook."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = [
        pa.field(
            column.name,
            _arrow_type(export, column),
            nullable=True,
            metadata={"label": export.label(column), "kind": column.kind},
        )
        for column in export.columns
    ]
    schema = pa.schema(
        fields,
        metadata={
            "survey.about": json.dumps(facts(export), ensure_ascii=False),
            "survey.codebook": json.dumps(export.codebook(), ensure_ascii=False, default=str),
        },
    )
    numbers = [_number_cells(export, column) for column in export.columns]

    def batch(rows: list[list[Any]]) -> Any:
        arrays = []
        for index, field in enumerate(fields):
            values = [row[index] for row in rows]
            if not numbers[index]:
                values = [None if value is None else str(value) for value in values]
            arrays.append(pa.array(values, type=field.type))
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    with pq.ParquetWriter(str(path), schema) as writer:
        rows: list[list[Any]] = []
        for cells in export.cells():
            rows.append(cells)
            if len(rows) >= PARQUET_BATCH_ROWS:
                writer.write_batch(batch(rows))
                rows = []
        if rows or export.total == 0:
            writer.write_batch(batch(rows))


# -- study package ---------------------------------------------------------------------------------


def readme_text(export: Export, data_file: str) -> str:
    lines = [
        f"Responses to the survey {export.survey_slug}",
        "",
        "Files:",
        f"  {data_file}  one row per response (UTF-8 CSV, header row of variable names)",
        "  codebook.csv  one row per variable: question, type, codes and labels, relevance",
        "  README.txt  this file",
        "",
        "About this export:",
    ]
    lines += [f"  {key}: {value}" for key, value in facts(export)]
    lines += [
        "",
        "Text that a spreadsheet would read as a formula (starting with = + - @, a tab or a",
        "carriage return) begins with an apostrophe.",
        "",
    ]
    return "\n".join(lines)


def _zip_csv(archive: zipfile.ZipFile, name: str, rows: Iterable[Sequence[Any]]) -> None:
    with (
        archive.open(name, "w", force_zip64=True) as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle,
    ):
        writer = csv.writer(handle)
        for cells in rows:
            writer.writerow(["" if cell is None else neutralise(cell) for cell in cells])


def write_zip(export: Export, path: Path) -> None:
    """A study package: the responses as CSV, codebook.csv and README.txt (filters, counts)."""
    data_file = f"{path.stem}.csv"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        header = [[column.name for column in export.columns]]
        _zip_csv(archive, data_file, _chain(header, export.cells()))
        _zip_csv(archive, "codebook.csv", codebook_rows(export))
        archive.writestr("README.txt", readme_text(export, data_file))


def _chain(*parts: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    for part in parts:
        yield from part


WRITERS: dict[str, Callable[[Export, Path], None]] = {
    "csv": write_csv,
    "csv-excel": write_csv_excel,
    "xlsx": write_xlsx,
    "sav": write_sav,
    "dta": write_dta,
    "parquet": write_parquet,
    "zip": write_zip,
}
