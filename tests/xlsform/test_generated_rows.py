"""Rows the platform writes into an XLSForm and makes again from their question on import (a
"Please specify" text, a matrix row: survey_keys `{"skip": true}`): a person's edit of one is
carried over when it can be (a matrix row's label), and otherwise named in a warning, one line
per row, that does not stop the import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from survey.questionnaire.schema import load_file, load_text
from survey.xlsform.reading import Conversion, read_xlsform
from survey.xlsform.writing import write_xlsform
from tests.xlsform.workbook import questions

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires" / "we-own-it.yaml"


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    """The shipped survey as the platform writes it: six "Please specify" rows, two matrices."""
    path = tmp_path_factory.mktemp("written") / "we-own-it.xlsx"
    write_xlsform(load_file(SHIPPED), path)
    return path


def edited(written: Path, tmp_path: Path, edits: dict[str, dict[str, Any]]) -> Path:
    """A copy of the workbook with cells of the survey sheet changed: row name → header → value
    (None empties the cell)."""
    book = load_workbook(written)
    sheet = book["survey"]
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        name = row[headers.index("name")].value
        for header, value in edits.get(name, {}).items():
            row[headers.index(header)].value = value
    path = tmp_path / "edited.xlsx"
    book.save(path)
    return path


def row_of(path: Path, name: str) -> int:
    sheet = load_workbook(path)["survey"]
    headers = [cell.value for cell in sheet[1]]
    return next(
        number
        for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2)
        if row[headers.index("name")] == name
    )


def read(path: Path) -> Conversion:
    conversion = read_xlsform(path)
    load_text(conversion.yaml_text(), str(path), conversion.places)  # still a questionnaire
    return conversion


def test_rows_as_written_say_nothing(written):
    conversion = read(written)
    assert conversion.warnings == []
    assert not any("carried over to the matrix" in note for note in conversion.notes)


def test_an_edited_please_specify_label_is_a_warning_naming_the_row(written, tmp_path):
    path = edited(written, tmp_path, {"gender_other": {"label::French (fr)": "Lequel ?"}})
    conversion = read(path)
    assert conversion.warnings == [
        f"{path}: survey sheet, row {row_of(path, 'gender_other')} (name: gender_other): "
        'label (fr) differs from what the platform writes for the "Please specify" row of '
        f"question 'gender' (row {row_of(path, 'gender')}) and is not carried over: the row is "
        "made again from that question on import (shown when an 'other' choice is picked, with "
        "the platform's label and rules); change the question or its choices instead"
    ]
    assert "gender_other" not in questions(conversion.data)


def test_every_cell_edited_in_a_row_is_named_in_its_one_line(written, tmp_path):
    path = edited(
        written,
        tmp_path,
        {
            "role_other": {
                "name": "role_details",
                "type": "integer",
                "relevant": "${role} != ''",
                "required": None,
            },
            "sector_other": {"hint::English (en)": "Say more."},
        },
    )
    warnings = read(path).warnings
    assert len(warnings) == 2, warnings
    role, sector = sorted(warnings, key=lambda line: "role_details" not in line)
    assert f"row {row_of(path, 'role_details')} (name: role_details): " in role
    assert ": type, name, relevant, required differ from what the platform writes" in role
    assert "question 'role'" in role
    assert ": hint (en) differs from what the platform writes" in sector


def test_an_edited_matrix_row_label_is_carried_over(written, tmp_path):
    path = edited(
        written,
        tmp_path,
        {"obstacles__legal": {"label::French (fr)": "Les règles", "label::Italian (it)": None}},
    )
    conversion = read(path)
    rows = {row["code"]: row for row in questions(conversion.data)["obstacles"]["rows"]}
    assert rows["legal"]["label"]["fr"] == "Les règles"
    # An emptied text is not carried over (the row would have none in Italian): it is named.
    assert rows["legal"]["label"]["it"]
    (warning,) = conversion.warnings
    assert "(name: obstacles__legal): label (it) differs from what the platform writes" in warning
    assert (
        f"survey row {row_of(path, 'obstacles__legal')}: the edited label (fr) of "
        "'obstacles__legal', a row of matrix 'obstacles', is carried over to the matrix"
    ) in conversion.notes


def test_a_matrix_row_edited_otherwise_is_a_warning(written, tmp_path):
    path = edited(
        written,
        tmp_path,
        {
            "obstacles__market": {"required": "yes"},
            "participation__balance": {"name": "balance", "label::English (en)": "Balance"},
        },
    )
    conversion = read(path)
    market, balance = conversion.warnings
    assert f"row {row_of(path, 'obstacles__market')} (name: obstacles__market): required " in (
        market
    )
    assert "this row of matrix 'obstacles' and is not carried over" in market
    assert f"in the survey_keys of row {row_of(path, 'obstacles')} instead" in market
    # Renamed, it may not be the row it was: its label is not carried over either.
    assert "(name: balance): name, label (en) differ from" in balance
    rows = {row["code"]: row for row in questions(conversion.data)["participation"]["rows"]}
    assert rows["balance"]["label"]["en"] != "Balance"


def test_a_skip_row_of_no_question_is_not_imported_and_says_so(written, tmp_path):
    path = edited(written, tmp_path, {"gender": {"survey_keys": '{"skip": true}'}})
    conversion = read(path)
    line = next(line for line in conversion.warnings if "(name: gender)" in line)
    assert 'its survey_keys {"skip": true} mark a row the platform writes' in line
    assert "the row is not imported; clear its survey_keys to import it" in line
    assert "gender" not in questions(conversion.data)


def test_a_second_please_specify_row_is_not_imported_and_says_so(written, tmp_path):
    path = edited(written, tmp_path, {"sector": {"survey_keys": '{"skip": true}'}})
    line = next(line for line in read(path).warnings if "(name: sector)" in line)
    assert f"but question 'coop_type' (row {row_of(path, 'coop_type')}) has no such row" in line
