"""Every export format, written from answers made through the app and read back with its own
reader: CSV (csv module), XLSX (openpyxl), SPSS (pyreadstat), Stata (pyreadstat and pandas),
Parquet (pyarrow) and the study package (zipfile)."""

from __future__ import annotations

import csv
import importlib
import io
import json
import math
import pkgutil
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from survey.export import build, formats
from survey.export import names as variable_names
from survey.export.documentation import CODEBOOK_HEADER, codebook_rows
from survey.export.flatten import Column
from survey.export.formats import csv as csv_format
from survey.export.formats import parquet as parquet_format
from survey.export.formats import xlsx
from survey.export.model import ExportError, neutralise
from tests.export.conftest import (
    EXPORTED_AT,
    FORMULAS,
    LATE_ANSWERS,
    MEMBER_ANSWERS,
    Population,
    expected_answers,
    expected_meta,
    fake_export,
    matrix_column,
    text_column,
)

UNICODE = MEMBER_ANSWERS["future"]["we_own_it"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def as_text(value: Any) -> str:
    """A value as the CSV writer puts it: empty for None, formulas made inert."""
    return "" if value is None else str(neutralise(value))


def rows_by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["response_id"]: row for row in rows}


def check_person(
    row: dict[str, Any], person, columns: list[Column], questionnaire, convert=lambda c, v: v
) -> None:
    """Every column of `row` equals what `person` answered (converted for the format)."""
    expected = {**expected_meta(person), **expected_answers(person, columns, questionnaire)}
    for name, value in expected.items():
        column = next(column for column in columns if column.name == name)
        assert row[name] == convert(column, value), (person.name, name)


# -- CSV -------------------------------------------------------------------------------------------


def test_csv_holds_every_answer_as_submitted(population: Population, make_export, questionnaire):
    export, path = make_export("csv")
    rows = read_csv(path)
    header = list(rows[0])
    assert header == [column.name for column in export.columns]
    assert header[:11] == [
        "response_id",
        "status",
        "late",
        "language",
        "channel",
        "questionnaire_version",
        "consent_version",
        "started_at",
        "submitted_at",
        "duration_seconds",
        "last_section",
    ]
    complete = ["member", "not_involved", "formula", "formula2", "late"]
    assert [row["response_id"] for row in rows] == [
        population[name].response_id for name in complete
    ]
    by_id = rows_by_id(rows)
    for name in complete:
        person = population[name]
        check_person(
            by_id[person.response_id],
            person,
            export.columns,
            questionnaire,
            lambda column, value: as_text(value),
        )

    member = by_id[population["member"].response_id]
    assert member["we_own_it"] == UNICODE == "Coopérative Ñandú 合作社: we decide together."
    assert member["situation__worker_member"] == "1"
    assert member["situation__employee"] == "0"
    assert member["obstacles__legal"] == "9"
    assert member["obstacles__knowledge"] == ""
    assert member["duration_seconds"] == str(7 * 60)
    assert member["submitted_at"] == "2027-01-15T12:07:00Z"
    assert "email" not in member

    # Nothing of the cooperative sections for someone not involved: dummies empty too.
    not_involved = by_id[population["not_involved"].response_id]
    for name in ("coop_type", "role__founder", "motivations__democracy", "obstacles__finance"):
        assert not_involved[name] == ""
    assert not_involved["help_needed__education"] == "1"
    assert not_involved["help_needed__finance"] == "0"

    late = by_id[population["late"].response_id]
    assert late["late"] == "1" and member["late"] == "0"
    assert late["we_own_it"] == LATE_ANSWERS["future"]["we_own_it"]


def test_csv_excel_starts_with_a_bom_and_reads_the_same(population, make_export):
    _, plain = make_export("csv")
    _, excel = make_export("csv-excel")
    assert excel.name.endswith("_excel.csv")
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_csv(excel, encoding="utf-8-sig") == read_csv(plain)


