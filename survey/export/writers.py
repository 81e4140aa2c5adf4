"""One small writer per format. Each takes an Export and a path and streams rows into it."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from survey.export.build import Export, neutralise


def write_csv(export: Export, path: Path, *, excel: bool = False) -> None:
    """UTF-8 CSV, one header row of variable names; `excel` adds a BOM so Excel reads UTF-8."""
    with path.open("w", encoding="utf-8-sig" if excel else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([column.name for column in export.columns])
        for cells in export.cells():
            writer.writerow(["" if cell is None else neutralise(cell) for cell in cells])


def write_csv_excel(export: Export, path: Path) -> None:
    write_csv(export, path, excel=True)


WRITERS: dict[str, Callable[[Export, Path], None]] = {
    "csv": write_csv,
    "csv-excel": write_csv_excel,
}
