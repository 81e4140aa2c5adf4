"""SPSS (.sav) and Stata (.dta) files mean exactly what was answered, whatever storage type a
column is written with.

Every respondent of the population (complete, partial, screened out, late; other-specify text,
unicode, empty answers, a missing-value code) is exported with personal data to both formats and
read back with pyreadstat: values, variable labels, value labels, missing values (SPSS missing
ranges, Stata extended missing values), measurement levels and formats are compared with what
was posted and with the columns' declarations. Numbers are compared as numbers: a writer may
store a 0/1 column as a Stata long or an SPSS double, the meaning is the same.

A second set of columns, written without a database, covers what the shipped questionnaire
cannot: decimals, whole numbers too large for a small integer, a column that is always empty, a
0/1 column with unknowns, a long text (a Stata strL), a NUL kept from an old answer.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from flask import Flask
from sqlalchemy import select

from survey.export import formats
from survey.export.flatten import YES_NO, Column, text_of
from survey.export.model import Export
from survey.export.names import spss_names, stata_names
from survey.models import SurveyResponse
from tests.export.conftest import (
    Population,
    expected_answers,
    expected_meta,
    fake_export,
    matrix_column,
    text_column,
)

MISSING_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def stored_meta(app: Flask) -> dict[str, dict[str, Any]]:
    """Response id -> the metadata the database holds that the population does not record."""
    with app.extensions["survey_db"].reading() as session:
        responses = session.scalars(select(SurveyResponse)).all()
        result = {}
        for response in responses:
            started = response.started_at.replace(tzinfo=None)
            submitted = response.submitted_at
            result[response.id] = {
                "submitted_at": _iso(submitted),
                "duration_seconds": (
                    int((submitted.replace(tzinfo=None) - started).total_seconds())
                    if submitted
                    else None
                ),
                "last_section": None if response.status == "complete" else response.last_section,
            }
    return result


def expected_rows(
    population: Population, app: Flask, export: Export, questionnaire
) -> dict[str, dict[str, Any]]:
    """Response id -> column name -> the value posted (codes, 0/1, int, text; None = empty)."""
    stored = stored_meta(app)
    return {
        person.response_id: {
            **expected_meta(person),
            # Seven responses are too few to judge speed by, and none gives one point to every
            # row of a grid (tests/export/test_quality_flags.py has responses that do).
            "flag_speeder": None,
            "flag_straightlining": 0,
            **stored[person.response_id],
            **expected_answers(person, export.columns, questionnaire),
        }
        for person in population.people.values()
    }


def numeric(column: Column) -> bool:
    return column.numeric or column.is_categorical


def in_file(column: Column, value: Any, *, stata: bool) -> Any:
    """What the file holds for a posted value: a number (categories as their stable numbers),
    NaN when empty, Stata's letter for a missing-value code; text as text, "" when empty."""
    if not numeric(column):
        return "" if value is None else str(value).replace("\x00", "\ufffd")
    if value is None:
        return math.nan
    number = column.numbers.get(value, value)
    if stata and number in column.missing_codes:
        return MISSING_LETTERS[column.missing_codes.index(number)]
    return float(number)


def same(found: Any, wanted: Any) -> bool:
    if isinstance(wanted, float) and math.isnan(wanted):
        return isinstance(found, float) and math.isnan(found)
    if isinstance(wanted, float):
        return not isinstance(found, str) and float(found) == wanted
    return found == wanted


def check_values(
    frame: Any, names: dict[str, str], columns: list[Column], rows: list[list[Any]], stata: bool
) -> None:
    """Each row of `frame` (in order) holds `rows` as the file should, column by column."""
    assert len(frame) == len(rows)
    records = frame.to_dict("records")
    for record, values in zip(records, rows, strict=True):
        for column, value in zip(columns, values, strict=True):
            found = record[names[column.name]]
            wanted = in_file(column, value, stata=stata)
            assert same(found, wanted), (column.name, found, wanted)


