"""CSV for Excel: the CSV with a byte-order mark, so Excel reads accents."""

from __future__ import annotations

from pathlib import Path

from survey.export.formats.csv import write_csv
from survey.export.model import Export, Format
from survey.message_catalogs import N_


def write_csv_excel(export: Export, path: Path) -> None:
    write_csv(export, path, excel=True)


FORMAT = Format(
    name="csv-excel",
    extension="csv",
    label=N_("CSV for Excel"),
    write=write_csv_excel,
    file_suffix="_excel",
)
