"""Decimal and date answers in every export format, read back with each format's own reader.

The numbers-and-dates survey (tests/questionnaires/numbers-and-dates.yaml) is answered over HTTP
as a browser would, then exported in each format of `formats.names()`, with codes and with labels:
a decimal comes back as a number with every digit it was given (a comma typed as the decimal
point, as in French), a date as its ISO text, an unanswered or inapplicable question as an empty
cell; the codebook names the decimal and date variables.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from flask import Flask

from survey.export import formats
from survey.export.build import Export
from survey.export.names import stata_names
from survey.settings import PROJECT_ROOT
from tests.export.conftest import Answered, answer_over_http, exporter

NUMBERS_AND_DATES = PROJECT_ROOT / "tests" / "questionnaires" / "numbers-and-dates.yaml"
SLUG = "numbers-and-dates"
# The most share accepts: 12 digits before the point, `decimals: 2` after it (decimal.py).
LARGEST_SHARE = "999999999999,99"


PEOPLE = (
    # A comma for the decimal point, as many languages write it; everything applies.
    Answered(
        "full",
        {
            "work": {
                "hours": "9,5",
                "overtime": "yes",
                "joined": "1998-04-01",
                "founding": "no",
                "share": "1234,56",
            },
            "end": {"remarks": "Tout va bien."},
        },
    ),
    # In French, a whole number of hours, no share; `overtime` and `founding` answered but not
    # applying (8 is not more than 8.5, 2005 is not before 2000), so not kept.
    Answered(
        "no_share",
        {
            "work": {
                "hours": "8",
                "overtime": "yes",
                "joined": "2005-11-30",
                "founding": "yes",
                "share": "",
            },
            "end": {"remarks": ""},
        },
        language="fr",
    ),
    # The bounds: 24 hours, the latest date, the largest share with both decimals.
    Answered(
        "bounds",
        {
            "work": {"hours": "24", "joined": "2027-12-31", "share": LARGEST_SHARE},
            "end": {"remarks": ""},
        },
    ),
    # Saved the first section, never submitted.
    Answered(
        "partial",
        {"work": {"hours": "12.3", "joined": "1950-01-01", "share": "0.05"}},
        submit=False,
    ),
)
COMPLETE = ("full", "no_share", "bounds")

# What each export holds: numbers, ISO dates, codes; None where nothing is (empty cell).
EXPECTED: dict[str, dict[str, Any]] = {
    "full": {
        "hours": 9.5,
        "overtime": "yes",
        "joined": "1998-04-01",
        "founding": "no",
        "share": 1234.56,
        "remarks": "Tout va bien.",
        "language": "en",
    },
    "no_share": {
        "hours": 8.0,
        "overtime": None,
        "joined": "2005-11-30",
        "founding": None,
        "share": None,
        "remarks": None,
        "language": "fr",
    },
    "bounds": {
        "hours": 24.0,
        "overtime": None,
        "joined": "2027-12-31",
        "founding": None,
        "share": 999999999999.99,
        "remarks": None,
        "language": "en",
    },
    "partial": {
        "hours": 12.3,
        "overtime": None,
        "joined": "1950-01-01",
        "founding": None,
        "share": 0.05,
        "remarks": None,
        "language": "en",
    },
}
DECIMALS = ("hours", "share")
CODES = ("overtime", "founding")
CHOICE_LABELS = {
    "en": {"yes": "Yes", "no": "No"},
    "fr": {"yes": "Oui", "no": "Non"},
}
QUESTION_LABELS = {
    "en": {
        "hours": "How many hours a day do you work on average?",
        "joined": "When did you join your cooperative?",
        "share": "Your capital share, in euros",
    },
    "fr": {
        "hours": "Combien d'heures par jour travaillez-vous en moyenne ?",
        "joined": "Quand avez-vous rejoint votre coopérative ?",
        "share": "Votre part de capital, en euros",
    },
}
# Formats whose cells are text (a number is written as digits with a point, never a comma).
TEXT_FORMATS = ("csv", "csv-excel", "zip")


@pytest.fixture
def answered(app: Flask, load_version) -> dict[str, Answered]:
    """The numbers-and-dates survey loaded and answered by PEOPLE, each over HTTP."""
    load_version(NUMBERS_AND_DATES)
    return answer_over_http(app, SLUG, PEOPLE)


ExportNd = Callable[..., tuple[Export, Path]]


@pytest.fixture
def export_nd(app: Flask, tmp_path: Path) -> ExportNd:
    """export_nd("csv", labels=True, ...) -> (Export, written file) of the numbers-and-dates
    survey."""
    return exporter(app, tmp_path, SLUG)


# -- reading each format back ------------------------------------------------------------------


def _csv_rows(text: str) -> list[dict[str, Any]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _clean(value: Any) -> Any:
    """NaN (SPSS, Stata, pandas) as None."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {key: _clean(value) for key, value in record.items()} for record in frame.to_dict("records")
    ]