def check_sav_metadata(path: Path, export: Export) -> tuple[Any, dict[str, str]]:
    """The .sav's names, labels, value labels, missing ranges, measures and formats are the
    columns' declarations; returns its data (codes declared missing kept) and the names."""
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    names = spss_names(export.columns)
    assert list(frame.columns) == [names[column.name] for column in export.columns]
    assert meta.file_label == f"{export.survey_slug} responses"
    assert any(f"responses exported: {export.total}" in note for note in meta.notes)
    for column in export.columns:
        name = names[column.name]
        label = text_of(column.label, "en", "en")
        assert meta.column_names_to_labels[name] == (
            label if name == column.name else f"{column.name}: {label}"
        )
        assert meta.variable_measure[name] == column.measure
        if column.is_categorical:
            assert meta.variable_value_labels[name] == {
                float(column.numbers.get(code, code)): text_of(text, "en", "en")
                for code, text in column.value_labels
            }
        else:
            assert name not in meta.variable_value_labels
        if column.missing_codes:
            assert meta.missing_ranges[name] == [
                {"lo": float(code), "hi": float(code)} for code in column.missing_codes
            ]
        else:
            assert name not in meta.missing_ranges
        if numeric(column):
            assert meta.readstat_variable_types[name] == "double"
            digits = column.decimals
            assert meta.original_variable_types[name] == (
                f"F{14 + digits}.{digits}" if digits else "F12.0"
            )
        else:
            assert meta.readstat_variable_types[name] == "string"
            assert meta.original_variable_types[name].startswith("A")
    return frame, names


def check_dta_metadata(path: Path, export: Export) -> tuple[Any, dict[str, str]]:
    """The .dta's names, labels, value labels (a missing-value code's on its letter) and
    extended missing values are the columns' declarations; returns its data and the names."""
    frame, meta = pyreadstat.read_dta(str(path), user_missing=True)
    names = stata_names(export.columns)
    assert list(frame.columns) == [names[column.name] for column in export.columns]
    missing = {
        f"{code} is .{MISSING_LETTERS[index]}": None
        for column in export.columns
        for index, code in enumerate(column.missing_codes)
    }
    file_label = f"{export.survey_slug} responses"
    if missing:
        file_label += "; missing: " + ", ".join(missing)
    assert meta.file_label == file_label[:80]
    for column in export.columns:
        name = names[column.name]
        label = text_of(column.label, "en", "en")
        full = label if name == column.name else f"{column.name}: {label}"
        assert meta.column_names_to_labels[name] == full[:80].rstrip()
        letters = {code: MISSING_LETTERS[index] for index, code in enumerate(column.missing_codes)}
        if column.is_categorical:
            expected_labels: dict[Any, str] = {}
            for code, text in column.value_labels:
                number = column.numbers.get(code, code)
                expected_labels[letters.get(number, number)] = text_of(text, "en", "en")
            assert meta.variable_value_labels[name] == expected_labels
        else:
            assert name not in meta.variable_value_labels
        if numeric(column):
            assert meta.readstat_variable_types[name] in ("double", "int8", "int16", "int32")
            # A general format (%g) for every number: whole numbers and decimals show as typed.
            assert meta.original_variable_types[name].endswith("g")
        else:
            assert meta.readstat_variable_types[name] in ("string", "strl")
    return frame, names


@pytest.fixture
def every_respondent(population: Population, make_export, app: Flask, questionnaire):
    """Both files of one export of every respondent, with personal data, and what each row
    should hold (in the order the files list the responses)."""
    options = {"include_partial": True, "include_screened_out": True, "with_personal_data": True}
    sav_export, sav = make_export("sav", **options)
    dta_export, dta = make_export("dta", **options)
    expected = expected_rows(population, app, sav_export, questionnaire)
    return sav_export, sav, dta_export, dta, expected


def in_file_order(frame: Any, names: dict[str, str], expected: dict[str, dict[str, Any]], export):
    """The expected rows, as lists of column values, in the order of the file's rows."""
    order = list(frame[names["response_id"]])
    assert sorted(order) == sorted(expected)
    return [
        [expected[response_id][column.name] for column in export.columns] for response_id in order
    ]


