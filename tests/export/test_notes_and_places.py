"""Tick boxes and places in every export format, read back with each format's own reader; notes
make no column.

The notes-and-places survey (tests/questionnaires/notes-and-places.yaml) is answered over HTTP
as a browser would, then exported in each format of `formats.names()`, with codes and with labels:
a ticked box is 1 (in every mode, as a choice's 0/1 column), an unticked one an empty cell; a
place is two numbers, `<id>_latitude` and `<id>_longitude`, with every digit given (a comma typed
as the decimal point, as in French); the codebook names each variable. The readers are those of
tests/export/test_question_types.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pyreadstat
import pytest
from flask import Flask

from survey.export import formats
from survey.export.build import Export
from survey.export.names import stata_names
from survey.settings import PROJECT_ROOT
from tests.export.conftest import Answered, answer_over_http, exporter
from tests.export.test_question_types import (
    READERS,
    TEXT_FORMATS,
    as_number,
    by_person,
    codebook_of,
    empty,
)

NOTES_AND_PLACES = PROJECT_ROOT / "tests" / "questionnaires" / "notes-and-places.yaml"
SLUG = "notes-and-places"

PEOPLE = (
    # Everything answered; the office typed the French way.
    Answered(
        "full",
        {
            "before": {"rules": "1"},
            "places": {
                "office__latitude": "50,85045",
                "office__longitude": "4,34878",
                "shared": "yes",
                "site__latitude": "14.692812",
                "site__longitude": "-17.446721",
            },
            "end": {"on_map": "1"},
        },
    ),
    # In French, no office (so `shared` does not apply), the place at the bounds, the map box
    # left unticked.
    Answered(
        "bounds",
        {
            "before": {"rules": "1"},
            "places": {"shared": "no", "site__latitude": "-90", "site__longitude": "180"},
            "end": {},
        },
        language="fr",
    ),
    # Saved the first section, never submitted.
    Answered("partial", {"before": {"rules": "1"}}, submit=False),
)
COLUMNS = [
    "rules",
    "office_latitude",
    "office_longitude",
    "shared",
    "site_latitude",
    "site_longitude",
    "on_map",
]
COORDINATES = ("office_latitude", "office_longitude", "site_latitude", "site_longitude")
TICK_BOXES = ("rules", "on_map")
EXPECTED: dict[str, dict[str, Any]] = {
    "full": {
        "rules": 1,
        "office_latitude": 50.85045,
        "office_longitude": 4.34878,
        "shared": "yes",
        "site_latitude": 14.692812,
        "site_longitude": -17.446721,
        "on_map": 1,
    },
    "bounds": {
        "rules": 1,
        "office_latitude": None,
        "office_longitude": None,
        "shared": None,
        "site_latitude": -90.0,
        "site_longitude": 180.0,
        "on_map": None,
    },
    "partial": {
        "rules": 1,
        "office_latitude": None,
        "office_longitude": None,
        "shared": None,
        "site_latitude": None,
        "site_longitude": None,
        "on_map": None,
    },
}
LABELS = {
    "en": {
        "rules": "I have read how my answers will be used.",
        "site_latitude": "Where do you work on most days? (latitude)",
        "site_longitude": "Where do you work on most days? (longitude)",
    },
    "fr": {
        "rules": "J'ai lu comment mes réponses seront utilisées.",
        "site_latitude": "Où travaillez-vous la plupart du temps ? (latitude)",
        "site_longitude": "Où travaillez-vous la plupart du temps ? (longitude)",
    },
}
YES = {"en": "Yes", "fr": "Oui"}


@pytest.fixture
def answered(app: Flask, load_version) -> dict[str, Answered]:
    """The notes-and-places survey loaded and answered by PEOPLE, each over HTTP."""
    load_version(NOTES_AND_PLACES)
    return answer_over_http(app, SLUG, PEOPLE)


ExportNp = Callable[..., tuple[Export, Path]]


@pytest.fixture
def export_np(app: Flask, tmp_path: Path) -> ExportNp:
    """export_np("csv", labels=True, ...) -> (Export, written file) of the survey."""
    return exporter(app, tmp_path, SLUG)


@pytest.mark.parametrize("labels", [False, True], ids=["codes", "labels"])
@pytest.mark.parametrize("fmt", formats.names())
def test_tick_boxes_are_1_and_places_two_numbers_in_every_format(
    answered: dict[str, Answered], export_np: ExportNp, fmt: str, labels: bool
):
    language = "fr" if labels else None
    export, path = export_np(fmt, labels=labels, language=language, include_partial=True)
    rows = by_person(READERS[fmt](path), answered)
    assert sorted(rows) == sorted(EXPECTED)
    names = [column.name for column in export.columns]
    assert names[-len(COLUMNS) :] == COLUMNS  # no column for the notes
    written = [stata_names(export.columns)[name] for name in names] if fmt == "dta" else names
    assert list(next(iter(rows.values()))) == written

    for name, expected in EXPECTED.items():
        row = rows[name]
        for column, value in expected.items():
            cell = row[column]
            where = (fmt, labels, name, column, cell)
            if value is None:
                assert empty(cell), where
            elif column in COORDINATES or column in TICK_BOXES:
                # A number, in label mode too: 1 for a ticked box, as a choice's 0/1 column.
                assert as_number(fmt, cell) == value, where
            elif fmt in ("sav", "dta"):
                assert cell == float(export.columns[names.index(column)].numbers[value]), where
            elif labels:
                assert cell == {"yes": "Oui", "no": "Non"}[value], where
            else:
                assert cell == value, where

    if fmt in TEXT_FORMATS:  # the digits given, a point, nothing rounded or added
        assert rows["full"]["site_latitude"] == "14.692812"
        assert rows["full"]["site_longitude"] == "-17.446721"
        assert rows["full"]["office_longitude"] == "4.34878"
        assert rows["bounds"]["site_latitude"] == "-90"
        assert rows["full"]["rules"] == "1"


def test_xlsx_cells_are_numbers(answered: dict[str, Answered], export_np: ExportNp):
    _, path = export_np("xlsx", labels=True, language="fr")
    sheet = openpyxl.load_workbook(path)["responses"]
    header = [cell.value for cell in sheet[1]]
    cells = {
        row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)
    }
    full = cells[answered["full"].response_id]
    for name in ("rules", "site_latitude", "site_longitude", "on_map"):
        assert full[name].data_type == "n", name
    assert full["site_longitude"].value == -17.446721
    assert cells[answered["bounds"].response_id]["on_map"].value is None


def test_parquet_places_are_doubles_and_tick_boxes_whole_numbers(
    answered: dict[str, Answered], export_np: ExportNp
):
    for labels in (False, True):
        _, path = export_np("parquet", labels=labels)
        schema = pq.ParquetFile(path).schema_arrow
        for name in COORDINATES:
            assert str(schema.field(name).type) == "double", (labels, name)
            assert schema.field(name).metadata[b"kind"] == b"geopoint"
        assert str(schema.field("rules").type) == "int64", labels
        assert schema.field("rules").metadata[b"kind"] == b"acknowledge"
        label = schema.field("site_latitude").metadata[b"label"].decode()
        assert label == LABELS["en"]["site_latitude"]


def test_sav_shows_six_digits_after_the_point_and_labels_a_ticked_box(
    answered: dict[str, Answered], export_np: ExportNp
):
    _, path = export_np("sav")
    frame, meta = pyreadstat.read_sav(str(path))
    for name in COORDINATES:
        assert re.fullmatch(r"F\d+\.6", meta.original_variable_types[name]), name
        assert meta.readstat_variable_types[name] == "double"
        assert meta.variable_measure[name] == "scale"
        assert name not in meta.variable_value_labels
    assert meta.variable_value_labels["rules"] == {1: "Yes"}
    assert meta.variable_value_labels["on_map"] == {1: "Yes"}
    assert meta.variable_measure["rules"] == "nominal"
    assert meta.column_names_to_labels["site_longitude"] == LABELS["en"]["site_longitude"]
    sites = frame.set_index("response_id")["site_longitude"]
    assert sites[answered["full"].response_id] == -17.446721


def test_dta_places_are_doubles_shown_with_their_digits(
    answered: dict[str, Answered], export_np: ExportNp
):
    _, path = export_np("dta", language="fr")
    frame, meta = pyreadstat.read_dta(str(path))
    for name in COORDINATES:
        assert meta.readstat_variable_types[name] == "double"
        shown = meta.original_variable_types[name]
        assert re.fullmatch(r"%-?\d+\.\d+g|%-?\d+\.[1-9]\d*f", shown), (name, shown)
    assert meta.variable_value_labels["rules"] == {1: "Oui"}
    assert meta.column_names_to_labels["rules"] == LABELS["fr"]["rules"]
    by_id = frame.set_index("response_id")
    assert by_id.loc[answered["full"].response_id, "site_latitude"] == 14.692812


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("fmt", ["xlsx", "zip", "parquet"])
def test_codebook_lists_tick_boxes_and_places_but_no_note(
    answered: dict[str, Answered], export_np: ExportNp, fmt: str, language: str
):
    export, path = export_np(fmt, language=language)
    entries = {entry["variable"]: entry for entry in codebook_of(fmt, path)}
    assert list(entries) == [column.name for column in export.columns]
    assert "about" not in entries and "map_note" not in entries
    rules = entries["rules"]
    assert rules["type"] == "acknowledge"
    assert rules["question"] == LABELS[language]["rules"]
    if fmt == "parquet":
        assert rules["codes"] == [{"code": 1, "number": 1, "label": YES[language]}]
    else:
        assert rules["codes"] == f"1: {YES[language]}"
    for name in ("site_latitude", "site_longitude"):
        entry = entries[name]
        assert entry["type"] == "geopoint", entry
        assert entry["question"] == LABELS[language][name], entry
        assert entry["measure"] == "scale", entry
        assert not entry["codes"], entry
    assert entries["shared"]["relevance"] == "answered(office)"