def test_partial_and_screened_out_only_when_asked(population: Population, make_export):
    def statuses(**options: Any) -> dict[str, str]:
        _, path = make_export("csv", **options)
        return {row["response_id"]: row["status"] for row in read_csv(path)}

    partial = population["partial"].response_id
    screened = population["screened_out"].response_id
    assert partial not in statuses() and screened not in statuses()

    with_partial = statuses(include_partial=True)
    assert with_partial[partial] == "partial" and screened not in with_partial

    with_screened = statuses(include_screened_out=True)
    assert with_screened[screened] == "screened_out" and partial not in with_screened

    both = statuses(include_partial=True, include_screened_out=True)
    assert len(both) == 7


def test_partial_row_shows_what_was_saved(population: Population, make_export, questionnaire):
    export, path = make_export("csv", include_partial=True, include_screened_out=True)
    rows = rows_by_id(read_csv(path))
    person = population["partial"]
    row = rows[person.response_id]
    check_person(row, person, export.columns, questionnaire, lambda column, value: as_text(value))
    assert row["submitted_at"] == "" and row["duration_seconds"] == ""
    assert row["last_section"] != ""
    assert row["involvement"] == "founding"
    assert row["coop_type"] == "" and row["role__founder"] == ""  # section not reached

    screened = rows[population["screened_out"].response_id]
    assert screened["status"] == "screened_out"
    assert screened["age"] == "15"
    assert screened["involvement"] == ""


def test_labels_mode_writes_labels_in_the_default_language(population: Population, make_export):
    export, path = make_export("csv", labels=True)
    assert export.language == "en"
    rows = rows_by_id(read_csv(path))
    member = rows[population["member"].response_id]
    assert member["involvement"] == "I am a member of a cooperative"
    assert member["country"] == "Argentina"
    assert member["gender"] == "Prefer to self-describe"
    assert member["status"] == "Complete"
    assert member["obstacles__finance"] == "A major obstacle"
    assert member["obstacles__legal"] == "I don't know"
    assert member["participation__voice_heard"] == "Strongly agree"
    assert member["situation__worker_member"] == "1"  # 0/1 stay 0/1
    assert member["late"] == "0"
    assert member["recommend"] == "9"  # a number, not a label
    assert member["age"] == "27"
    assert member["we_own_it"] == UNICODE
    assert rows[population["not_involved"].response_id]["country"] == "Kenya"


def test_language_must_be_one_the_survey_declares(population, make_export):
    declared = "en, fr, es, pt_BR, it"
    with pytest.raises(ExportError, match=f"language 'pt' is not one of the survey's: {declared}"):
        make_export("csv", labels=True, language="pt")
    export, _ = make_export("csv", labels=True, language="en")
    assert export.language == "en"


def test_unknown_format_is_refused(population, make_export):
    with pytest.raises(ExportError, match="format 'xls'"):
        make_export("xls")


def test_filters_since_channel_and_country(population: Population, make_export):
    def ids(**options: Any) -> list[str]:
        _, path = make_export("csv", **options)
        return [row["response_id"] for row in read_csv(path)]

    names = {person.response_id: name for name, person in population.people.items()}
    since = population["formula2"].started_at
    assert [names[i] for i in ids(since=since)] == ["formula2", "late"]
    assert [names[i] for i in ids(since=since + timedelta(seconds=1))] == ["late"]
    assert [names[i] for i in ids(channel="newsletter")] == ["member"]
    assert [names[i] for i in ids(channel="radio")] == ["not_involved"]
    assert ids(channel="nowhere") == []
    assert [names[i] for i in ids(country="AR")] == ["member"]
    assert [names[i] for i in ids(country="fr")] == ["formula", "formula2"]
    assert [names[i] for i in ids(country="KE")] == ["not_involved", "late"]
    assert [names[i] for i in ids(country="ES", include_partial=True)] == ["partial"]


