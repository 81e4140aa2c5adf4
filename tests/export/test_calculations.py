"""Calculations in every export format, read back with each format's own reader.

The cascades-and-calculations survey (tests/questionnaires/cascades-and-calculations.yaml) is
answered over HTTP as a browser would, then exported: its three calculations, never asked, are
columns like answers. `children` (size - adults) and `share_adults` (adults / size * 100) are
numbers, `household` ('large' above 5 people, else 'small') is text; the codebook names each
with its label, or its rule when it has none.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from flask import Flask

from survey.export import formats
from survey.settings import PROJECT_ROOT
from tests.export.conftest import Answered, answer_over_http, exporter
from tests.export.test_question_types import READERS, TEXT_FORMATS, codebook_of

CASCADES = PROJECT_ROOT / "tests" / "questionnaires" / "cascades-and-calculations.yaml"
SLUG = "cascades-and-calculations"
CALCULATED = ("children", "share_adults", "household")

# What each person posted, section by section.
PEOPLE: dict[str, dict[str, dict[str, str]]] = {
    "large": {
        "place": {
            "region": "kayes",
            "District": "kita",
            "size": "6",
            "adults": "2",
            "school": "yes",
        },
        "market": {"market_town": "kayes_town", "large_note": "Three generations."},
    },
    "small": {
        "place": {"region": "sikasso", "District": "bougouni", "size": "2", "adults": "2"},
        "market": {"market_town": "none"},
    },
    "eight": {
        "place": {"region": "sikasso", "District": "elsewhere", "size": "8", "adults": "3"},
        "market": {"market_town": "sikasso_town", "large_note": ""},
    },
}
# What the export holds for each: worked out from the answers saved.
EXPECTED: dict[str, dict[str, Any]] = {
    "large": {"children": 4, "share_adults": 2 / 6 * 100, "household": "large"},
    "small": {"children": 0, "share_adults": 100, "household": "small"},
    "eight": {"children": 5, "share_adults": 37.5, "household": "large"},
}


@pytest.fixture
def answered(app: Flask, load_version) -> dict[str, str]:
    """The survey loaded and answered (and submitted) by PEOPLE over HTTP: name -> response id."""
    load_version(CASCADES)
    people = [Answered(name, posted) for name, posted in PEOPLE.items()]
    return {
        name: person.response_id for name, person in answer_over_http(app, SLUG, people).items()
    }


@pytest.fixture
def export_file(app: Flask, tmp_path: Path):
    """export_file("csv", labels=True, ...) -> the written file of the survey's export."""
    make = exporter(app, tmp_path, SLUG)
    return lambda fmt, **options: make(fmt, **options)[1]


def rows_by_person(fmt: str, path: Path, answered: dict[str, str]) -> dict[str, dict[str, Any]]:
    names = {response_id: name for name, response_id in answered.items()}
    return {names[row["response_id"]]: row for row in READERS[fmt](path)}


def number_in(fmt: str, cell: Any) -> float:
    """A numeric cell as its number: digits with a point in text formats, a number elsewhere."""
    if fmt in TEXT_FORMATS:
        assert isinstance(cell, str), (fmt, cell)
        return float(cell)
    assert isinstance(cell, int | float) and not isinstance(cell, bool), (fmt, cell)
    return float(cell)


# -- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize("labels", [False, True], ids=["codes", "labels"])
@pytest.mark.parametrize("fmt", formats.names())
def test_calculations_are_columns_with_their_values(
    answered: dict[str, str], export_file, fmt: str, labels: bool
):
    path = export_file(fmt, labels=labels)
    rows = rows_by_person(fmt, path, answered)
    assert sorted(rows) == sorted(EXPECTED)
    header = list(next(iter(rows.values())))
    # In questionnaire order, after the questions they are worked out from.
    assert header.index("adults") < header.index("children") < header.index("share_adults")
    assert header.index("share_adults") < header.index("household") < header.index("school")
    for name, expected in EXPECTED.items():
        row = rows[name]
        where = (fmt, labels, name)
        assert number_in(fmt, row["children"]) == expected["children"], where
        assert number_in(fmt, row["share_adults"]) == pytest.approx(
            expected["share_adults"], rel=1e-9
        ), where
        assert row["household"] == expected["household"], where
    # Worked out on the server and stored: `school` (asked when children > 0) kept accordingly.
    assert rows["large"]["school"] not in (None, "")
    assert rows["small"]["school"] in (None, "")


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_text_formats_write_calculated_numbers_as_plain_digits(
    answered: dict[str, str], export_file, fmt: str
):
    rows = rows_by_person(fmt, export_file(fmt), answered)
    assert rows["small"]["children"] == "0"  # none: zero, not an empty cell
    assert rows["large"]["children"] == "4"
    assert rows["eight"]["share_adults"] == "37.5"
    assert rows["small"]["share_adults"] == "100"


