"""The study package (.zip): the responses as CSV, codebook.csv and README.txt (filters,
counts, what empty cells and missing-value codes mean), every file streamed into the archive."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePath
from typing import Any

from survey.export.documentation import codebook_rows, facts
from survey.export.model import Export, Format, neutralise
from survey.message_catalogs import N_


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


def _chain(*parts: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    for part in parts:
        yield from part


def write_zip(export: Export, path: Path) -> None:
    """A study package: the responses as CSV, codebook.csv and README.txt (filters, counts).

    The CSV is named after the file delivered (`study.zip` holds `study.csv`), never after
    `path`, which may be a temporary file's."""
    data_file = f"{PurePath(export.file_name or path.name).stem}.csv"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        header = [[column.name for column in export.columns]]
        _zip_csv(archive, data_file, _chain(header, export.cells()))
        _zip_csv(archive, "codebook.csv", codebook_rows(export))
        archive.writestr("README.txt", readme_text(export, data_file))


FORMAT = Format(name="zip", extension="zip", label=N_("Study package (.zip)"), write=write_zip)
