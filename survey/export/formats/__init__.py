"""Every export format, in one place: one module per format declares its `FORMAT` (name, file
extension, label, writer); the tuple below lists them, in the order they are offered.

To add a format: write `survey/export/formats/<name>.py` with a writer `(Export, Path) -> None`
and `FORMAT = Format(...)`, and add it to FORMATS. The command line, the Exports page, the
background jobs and the file names all read this registry.
"""

from __future__ import annotations

from importlib.util import find_spec

from survey.export.formats import csv, csv_excel, dta, parquet, sav, study_package, xlsx
from survey.export.model import ExportError, Format

FORMATS: tuple[Format, ...] = (
    csv.FORMAT,
    csv_excel.FORMAT,
    xlsx.FORMAT,
    sav.FORMAT,
    dta.FORMAT,
    parquet.FORMAT,
    study_package.FORMAT,
)
_BY_NAME = {item.name: item for item in FORMATS}


def names() -> tuple[str, ...]:
    """The names of every format, in the order they are offered."""
    return tuple(_BY_NAME)


def get(name: str) -> Format:
    """The format called `name`; ExportError naming the known ones otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ExportError(f"format {name!r} is not one of: {', '.join(names())}") from None


def find(name: str) -> Format | None:
    """The format called `name`, or None (a job stored by a version that had it)."""
    return _BY_NAME.get(name)


def installed() -> tuple[Format, ...]:
    """The formats whose libraries can be imported here (those that can be written)."""
    return tuple(item for item in FORMATS if all(find_spec(library) for library in item.libraries))


__all__ = ["FORMATS", "Format", "find", "get", "installed", "names"]