def test_xlsx_cells_of_calculations_are_numbers_and_text(answered: dict[str, str], export_file):
    sheet = openpyxl.load_workbook(export_file("xlsx"))["responses"]
    header = [cell.value for cell in sheet[1]]
    cells = {
        row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)
    }
    large = cells[answered["large"]]
    assert large["children"].data_type == "n" and large["children"].value == 4
    assert large["share_adults"].data_type == "n"
    assert large["share_adults"].value == pytest.approx(100 / 3)
    assert large["household"].data_type == "s" and large["household"].value == "large"
    assert cells[answered["small"]]["children"].value == 0


def test_sav_calculations_are_numeric_and_string_variables(answered: dict[str, str], export_file):
    frame, meta = pyreadstat.read_sav(str(export_file("sav")))
    types = meta.readstat_variable_types
    assert types["children"] == "double" and types["share_adults"] == "double"
    assert types["household"] == "string"
    assert meta.variable_measure["children"] == "scale"
    assert meta.variable_measure["share_adults"] == "scale"
    assert meta.variable_measure["household"] == "nominal"
    # Shown with digits after the point, so a share is not rounded to a whole number on screen.
    assert not meta.original_variable_types["share_adults"].endswith(".0")
    labels = meta.column_names_to_labels
    assert labels["share_adults"] == "Share of adults"
    assert labels["children"] == "Calculated: size - adults"
    by_id = frame.set_index("response_id")
    assert by_id.loc[answered["large"], "share_adults"] == pytest.approx(100 / 3)
    assert by_id.loc[answered["small"], "children"] == 0
    assert by_id.loc[answered["eight"], "household"] == "large"


def test_dta_calculations_are_numeric_and_string_variables(answered: dict[str, str], export_file):
    path = export_file("dta")
    _, meta = pyreadstat.read_dta(str(path))
    types = meta.readstat_variable_types
    # Whole numbers are stored in a whole-number type (a long), a share with decimals as double.
    assert types["children"] == "int32" and types["share_adults"] == "double"
    assert types["household"] == "string"
    shown = meta.original_variable_types["share_adults"]
    assert shown.endswith("g") or not shown.endswith(".0f"), shown
    frame = pd.read_stata(path, convert_categoricals=False).set_index("response_id")
    assert frame.loc[answered["eight"], "share_adults"] == 37.5
    assert frame.loc[answered["large"], "children"] == 4
    assert frame.loc[answered["small"], "household"] == "small"
    with pd.api.typing.StataReader(path) as reader:
        assert reader.variable_labels()["share_adults"] == "Share of adults"


def test_parquet_calculations_are_numbers_and_strings(answered: dict[str, str], export_file):
    path = export_file("parquet")
    schema = pq.ParquetFile(path).schema_arrow
    assert str(schema.field("share_adults").type) == "double"
    assert str(schema.field("household").type) == "string"
    assert schema.field("children").metadata[b"kind"] == b"calculate"
    frame = pd.read_parquet(path).set_index("response_id")
    assert pd.api.types.is_numeric_dtype(frame["children"])
    assert pd.api.types.is_float_dtype(frame["share_adults"])
    assert frame.loc[answered["large"], "children"] == 4
    assert frame.loc[answered["small"], "children"] == 0
    assert frame.loc[answered["large"], "share_adults"] == pytest.approx(100 / 3)
    assert frame.loc[answered["eight"], "household"] == "large"
    assert not math.isnan(frame.loc[answered["small"], "share_adults"])


# -- codebook ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "zip", "parquet"])
def test_codebook_names_each_calculation_by_its_label_or_its_rule(
    answered: dict[str, str], export_file, fmt: str
):
    entries = {entry["variable"]: entry for entry in codebook_of(fmt, export_file(fmt))}
    for name in CALCULATED:
        assert entries[name]["type"] == "calculate", entries[name]
        assert not entries[name]["codes"], entries[name]
    assert entries["children"]["question"] == "Calculated: size - adults"
    assert entries["share_adults"]["question"] == "Share of adults"
    assert entries["household"]["question"] == "Calculated: 'large' if size > 5 else 'small'"
    assert entries["children"]["measure"] == "scale"
    assert entries["share_adults"]["measure"] == "scale"
    assert entries["household"]["measure"] == "nominal"


def test_codebook_in_french_uses_the_french_label(answered: dict[str, str], export_file):
    path = export_file("parquet", language="fr")
    codebook = json.loads(pq.ParquetFile(path).schema_arrow.metadata[b"survey.codebook"])
    entries = {entry["variable"]: entry for entry in codebook}
    assert entries["share_adults"]["question"] == "Part des adultes"
    assert entries["children"]["question"] == "Calculé : size - adults"