def read_csv_file(path: Path) -> list[dict[str, Any]]:
    return _csv_rows(path.read_text(encoding="utf-8"))


def read_csv_excel(path: Path) -> list[dict[str, Any]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    return _csv_rows(path.read_text(encoding="utf-8-sig"))


def read_xlsx(path: Path) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(path)["responses"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def read_sav(path: Path) -> list[dict[str, Any]]:
    frame, _meta = pyreadstat.read_sav(str(path))
    return _frame_rows(frame)


def read_dta(path: Path) -> list[dict[str, Any]]:
    frame, _meta = pyreadstat.read_dta(str(path))
    return _frame_rows(frame)


def read_parquet(path: Path) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()


def read_zip(path: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(path) as archive:
        return _csv_rows(archive.read(f"{path.stem}.csv").decode("utf-8"))


READERS: dict[str, Callable[[Path], list[dict[str, Any]]]] = {
    "csv": read_csv_file,
    "csv-excel": read_csv_excel,
    "xlsx": read_xlsx,
    "sav": read_sav,
    "dta": read_dta,
    "parquet": read_parquet,
    "zip": read_zip,
}


def by_person(rows: list[dict[str, Any]], people: dict[str, Answered]) -> dict[str, dict]:
    names = {person.response_id: name for name, person in people.items()}
    return {names[row["response_id"]]: row for row in rows}


def empty(value: Any) -> bool:
    """An empty cell as the format holds it: "" in text files and in SPSS/Stata text columns,
    None (or NaN, read as None) elsewhere."""
    return value is None or value == ""


def as_number(fmt: str, value: Any) -> float:
    """A decimal cell as its number: written as plain digits with a point in text formats,
    a number (never text) in the others."""
    if fmt in TEXT_FORMATS:
        assert isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value), value
        return float(value)
    assert isinstance(value, int | float) and not isinstance(value, bool), (fmt, value)
    return float(value)


def test_every_format_of_the_registry_is_read_here():
    """A format added to the export registry needs its reader in this file."""
    assert set(formats.names()) == set(READERS)


# -- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize("labels", [False, True], ids=["codes", "labels"])
@pytest.mark.parametrize("fmt", formats.names())
def test_decimals_come_back_as_numbers_and_dates_as_iso_text(
    answered: dict[str, Answered], export_nd: ExportNd, fmt: str, labels: bool
):
    language = "fr" if labels else None
    export, path = export_nd(fmt, labels=labels, language=language, include_partial=True)
    rows = by_person(READERS[fmt](path), answered)
    assert sorted(rows) == sorted(EXPECTED)
    columns = [column.name for column in export.columns]
    assert columns[-6:] == ["hours", "overtime", "joined", "founding", "share", "remarks"]
    assert list(next(iter(rows.values()))) == (
        [stata_names(export.columns)[name] for name in columns] if fmt == "dta" else columns
    )

    for name, expected in EXPECTED.items():
        row = rows[name]
        for column, value in expected.items():
            cell = row[column]
            where = (fmt, labels, name, column, cell)
            if value is None:
                assert empty(cell), where
            elif column in DECIMALS:
                # Every digit, not rounded to the question's decimals or to a float's print.
                assert as_number(fmt, cell) == value, where
            elif column in CODES and fmt in ("sav", "dta"):
                number = export.columns[columns.index(column)].numbers[value]
                assert cell == float(number), where  # value labels carry the words
            elif column in CODES and labels:
                assert cell == CHOICE_LABELS["fr"][value], where
            else:
                assert cell == value, where

    # The exact text a decimal is written as where cells are text: the digits given, a point.
    if fmt in TEXT_FORMATS:
        assert rows["full"]["hours"] == "9.5"
        assert rows["full"]["share"] == "1234.56"
        assert rows["bounds"]["share"] == "999999999999.99"
        assert rows["partial"]["share"] == "0.05"


def test_parquet_decimal_columns_are_float64_and_dates_are_strings(
    answered: dict[str, Answered], export_nd: ExportNd
):
    for labels in (False, True):
        _, path = export_nd("parquet", labels=labels)
        schema = pq.ParquetFile(path).schema_arrow
        assert str(schema.field("hours").type) == "double", labels
        assert str(schema.field("share").type) == "double", labels
        assert str(schema.field("joined").type) == "string", labels
        assert schema.field("hours").metadata[b"kind"] == b"decimal"
        assert schema.field("joined").metadata[b"kind"] == b"date"
        assert schema.field("share").metadata[b"label"].decode() == QUESTION_LABELS["en"]["share"]
        frame = pd.read_parquet(path)
        assert str(frame["hours"].dtype) == "float64" and str(frame["share"].dtype) == "float64"
        shares = frame.set_index("response_id")["share"]
        assert math.isnan(shares[answered["no_share"].response_id])
        assert shares[answered["full"].response_id] == 1234.56


def test_sav_decimal_variables_show_their_digits_after_the_point(
    answered: dict[str, Answered], export_nd: ExportNd
):
    _, path = export_nd("sav")
    frame, meta = pyreadstat.read_sav(str(path))
    formats = meta.original_variable_types
    # F<width>.<decimals>: SPSS shows hours with one digit after the point, share with two.
    assert re.fullmatch(r"F\d+\.1", formats["hours"]), formats["hours"]
    assert re.fullmatch(r"F\d+\.2", formats["share"]), formats["share"]
    assert formats["joined"] == "A10"
    assert meta.readstat_variable_types["hours"] == "double"
    assert meta.readstat_variable_types["share"] == "double"
    assert meta.readstat_variable_types["joined"] == "string"
    assert meta.variable_measure["hours"] == "scale"
    assert meta.variable_measure["share"] == "scale"
    labels = meta.column_names_to_labels
    assert labels["hours"] == QUESTION_LABELS["en"]["hours"]
    assert labels["joined"] == QUESTION_LABELS["en"]["joined"]
    assert "hours" not in meta.variable_value_labels
    assert meta.variable_value_labels["overtime"] == {1: "Yes", 2: "No"}
    shares = frame.set_index("response_id")["share"]
    assert shares[answered["bounds"].response_id] == 999999999999.99


def test_sav_format_is_wide_enough_for_the_largest_accepted_answer(
    answered: dict[str, Answered], export_nd: ExportNd
):
    _, path = export_nd("sav")
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    width = int(re.fullmatch(r"F(\d+)\.2", meta.original_variable_types["share"]).group(1))
    assert width >= len("999999999999.99")


def test_dta_decimal_variables_are_doubles_shown_with_their_digits(
    answered: dict[str, Answered], export_nd: ExportNd
):
    _, path = export_nd("dta")
    _, meta = pyreadstat.read_dta(str(path))
    assert meta.readstat_variable_types["hours"] == "double"
    assert meta.readstat_variable_types["share"] == "double"
    assert meta.readstat_variable_types["joined"] == "string"
    # A general (%g) or fixed format with decimals: never one that shows whole numbers only.
    for name in DECIMALS:
        shown = meta.original_variable_types[name]
        assert re.fullmatch(r"%-?\d+\.\d+g|%-?\d+\.[1-9]\d*f", shown), (name, shown)
    frame = pd.read_stata(path, convert_categoricals=False)
    by_id = frame.set_index("response_id")
    assert by_id.loc[answered["full"].response_id, "hours"] == 9.5
    assert by_id.loc[answered["full"].response_id, "share"] == 1234.56
    assert by_id.loc[answered["full"].response_id, "joined"] == "1998-04-01"
    assert math.isnan(by_id.loc[answered["no_share"].response_id, "share"])
    with pd.api.typing.StataReader(path) as reader:
        assert reader.variable_labels()["share"] == QUESTION_LABELS["en"]["share"]


def test_xlsx_cells_are_numbers_and_text(answered: dict[str, Answered], export_nd: ExportNd):
    _, path = export_nd("xlsx")
    sheet = openpyxl.load_workbook(path)["responses"]
    header = [cell.value for cell in sheet[1]]
    cells = {
        row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)
    }
    full = cells[answered["full"].response_id]
    assert full["hours"].data_type == "n" and full["hours"].value == 9.5
    assert full["share"].data_type == "n" and full["share"].value == 1234.56
    # A date stays the ISO text it was answered as: no spreadsheet date serial, no time zone.
    assert full["joined"].data_type == "s" and full["joined"].value == "1998-04-01"
    assert cells[answered["no_share"].response_id]["share"].value is None


# -- codebook ----------------------------------------------------------------------------------


def codebook_of(fmt: str, path: Path) -> list[dict[str, Any]]:
    """The codebook a format carries, as rows with `variable`, `question`, `type`, `measure`."""
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(path)["codebook"]
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        return [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    if fmt == "zip":
        with zipfile.ZipFile(path) as archive:
            return _csv_rows(archive.read("codebook.csv").decode("utf-8"))
    assert fmt == "parquet"
    metadata = pq.ParquetFile(path).schema_arrow.metadata
    return json.loads(metadata[b"survey.codebook"])


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("fmt", ["xlsx", "zip", "parquet"])
def test_codebook_lists_the_decimal_and_date_variables(
    answered: dict[str, Answered], export_nd: ExportNd, fmt: str, language: str
):
    export, path = export_nd(fmt, language=language)
    entries = {entry["variable"]: entry for entry in codebook_of(fmt, path)}
    assert list(entries) == [column.name for column in export.columns]
    for name, kind in (("hours", "decimal"), ("share", "decimal"), ("joined", "date")):
        entry = entries[name]
        assert entry["type"] == kind, entry
        assert entry["question"] == QUESTION_LABELS[language][name], entry
        assert entry["measure"] == ("scale" if kind == "decimal" else "nominal"), entry
        assert not entry["codes"], entry  # no value labels: the values speak for themselves
    assert entries["overtime"]["relevance"] == "hours > 8.5"
    assert entries["founding"]["relevance"] == "joined < '2000-01-01'"


@pytest.mark.parametrize("fmt", ["xlsx", "zip", "parquet"])
def test_about_says_how_many_responses_and_in_which_values(
    answered: dict[str, Answered], export_nd: ExportNd, fmt: str
):
    _, path = export_nd(fmt, labels=True, language="fr", include_partial=True)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(path)["about"]
        about = {row[0].value: row[1].value for row in sheet.iter_rows()}
    elif fmt == "zip":
        with zipfile.ZipFile(path) as archive:
            readme = archive.read("README.txt").decode("utf-8")
        facts = readme.split("About this export:\n", 1)[1].split("\n\n", 1)[0]
        about = dict(line.strip().split(": ", 1) for line in facts.splitlines())
    else:
        about = dict(json.loads(pq.ParquetFile(path).schema_arrow.metadata[b"survey.about"]))
    assert about["survey"] == SLUG
    assert about["values"] == "labels"
    assert about["label language"] == "fr"
    assert about["responses exported"] == str(len(EXPECTED))
    assert about["responses with status complete"] == str(len(COMPLETE))
    assert about["responses with status partial"] == "1"


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_a_whole_decimal_is_written_as_typed_on_every_database(
    answered: dict[str, Answered], export_nd: ExportNd, fmt: str
):
    _, path = export_nd(fmt)
    rows = by_person(READERS[fmt](path), answered)
    assert rows["no_share"]["hours"] == "8"
    assert rows["bounds"]["hours"] == "24"
    assert rows["full"]["hours"] == "9.5"