def test_personal_data_only_with_personal_data(population: Population, make_export):
    export, path = make_export("csv")
    assert "email" not in [column.name for column in export.columns]
    assert "ana@example.org" not in path.read_text(encoding="utf-8")

    export, path = make_export("csv", with_personal_data=True)
    names = [column.name for column in export.columns]
    assert names.index("email") == names.index("follow_up") + 1
    rows = rows_by_id(read_csv(path))
    assert rows[population["member"].response_id]["email"] == "ana@example.org"
    assert rows[population["not_involved"].response_id]["email"] == ""


def test_formula_payloads_are_inert_text_in_csv(population: Population, make_export):
    _, path = make_export("csv")
    rows = rows_by_id(read_csv(path))
    formula = rows[population["formula"].response_id]
    assert formula["we_own_it"] == "'=1+1"
    assert formula["situation_other"] == "'+SUM(A1)"
    assert formula["federation_name"] == "'-2"
    formula2 = rows[population["formula2"].response_id]
    assert formula2["we_own_it"] == "'@cmd"
    # The app trims what people type, so a leading tab or carriage return never gets stored.
    assert formula2["situation_other"] == "x"
    assert formula2["federation_name"] == "x"
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(FORMULA_STARTS)


# -- XLSX ------------------------------------------------------------------------------------------


def sheet_rows(sheet) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_xlsx_sheets_hold_responses_codebook_and_about(
    population: Population, make_export, questionnaire
):
    export, path = make_export("xlsx")
    assert path.suffix == ".xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["responses", "codebook", "about"]

    values = sheet_rows(book["responses"])
    header = values[0]
    assert header == [column.name for column in export.columns]
    rows = rows_by_id([dict(zip(header, row, strict=True)) for row in values[1:]])
    assert len(rows) == 5

    def xlsx_value(column: Column, value: Any) -> Any:
        return neutralise(value)

    for name in ("member", "not_involved", "formula", "formula2", "late"):
        person = population[name]
        check_person(rows[person.response_id], person, export.columns, questionnaire, xlsx_value)

    member = rows[population["member"].response_id]
    assert member["we_own_it"] == UNICODE
    assert member["age"] == 27 and isinstance(member["age"], int)
    assert member["situation__other"] == 1 and member["situation__freelancer"] == 0
    assert member["obstacles__legal"] == 9
    assert member["coop_type_other"] is None
    assert rows[population["late"].response_id]["late"] == 1
    assert rows[population["not_involved"].response_id]["motivations__democracy"] is None

    codebook = sheet_rows(book["codebook"])
    assert codebook[0] == list(CODEBOOK_HEADER)
    entries = {row[0]: dict(zip(codebook[0], row, strict=True)) for row in codebook[1:]}
    assert list(entries) == [column.name for column in export.columns]
    involvement = entries["involvement"]
    assert involvement["question"] == "Which of these best describes you?"
    assert involvement["type"] == "single"
    assert involvement["codes"].startswith(
        "1 = member: I am a member of a cooperative; 2 = worker_non_member:"
    )
    legal = entries["obstacles__legal"]
    assert "9: I don't know" in legal["codes"]
    assert legal["missing"].startswith("9 (user-missing in SPSS; in Stata 9 as .a)")
    assert legal["measure"] == "ordinal"
    assert entries["federation_name"]["relevance"]
    assert entries["coop_type"]["relevance"]
    assert entries["involvement"]["name in .dta"] == "involvement"

    about = dict(sheet_rows(book["about"]))
    assert about["survey"] == "we-own-it"
    assert about["exported at (UTC)"] == "2027-06-01T09:00:00Z"
    assert about["responses exported"] == "5"
    assert about["responses with status complete"] == "5"
    assert about["filter: include_partial"] == "False"
    assert about["format"] == "xlsx"


def test_xlsx_never_holds_a_formula(population: Population, make_export):
    _, path = make_export("xlsx", include_partial=True, include_screened_out=True)
    book = openpyxl.load_workbook(path)
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), cell.value
                    seen.add(cell.value)
    assert {"'=1+1", "'+SUM(A1)", "'-2", "'@cmd"} <= seen


