"""Excel: sheets `responses`, `codebook` and `about`, rows streamed (constant memory)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from survey.export.documentation import codebook_rows, facts
from survey.export.model import Export, ExportError, Format, neutralise

XLSX_MAX_ROWS = 1_048_576  # including the header row


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
    )


def _write_row(sheet: Any, row_number: int, cells: Sequence[Any]) -> None:
    for index, cell in enumerate(cells):
        if cell is None or cell == "":
            continue  # empty: nothing is written (system missing)
        if _is_number(cell):
            sheet.write_number(row_number, index, cell)
        else:
            sheet.write_string(row_number, index, neutralise(str(cell)))


def _write_responses(export: Export, sheet: Any, bold: Any) -> None:
    sheet.freeze_panes(1, 0)
    for index, column in enumerate(export.columns):
        sheet.write_string(0, index, column.name, bold)
    row_number = 0
    for cells in export.cells():
        row_number += 1
        if row_number >= XLSX_MAX_ROWS:
            raise ExportError("too many responses for an Excel sheet")
        _write_row(sheet, row_number, cells)


def _write_table(sheet: Any, rows: Iterable[Sequence[Any]], bold: Any | None) -> None:
    """Rows as they come; the first in `bold` when given (a header)."""
    for row_number, cells in enumerate(rows):
        if row_number == 0 and bold is not None:
            for index, cell in enumerate(cells):
                sheet.write_string(0, index, cell, bold)
        else:
            _write_row(sheet, row_number, cells)


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
        _write_responses(export, workbook.add_worksheet("responses"), bold)

        codebook = workbook.add_worksheet("codebook")
        codebook.freeze_panes(1, 0)
        codebook.set_column(0, 0, 30)
        codebook.set_column(1, 1, 60)
        codebook.set_column(4, 4, 80)
        _write_table(codebook, codebook_rows(export), bold)

        about = workbook.add_worksheet("about")
        about.set_column(0, 0, 40)
        about.set_column(1, 1, 80)
        _write_table(about, facts(export), None)
    finally:
        workbook.close()


FORMAT = Format(
    name="xlsx",
    extension="xlsx",
    label="Excel (.xlsx)",
    write=write_xlsx,
    libraries=("xlsxwriter",),
)
