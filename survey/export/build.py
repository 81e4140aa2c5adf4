"""An export in the making: columns, codebook, facts for the `about` sheet, and the rows.

Writers get an `Export` and pull rows from it; rows come from the database in batches, so no
format needs the whole table in memory unless its library does (SPSS, Stata).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from survey.export import flatten, source
from survey.export.flatten import Column
from survey.export.source import ExportOptions
from survey.models import Survey

FORMATS = ("csv", "csv-excel", "xlsx", "sav", "dta", "parquet", "zip")
EXTENSIONS = {
    "csv": "csv",
    "csv-excel": "csv",
    "xlsx": "xlsx",
    "sav": "sav",
    "dta": "dta",
    "parquet": "parquet",
    "zip": "zip",
}
# The characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int, int], None]  # (rows written, rows in all)


class ExportError(ValueError):
    """An export that cannot be made as asked; the message says why."""


@dataclass
class Export:
    survey_slug: str
    options: ExportOptions
    language: str
    default_language: str
    columns: list[Column]
    total: int
    counts: dict[str, int]
    exported_at: datetime
    questionnaire_version: int
    _rows: Callable[[], Iterator[list[Any]]] = field(repr=False)
    progress: Progress | None = field(default=None, repr=False)

    def values(self) -> Iterator[list[Any]]:
        """Raw values: codes, 0/1, numbers, text, None."""
        written = 0
        for values in self._rows():
            yield values
            written += 1
            if self.progress is not None and (written % 500 == 0 or written == self.total):
                self.progress(written, self.total)
        if self.progress is not None and written == 0:
            self.progress(0, 0)

    def cells(self) -> Iterator[list[Any]]:
        """Values as the options ask: codes, or labels in the export's language."""
        if not self.options.labels:
            yield from self.values()
            return
        for values in self.values():
            yield [
                flatten.label_of(column, value, self.language, self.default_language)
                for column, value in zip(self.columns, values, strict=True)
            ]

    def numbered(self) -> Iterator[list[Any]]:
        """Categories as their stable numbers (for SPSS and Stata value labels)."""
        for values in self.values():
            yield [
                flatten.number_of(column, value)
                for column, value in zip(self.columns, values, strict=True)
            ]

    def codebook(self) -> list[dict[str, Any]]:
        return flatten.codebook(self.columns, self.language, self.default_language)

    def label(self, column: Column) -> str:
        return flatten.text_of(column.label, self.language, self.default_language)

    def value_label(self, text: Mapping[str, str]) -> str:
        return flatten.text_of(text, self.language, self.default_language)

    def about(self) -> list[tuple[str, str]]:
        """Facts about this export, for the `about` sheet and the study package README."""
        filters = self.options.describe()
        rows = [
            ("survey", self.survey_slug),
            ("questionnaire version (newest)", str(self.questionnaire_version)),
            ("exported at (UTC)", self.exported_at.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("format", self.options.format),
            ("values", "labels" if self.options.labels else "codes"),
            ("label language", self.language),
            ("responses exported", str(self.total)),
        ]
        for status, number in sorted(self.counts.items()):
            rows.append(
                (f"responses with status {flatten.EXPORT_STATUS.get(status, status)}", str(number))
            )
        for key in (
            "include_partial",
            "include_screened_out",
            "since",
            "channel",
            "country",
            "with_personal_data",
        ):
            rows.append((f"filter: {key}", "" if filters[key] is None else str(filters[key])))
        rows.append(("empty cell", "the question did not apply, or was not answered"))
        rows.append(("9 in a matrix", "I don't know (declared as missing in SPSS and Stata)"))
        return rows


def prepare(
    session: Session,
    survey: Survey,
    options: ExportOptions,
    *,
    now: datetime,
    progress: Progress | None = None,
) -> Export:
    """Everything an export needs, with rows read lazily from `session` as they are written."""
    if options.format not in FORMATS:
        raise ExportError(f"format {options.format!r} is not one of: {', '.join(FORMATS)}")
    versions = source.versions_of(session, survey)
    if not versions.numbers:
        raise ExportError(f"survey {survey.slug!r} has no questionnaire loaded")
    latest = versions.latest
    language = options.language or latest.default_language
    if language not in latest.languages:
        raise ExportError(
            f"language {language!r} is not one of the survey's: {', '.join(latest.languages)}"
        )
    export_columns = flatten.columns(
        versions.ordered(), with_personal_data=options.with_personal_data
    )

    make_row = flatten.row_maker(export_columns)

    def rows() -> Iterator[list[Any]]:
        for record, questionnaire in source.records(session, survey, options, versions):
            yield make_row(record, questionnaire)

    return Export(
        survey_slug=survey.slug,
        options=options,
        language=language,
        default_language=latest.default_language,
        columns=export_columns,
        total=source.count(session, survey, options),
        counts=source.status_counts(session, survey, options),
        exported_at=now,
        questionnaire_version=max(versions.numbers.values()),
        _rows=rows,
        progress=progress,
    )


def file_name(slug: str, fmt: str, now: datetime) -> str:
    """survey, UTC time and format; no user text beyond the (validated) slug."""
    safe_slug = re.sub(r"[^a-z0-9-]", "-", slug.lower())
    suffix = "_excel" if fmt == "csv-excel" else ""
    return f"{safe_slug}_{now:%Y%m%dT%H%M%SZ}{suffix}.{EXTENSIONS[fmt]}"


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if value.__class__ is str and value[:1] in FORMULA_FIRST:
        return "'" + value
    return value


FORMULA_FIRST = frozenset(FORMULA_STARTS)


def write(export: Export, path: Path) -> Path:
    """Write `export` to `path` in its format."""
    from survey.export import writers

    writers.WRITERS[export.options.format](export, path)
    return path