def test_xlsx_labels_mode(population: Population, make_export):
    _, path = make_export("xlsx", labels=True)
    values = sheet_rows(openpyxl.load_workbook(path)["responses"])
    rows = rows_by_id([dict(zip(values[0], row, strict=True)) for row in values[1:]])
    member = rows[population["member"].response_id]
    assert member["involvement"] == "I am a member of a cooperative"
    assert member["country"] == "Argentina"
    assert member["obstacles__finance"] == "A major obstacle"
    assert member["situation__student"] == 0


def test_xlsx_tab_and_carriage_return_are_neutralised_too(tmp_path: Path):
    export = fake_export(
        [text_column("response_id"), text_column("note")],
        [[f"r{index}", payload] for index, payload in enumerate(FORMULAS)],
        fmt="xlsx",
    )
    path = tmp_path / "formulas.xlsx"
    xlsx.write_xlsx(export, path)
    values = sheet_rows(openpyxl.load_workbook(path)["responses"])
    # XlsxWriter stores a carriage return as the escape _x000D_ (Excel reads it back as \r);
    # openpyxl leaves the escape as it is in inline strings.
    cells = [row[1].replace("_x000D_", "\r") for row in values[1:]]
    assert cells == ["'" + payload for payload in FORMULAS]

    csv_path = tmp_path / "formulas.csv"
    csv_format.write_csv(fake_export(export.columns, [[1, p] for p in FORMULAS]), csv_path)
    assert [row["note"] for row in read_csv(csv_path)] == ["'" + p for p in FORMULAS]


# -- SPSS ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_a_nul_stored_in_an_earlier_answer_does_not_cut_the_text(tmp_path, fmt):
    """Answers are refused with a NUL now; one stored before keeps its text after it."""
    export = fake_export(
        [text_column("response_id"), text_column("note")], [["r1", "We decide\x00 together"]]
    )
    path = tmp_path / f"nul.{fmt}"
    formats.get(fmt).write(export, path)
    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    frame, _meta = read(str(path))
    assert frame["note"].tolist() == ["We decide\ufffd together"]


def numbered(column: Column, value: Any) -> Any:
    """What SPSS and Stata hold: categories as numbers, numbers as floats, text as text."""
    if column.numeric or column.is_categorical:
        if value is None:
            return None
        return float(column.numbers.get(value, value))
    return "" if value is None else value