def test_sav_holds_every_respondent_as_answered(every_respondent):
    export, path, _, _, expected = every_respondent
    frame, names = check_sav_metadata(path, export)
    assert export.total == 7
    assert {column.kind for column in export.columns} == {
        "meta",
        "quality",
        "single",
        "dummy",
        "other",
        "integer",
        "country",
        "matrix",
        "scale",
        "text",
        "long_text",
        "email",
    }
    rows = in_file_order(frame, names, expected, export)
    check_values(frame, names, export.columns, rows, stata=False)
    answered = [values for values in expected.values() if values["obstacles__legal"] == 9]
    assert answered and any("Ñandú" in str(values["we_own_it"]) for values in answered)


def test_dta_holds_every_respondent_as_answered(every_respondent):
    _, _, export, path, expected = every_respondent
    frame, names = check_dta_metadata(path, export)
    rows = in_file_order(frame, names, expected, export)
    check_values(frame, names, export.columns, rows, stata=True)
    assert "a" in frame[names["obstacles__legal"]].tolist()


def test_sav_leaves_out_declared_missing_codes_as_spss_users_read_them(every_respondent):
    export, path, _, _, expected = every_respondent
    frame, _meta = pyreadstat.read_sav(str(path))  # user-missing values read as missing
    legal = dict(zip(frame["response_id"], frame["obstacles__legal"], strict=True))
    for response_id, values in expected.items():
        if values["obstacles__legal"] == 9:
            assert math.isnan(legal[response_id])


# -- columns the shipped questionnaire does not have -----------------------------------------------


def _number_column(name: str, decimals: int = 0, **extra: Any) -> Column:
    return Column(
        name=name,
        kind="decimal" if decimals else "integer",
        label={"en": f"Number {name}"},
        question_id=name,
        numeric=True,
        decimals=decimals,
        measure="scale",
        **extra,
    )


GENERIC_COLUMNS = [
    text_column("response_id"),
    _number_column("small"),
    _number_column("wide"),
    _number_column("huge"),
    _number_column("share", decimals=2),
    _number_column("never"),
    Column(
        name="flag_speeder",
        kind="flag",
        label={"en": "Answered too fast"},
        value_labels=YES_NO,
        numbers={0: 0, 1: 1},
        numeric=True,
        boolean=True,
    ),
    matrix_column("grid__with_dont_know"),
    matrix_column("grid__never_dont_know"),
    text_column("note", "A long note"),
    text_column("empty_note"),
]
GENERIC_ROWS = [
    ["r1", 0, -200, 3_000_000_000, 1234.56, None, 1, 1, 2, "We decide\x00 together", None],
    ["r2", 127, 40_000, -5, 0.5, None, None, 9, None, "x" * 3000, None],
    ["r3", None, None, None, None, None, 0, None, 1, "", None],
    ["r4", -3, 7, 2**31, 99.0, None, 1, 2, 9 - 7, "Ñandú 合作社 😀", None],
]


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_every_kind_of_column_means_the_same_in_the_file(tmp_path: Path, fmt: str):
    export = fake_export(GENERIC_COLUMNS, GENERIC_ROWS, fmt=fmt)
    path = tmp_path / f"generic.{fmt}"
    formats.get(fmt).write(export, path)
    check = check_sav_metadata if fmt == "sav" else check_dta_metadata
    frame, names = check(path, export)
    check_values(frame, names, GENERIC_COLUMNS, GENERIC_ROWS, stata=fmt == "dta")


def test_more_rows_than_counted_are_all_written(tmp_path: Path):
    """The count is taken before the rows are read; a response saved in between still fits."""
    export = fake_export(GENERIC_COLUMNS, GENERIC_ROWS)
    export.total = 1
    for fmt in ("sav", "dta"):
        path = tmp_path / f"more.{fmt}"
        formats.get(fmt).write(export, path)
        read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        frame, _meta = read(str(path), user_missing=True)
        names = (spss_names if fmt == "sav" else stata_names)(GENERIC_COLUMNS)
        check_values(frame, names, GENERIC_COLUMNS, GENERIC_ROWS, stata=fmt == "dta")
