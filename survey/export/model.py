"""What every export format shares: the `Export` (columns, codebook, facts and rows), the
`Format` a writer declares, the error an export refuses with, and formula neutralising.

Pure: no Flask, no database session. Formats import this module; nothing here imports a format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from survey.export import flatten
from survey.export.flatten import Column
from survey.export.source import ExportOptions

# The characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST = frozenset(FORMULA_STARTS)
# The options that choose responses (all but how values are written), as the `about` sheet
# lists them.
FILTERS = tuple(
    option.name
    for option in fields(ExportOptions)
    if option.name not in ("format", "labels", "language")
)

ReportProgress = Callable[[int, int], None]  # (rows written, rows in all)


class ExportError(ValueError):
    """An export that cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Format:
    """One export format, as its module declares it (see survey.export.formats)."""

    name: str  # typed after `survey export --format`, stored in a job's options
    extension: str  # of the file, without the dot
    label: str  # shown on the Exports page; marked with N_ where it needs translating
    write: Callable[[Export, Path], None]
    libraries: tuple[str, ...] = ()  # modules the writer needs: offered only when installed
    file_suffix: str = ""  # ends the file name's stem, to tell variants apart ("_excel")
    # Its library needs the whole table at once (SPSS, Stata): the rows are then read in
    # smaller batches, so that the batches in hand add less to the table held.
    whole_table: bool = False


@dataclass(frozen=True)
class MissingValue:
    """A number declared missing (a scale point marked `missing: true`), with its label and
    the questions whose columns declare it."""

    number: int
    label: str
    questions: tuple[str, ...]


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
    progress: ReportProgress | None = field(default=None, repr=False)
    country_question: str | None = None  # the question(s) the country filter reads
    left_out_flagged: int | None = None  # responses the filter left out (None: not asked)
    # The name the file is delivered under, when a writer is given another path (a temporary
    # file, moved into place once whole); None: the path's own name.
    file_name: str | None = None

    def values(self) -> Iterator[list[Any]]:
        """Raw values: codes, 0/1, numbers, text, None. A whole number in a decimal column is
        an int (8, as typed), whichever database held it (SQLite gives 8, PostgreSQL 8.0)."""
        written = 0
        decimals = [index for index, column in enumerate(self.columns) if column.decimals]
        for values in self._rows():
            for index in decimals:
                value = values[index]
                if value.__class__ is float and value.is_integer():
                    values[index] = int(value)
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

    def missing_values(self) -> list[MissingValue]:
        """Every number some column declares missing, with its label, in column order."""
        found: dict[tuple[int, str], list[str]] = {}
        for column in self.columns:
            labels = {
                column.numbers.get(code, code): self.value_label(text)
                for code, text in column.value_labels
            }
            for number in column.missing_codes:
                questions = found.setdefault((number, labels.get(number, "")), [])
                question = column.question_id or column.name
                if question not in questions:
                    questions.append(question)
        return [
            MissingValue(number, label, tuple(questions))
            for (number, label), questions in found.items()
        ]

    def about(self) -> list[tuple[str, str]]:
        """Facts about this export, for the `about` sheet and the study package README."""
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
        filters = self.options.describe()
        for key in FILTERS:
            rows.append((f"filter: {key}", "" if filters[key] is None else str(filters[key])))
        if self.options.country and self.country_question:
            rows.append(("country filter reads the question", self.country_question))
        if self.left_out_flagged is not None:
            rows.append(
                (
                    "responses left out as flagged",
                    f"{self.left_out_flagged} (flag_speeder or flag_straightlining is 1)",
                )
            )
        rows.append(("empty cell", "the question did not apply, or was not answered"))
        rows += _missing_rows(self.missing_values())
        return rows


def _missing_rows(missing: list[MissingValue]) -> list[tuple[str, str]]:
    if not missing:
        return [("missing-value codes", "none in this export")]
    return [
        (
            f"missing-value code {item.number}",
            f"{item.label or 'no label'} (in {', '.join(item.questions)}; "
            "declared as missing in SPSS and Stata)",
        )
        for item in missing
    ]


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if value.__class__ is str and value[:1] in FORMULA_FIRST:
        return "'" + value
    return value
