"""CSV: UTF-8, one header row of variable names, rows streamed as they are read."""

from __future__ import annotations

import csv
from pathlib import Path

from survey.export.model import FORMULA_FIRST, Export, Format


def write_csv(export: Export, path: Path, *, excel: bool = False) -> None:
    """UTF-8 CSV, one header row of variable names; `excel` adds a BOM so Excel reads UTF-8.

    Text is neutralised (see model.neutralise): a spreadsheet may open the file."""
    with path.open("w", encoding="utf-8-sig" if excel else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([column.name for column in export.columns])
        texts = text_positions(export)
        first = FORMULA_FIRST
        for cells in export.cells():
            for index in texts:  # only where text can be; None is written as an empty field
                # model.neutralise, inline: a call per text cell counts at 100,000 responses.
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


FORMAT = Format(name="csv", extension="csv", label="CSV", write=write_csv)