def frame_rows(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    rows = {}
    for record in frame.to_dict("records"):
        clean = {
            key: None if isinstance(value, float) and math.isnan(value) else value
            for key, value in record.items()
        }
        rows[clean["response_id"]] = clean
    return rows


def test_sav_numbers_value_labels_variable_labels_and_missing(
    population: Population, make_export, questionnaire
):
    export, path = make_export("sav")
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert list(frame.columns) == [column.name for column in export.columns]
    rows = frame_rows(frame)
    assert len(rows) == 5
    for name in ("member", "not_involved", "formula", "formula2", "late"):
        person = population[name]
        check_person(rows[person.response_id], person, export.columns, questionnaire, numbered)

    member = rows[population["member"].response_id]
    assert member["we_own_it"] == UNICODE
    assert member["involvement"] == 1.0
    assert member["status"] == 1.0
    assert member["obstacles__legal"] == 9.0
    assert member["situation__other"] == 1.0
    assert rows[population["formula"].response_id]["we_own_it"] == "=1+1"  # no formulas here

    labels = meta.variable_value_labels
    assert labels["involvement"][1] == "I am a member of a cooperative"
    assert labels["involvement"][6] == "I am not involved and not interested"
    assert labels["obstacles__legal"] == {
        1: "Not an obstacle",
        2: "A minor obstacle",
        3: "A moderate obstacle",
        4: "A major obstacle",
        9: "I don't know",
    }
    assert labels["situation__other"] == {0: "No", 1: "Yes"}
    assert labels["status"] == {1: "Complete", 2: "Partial", 3: "Screened out"}
    assert "we_own_it" not in labels and "country" not in labels

    variable_labels = meta.column_names_to_labels
    assert variable_labels["involvement"] == "Which of these best describes you?"
    assert variable_labels["obstacles__legal"].endswith(": The legal framework")
    assert variable_labels["late"] == "Submitted in the grace period after the deadline"

    assert meta.missing_ranges["obstacles__legal"] == [{"lo": 9.0, "hi": 9.0}]
    assert "participation__balance" not in meta.missing_ranges
    assert "involvement" not in meta.missing_ranges
    assert meta.variable_measure["obstacles__legal"] == "ordinal"
    assert meta.variable_measure["involvement"] == "nominal"
    assert meta.variable_measure["age"] == "scale"
    assert meta.readstat_variable_types["we_own_it"] == "string"
    assert meta.readstat_variable_types["involvement"] == "double"
    assert any("responses exported: 5" in note for note in meta.notes)

    # Read as SPSS users see it: 9 is missing.
    plain, _ = pyreadstat.read_sav(str(path))
    legal = plain.set_index("response_id")["obstacles__legal"]
    assert math.isnan(legal[population["member"].response_id])
    assert legal[population["formula"].response_id] != 9


def test_sav_declares_9_missing_on_every_matrix_column_only(population, make_export):
    export, path = make_export("sav")
    _, meta = pyreadstat.read_sav(str(path), user_missing=True, metadataonly=True)
    matrix = {column.name for column in export.columns if column.missing_codes}
    assert matrix == {name for name in meta.column_names if name.startswith("obstacles__")}
    assert set(meta.missing_ranges) == matrix


# -- Stata -----------------------------------------------------------------------------------------


def stata_value(column: Column, value: Any) -> Any:
    if column.missing_codes and value in column.missing_codes:
        return "a"
    return numbered(column, value)


def test_dta_numbers_labels_and_9_as_extended_missing(
    population: Population, make_export, questionnaire
):
    export, path = make_export("dta")
    frame, meta = pyreadstat.read_dta(str(path), user_missing=True)
    written = variable_names.stata_names(export.columns)
    assert list(frame.columns) == [written[column.name] for column in export.columns]
    # Only one name of the shipped survey is too long for Stata (29 characters with labels).
    renamed = {name: new for name, new in written.items() if name != new}
    assert list(renamed) == ["motivations__collective_strength"]
    new_name = renamed["motivations__collective_strength"]
    assert len(new_name) == 29 and new_name.startswith("motivations__collective__")
    assert meta.column_names_to_labels[new_name].startswith("motivations__collective_strength: ")
    frame = frame.rename(columns={new: name for name, new in renamed.items()})
    rows = frame_rows(frame)
    for name in ("member", "not_involved", "formula", "formula2", "late"):
        person = population[name]
        check_person(rows[person.response_id], person, export.columns, questionnaire, stata_value)
    member = rows[population["member"].response_id]
    assert member["obstacles__legal"] == "a"
    assert member["obstacles__finance"] == 4.0
    assert member["we_own_it"] == UNICODE

    labels = meta.variable_value_labels
    assert labels["obstacles__legal"]["a"] == "I don't know"
    assert labels["obstacles__legal"][4] == "A major obstacle"
    assert 9 not in labels["obstacles__legal"]
    assert labels["involvement"][1] == "I am a member of a cooperative"
    assert labels["late"] == {0: "No", 1: "Yes"}
    assert meta.column_names_to_labels["involvement"] == "Which of these best describes you?"
    assert meta.missing_user_values["obstacles__legal"] == ["a"]
    assert all(len(label) <= 80 for label in meta.column_names_to_labels.values() if label)


def test_dta_reads_back_with_pandas(population: Population, make_export):
    export, path = make_export("dta")
    frame = pd.read_stata(path, convert_categoricals=False, convert_missing=True)
    assert len(frame.columns) == len(export.columns)
    rows = {row["response_id"]: row for row in frame.to_dict("records")}
    member = rows[population["member"].response_id]
    assert str(member["obstacles__legal"]) == ".a"
    assert member["obstacles__finance"] == 4
    assert member["we_own_it"] == UNICODE
    assert member["involvement"] == 1

    labelled = pd.read_stata(path)  # value labels applied
    by_id = labelled.set_index("response_id")
    assert by_id.loc[population["member"].response_id, "involvement"] == (
        "I am a member of a cooperative"
    )
    assert by_id.loc[population["member"].response_id, "obstacles__finance"] == "A major obstacle"
    with pd.api.typing.StataReader(path) as reader:
        assert reader.variable_labels()["country"] == "In which country do you live?"


# -- Parquet ---------------------------------------------------------------------------------------


def test_parquet_schema_and_values(population: Population, make_export, questionnaire, monkeypatch):
    monkeypatch.setattr(parquet_format, "PARQUET_BATCH_ROWS", 2)
    export, path = make_export("parquet", include_partial=True)
    parquet = pq.ParquetFile(path)
    assert parquet.metadata.num_rows == 6
    schema = parquet.schema_arrow
    assert str(schema.field("age").type) == "int64"
    assert str(schema.field("situation__other").type) == "int64"
    assert str(schema.field("obstacles__legal").type) == "int64"
    assert str(schema.field("involvement").type) == "string"
    assert str(schema.field("started_at").type) == "string"
    assert all(field.nullable for field in schema)
    assert schema.field("involvement").metadata[b"label"].decode() == (
        "Which of these best describes you?"
    )
    about = dict(json.loads(schema.metadata[b"survey.about"]))
    assert about["responses exported"] == "6"

    rows = {row["response_id"]: row for row in parquet.read().to_pylist()}
    for name in ("member", "not_involved", "formula", "formula2", "late", "partial"):
        person = population[name]
        check_person(rows[person.response_id], person, export.columns, questionnaire)
    assert rows[population["formula"].response_id]["we_own_it"] == "=1+1"


def test_parquet_labels_mode_turns_categories_into_text(population: Population, make_export):
    _, path = make_export("parquet", labels=True)
    table = pq.read_table(path)
    assert str(table.schema.field("obstacles__legal").type) == "string"
    assert str(table.schema.field("situation__other").type) == "int64"
    rows = {row["response_id"]: row for row in table.to_pylist()}
    member = rows[population["member"].response_id]
    assert member["obstacles__legal"] == "I don't know"
    assert member["country"] == "Argentina"
    assert member["situation__other"] == 1


# -- study package ---------------------------------------------------------------------------------


def test_zip_study_package(population: Population, make_export, tmp_path: Path):
    export, path = make_export("zip", include_partial=True, channel="newsletter")
    _, plain = make_export("csv", include_partial=True, channel="newsletter")
    with zipfile.ZipFile(path) as archive:
        data_name = path.stem + ".csv"
        assert sorted(archive.namelist()) == sorted([data_name, "codebook.csv", "README.txt"])
        assert archive.read(data_name) == plain.read_bytes()
        codebook = list(csv.DictReader(io.StringIO(archive.read("codebook.csv").decode("utf-8"))))
        readme = archive.read("README.txt").decode("utf-8")
    assert [entry["variable"] for entry in codebook] == [column.name for column in export.columns]
    legal = next(entry for entry in codebook if entry["variable"] == "obstacles__legal")
    assert "4: A major obstacle" in legal["codes"]
    assert legal["name in .sav"] == "obstacles__legal"
    assert "survey: we-own-it" in readme
    assert "responses exported: 1" in readme
    assert "filter: channel: newsletter" in readme
    assert "filter: include_partial: True" in readme


# -- every format ----------------------------------------------------------------------------------

READERS = {
    "csv": lambda path: len(read_csv(path)),
    "csv-excel": lambda path: len(read_csv(path, encoding="utf-8-sig")),
    "xlsx": lambda path: openpyxl.load_workbook(path)["responses"].max_row - 1,
    "sav": lambda path: len(pyreadstat.read_sav(str(path))[0]),
    "dta": lambda path: len(pyreadstat.read_dta(str(path))[0]),
    "parquet": lambda path: pq.read_table(path).num_rows,
    "zip": lambda path: len(zipfile.ZipFile(path).read(path.stem + ".csv").splitlines()) - 1,
}


@pytest.mark.parametrize("fmt", formats.names())
def test_every_format_writes_an_empty_export(app, make_export, fmt):
    export, path = make_export(fmt)
    assert export.total == 0
    suffix = "_excel" if fmt == "csv-excel" else ""
    assert path.name == f"we-own-it_20270601T090000Z{suffix}.{formats.get(fmt).extension}"
    assert READERS[fmt](path) == 0


@pytest.mark.parametrize("fmt", formats.names())
def test_every_format_holds_every_selected_row(population, make_export, fmt):
    export, path = make_export(fmt, include_partial=True, include_screened_out=True)
    assert export.total == 7
    assert READERS[fmt](path) == 7


def test_progress_is_reported(population, app, tmp_path: Path):
    from survey.export.source import ExportOptions
    from survey.questionnaire_store import find_survey

    seen = []
    with app.extensions["survey_db"].reading() as session:
        survey = find_survey(session, "we-own-it")
        export = build.prepare(
            session,
            survey,
            ExportOptions(format="parquet"),
            now=EXPORTED_AT,
            progress=lambda done, total: seen.append((done, total)),
        )
        build.write(export, tmp_path / "x.parquet")
    assert seen[-1] == (5, 5)


# -- names in SPSS and Stata -----------------------------------------------------------------------


def test_name_rule_keeps_names_that_fit_and_cuts_the_others_deterministically():
    long_a = "motivations__" + "a" * 40
    long_b = "motivations__" + "a" * 41
    names = ["age", long_a, long_b, "in", "if_", "str80", "x" * 32]
    first = variable_names.names_in_file(
        names, limit=32, reserved=lambda name: name.lower() in {"in", "if"} or name == "str80"
    )
    again = variable_names.names_in_file(
        names, limit=32, reserved=lambda name: name.lower() in {"in", "if"} or name == "str80"
    )
    assert first == again
    assert first["age"] == "age"
    assert first["x" * 32] == "x" * 32
    assert first["in"] == "in_"
    assert first["if_"] == "if_"
    assert first["str80"] == "str80_"
    assert len(first[long_a]) == 32 and first[long_a].startswith("motivations__aaaaaaaaaaaaaa")
    assert first[long_a] != first[long_b]
    assert len(set(first.values())) == len(names)
    # The written name depends on the name alone, not on the other columns.
    assert variable_names.names_in_file([long_b], limit=32)[long_b] == first[long_b]


def test_name_rule_numbers_collisions():
    names = ["in_", "in"]
    result = variable_names.names_in_file(names, limit=32, reserved=lambda name: name == "in")
    assert result == {"in_": "in_", "in": "in__2"}
    assert variable_names.names_in_file(["Age", "age"], limit=8) == {"Age": "Age", "age": "age_2"}


def test_stata_reserved_words_and_long_names_in_files(tmp_path: Path):
    long_name = "participation__young_people_hold_leadership_positions"  # 53 characters
    columns = [
        text_column("response_id"),
        text_column("in", "A question called in"),
        matrix_column(long_name, "Young leaders"),
    ]
    rows = [["r1", "yes", 9], ["r2", "", 2], ["r3", "no", None]]
    export = fake_export(columns, rows, fmt="dta")
    dta = tmp_path / "long.dta"
    formats.get("dta").write(export, dta)
    frame, meta = pyreadstat.read_dta(str(dta), user_missing=True)
    stata = variable_names.stata_names(columns)
    assert stata["in"] == "in_"
    assert len(stata[long_name]) == 29  # labelled: 29 (see names.stata_names)
    assert list(frame.columns) == ["response_id", "in_", stata[long_name]]
    assert frame[stata[long_name]].tolist()[:2] == ["a", 2.0]
    assert math.isnan(frame[stata[long_name]].tolist()[2])
    label = meta.column_names_to_labels[stata[long_name]]
    assert label == f"{long_name}: Young leaders"[:80].rstrip()
    assert meta.column_names_to_labels["in_"] == "in: A question called in"

    sav = tmp_path / "long.sav"
    formats.get("sav").write(fake_export(columns, rows, fmt="sav"), sav)
    frame, meta = pyreadstat.read_sav(str(sav), user_missing=True)
    assert list(frame.columns) == ["response_id", "in", long_name]  # fits in 64 bytes
    assert frame[long_name].tolist()[:2] == [9.0, 2.0]
    assert meta.missing_ranges[long_name] == [{"lo": 9.0, "hi": 9.0}]

    longer = long_name + "_and_much_more_than_sixty_four"
    sav_columns = [text_column("response_id"), matrix_column(longer)]
    formats.get("sav").write(fake_export(sav_columns, [["r1", 1]], fmt="sav"), sav)
    frame, meta = pyreadstat.read_sav(str(sav))
    written = variable_names.spss_names(sav_columns)[longer]
    assert len(written) == 64 and list(frame.columns) == ["response_id", written]
    assert meta.column_names_to_labels[written].startswith(longer + ": ")
    notes = " ".join(meta.notes)  # note lines hold at most 80 bytes: long ones are wrapped
    assert f"renamed to fit SPSS: {written} =" in notes
    assert longer in "".join(meta.notes)

    export = fake_export(sav_columns, [["r1", 1]], fmt="xlsx")
    codebook = list(codebook_rows(export))
    assert (
        codebook[2][7] == written
        and codebook[2][8] == variable_names.stata_names(sav_columns)[longer]
    )


# -- the registry of formats -----------------------------------------------------------------------


def test_the_registry_lists_every_format_module_once_and_each_has_a_reader():
    package = Path(formats.__file__).parent
    modules = sorted(info.name for info in pkgutil.iter_modules([str(package)]))
    declared = [importlib.import_module(f"{formats.__name__}.{name}").FORMAT for name in modules]
    assert sorted(formats.FORMATS, key=lambda item: item.name) == sorted(
        declared, key=lambda item: item.name
    )
    assert len(set(formats.names())) == len(formats.FORMATS)
    for item in formats.FORMATS:
        assert item.extension.isalnum() and item.label, item
        assert formats.get(item.name) is item and formats.find(item.name) is item
    assert formats.find("docx") is None
    with pytest.raises(ExportError, match="format 'docx' is not one of: csv, csv-excel"):
        formats.get("docx")
    # Every format is read back by a real reader in these tests (see READERS).
    assert set(READERS) == set(formats.names())
    assert [item.name for item in formats.installed()] == list(formats.names())


def test_the_command_line_and_the_exports_page_offer_the_registrys_formats(app, make_user):
    from tests.admin.console import signed_in_client, text_of

    help_text = app.test_cli_runner().invoke(args=["export", "--help"]).output
    assert ", ".join(formats.names()) in " ".join(help_text.split())
    client = signed_in_client(app, *make_user("researcher", "r@example.org"))
    page = client.get("/admin/surveys/we-own-it/exports").get_data(as_text=True)
    offered = re.findall(r'<option[^>]*value="([^"]+)"', page.split('name="format"', 1)[1])
    assert offered[: len(formats.names())] == list(formats.names())
    assert "Study package (.zip)" in text_of(client.get("/admin/surveys/we-own-it/exports"))
