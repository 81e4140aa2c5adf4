"""Surveys imported from real XLSForm files, answered over HTTP as a browser would, exported in
every format and read back with each format's own reader (tests/export/test_question_types.py):
the variables carry the XLSForm's names (mali's `Pcode`, `DISTRICT`, `NBRE_VILLAGE`; the
renamed `location_longitude_2` beside the place's own `location_longitude`), the values are
those answered, and the Household form's calculations (`cost_currency`, `date_mismatch`) are
worked out.

The forms are loaded from their .xlsx as an admin does (`load_questionnaire`, each workbook
converted once per test process: tests/questionnaire_files.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from flask import Flask

from survey.export import formats
from survey.export.build import Export
from survey.export.names import stata_names
from tests.conftest import MID_COLLECTION
from tests.export.conftest import Answered, answer_over_http, exporter
from tests.export.test_question_types import READERS, TEXT_FORMATS, as_number, empty
from tests.questionnaire_files import load_questionnaire_file
from tests.xlsform.workbook import HOUSEHOLD, MALI, MALI_ANSWERS

MALI_SLUG = "mali-health"
HOUSEHOLD_SLUG = "household-energy-access-and-usage-survey"
TODAY = MID_COLLECTION.date().isoformat()  # the app's clock in tests

MALI_PEOPLE = (
    Answered(
        "kayes",
        # The latitude typed with a decimal comma.
        {"part_1": {**MALI_ANSWERS, "location__latitude": "12,8347"}},
    ),
    # In French, a few answers only: no place.
    Answered(
        "gao",
        {"part_1": {"Pcode": "ML0701GA002", "region": "gao", "DISTRICT": "ansongo"}},
        language="fr",
    ),
)
# The XLSForm's names, in its order: the place `location` is its two coordinates.
MALI_COLUMNS = [
    "Pcode",
    "region",
    "DISTRICT",
    "Code_CSREF",
    "STRUCTURE",
    "PCODE2",
    "TYPE",
    "NBRE_VILLAGE",
    "DISTANCE",
    "ACCESSIBILITIE",
    "Source",
    "obs",
    "location_longitude_2",
    "location_latitude_2",
    "location_latitude",
    "location_longitude",
]
MALI_EXPECTED: dict[str, dict[str, Any]] = {
    "kayes": {
        "Pcode": "ML0401KN001",
        "region": "kayes",
        "DISTRICT": "kenieba",
        "Code_CSREF": "CSR0401",
        "STRUCTURE": "bafoulabe_central",
        "PCODE2": "ML04012",
        "TYPE": "hospital",
        "NBRE_VILLAGE": 12,
        "DISTANCE": 35,
        "ACCESSIBILITIE": "no",
        "Source": "cluster_nutrition",
        "obs": "Route coupée en saison des pluies",
        "location_longitude_2": "-11.3561",
        "location_latitude_2": "12.8347",
        "location_latitude": 12.8347,
        "location_longitude": -11.3561,
    },
    "gao": {
        "Pcode": "ML0701GA002",
        "region": "gao",
        "DISTRICT": "ansongo",
        "TYPE": None,
        "NBRE_VILLAGE": None,
        "location_longitude_2": None,
        "location_latitude": None,
        "location_longitude": None,
    },
}
MALI_CHOICES = ("region", "DISTRICT", "STRUCTURE", "TYPE", "ACCESSIBILITIE", "Source")
MALI_NUMBERS = ("NBRE_VILLAGE", "DISTANCE", "location_latitude", "location_longitude")
# Choice labels in English and French, from the form's choices sheet.
MALI_LABELS = {
    "en": {"kenieba": "KENIEBA", "hospital": "Hospital", "no": "No", "kayes": "KAYES"},
    "fr": {"kenieba": "KENIEBA", "hospital": "Hôpital", "no": "Non", "kayes": "KAYES"},
}

HOUSEHOLD_PEOPLE = (
    Answered(
        "lagos",
        {
            "part_1": {"enum_id": "EN-07", "survey_date": TODAY, "consent": "yes"},
            "a": {
                "selected_country": "nigeria",
                "selected_state_region": "lagos",
                "community_name": "Ikeja",
                "household_size": "5",
                "household_gps__latitude": "6.6018",
                "household_gps__longitude": "3.3515",
            },
            "b": {"primary_source": "generator", "secondary_source": "national_grid"},
            "c": {
                "selected_hours": "h_5_8",
                "selected_days": "d_6_10",
                "rent_own": "own",
                "cost_solar_gen": "450000",
                "cost_fuel_mentenance": "12000",
            },
            "d": {
                "cost_rating": "5",
                "reliability_rating": "4",
                "capital_rating": "3",
                "access_rating": "2",
                "environment_rating": "1",
                "social_rating": "3",
            },
            "e": {
                "satisfaction_rating": "2",
                "want_alternative": "yes",
                "improve_choice": ["fewer_outages", "lower_upfront_cost"],
            },
        },
    ),
    # In Igbo, Ghana, the date typed a day early: the form flags the mismatch.
    Answered(
        "techiman",
        {
            "part_1": {"enum_id": "EN-11", "survey_date": "2027-01-14", "consent": "yes"},
            "a": {
                "selected_country": "ghana",
                "selected_state_region": "bono_east",
                "community_name": "Techiman",
                "household_size": "8",
                "household_gps__latitude": "7.5833",
                "household_gps__longitude": "-1.9333",
            },
            "b": {"primary_source": "solar", "secondary_source": "other"},
            "c": {"rent_own": "rent", "cost_fuel_mentenance": "300"},
            "d": {},
            "e": {"want_alternative": "maybe", "improve_choice": ["subsidy"]},
        },
        language="ig",
    ),
    # Said no: the groups do not apply, the survey ends there.
    Answered(
        "refused",
        {"part_1": {"enum_id": "EN-07", "survey_date": TODAY, "consent": "no"}},
    ),
)
HOUSEHOLD_EXPECTED: dict[str, dict[str, Any]] = {
    "lagos": {
        "enum_id": "EN-07",
        "survey_date": TODAY,
        "device_date": TODAY,
        "date_mismatch": "no",
        "consent": "yes",
        "selected_country": "nigeria",
        "cost_currency": "₦",
        "selected_state_region": "lagos",
        "household_size": 5,
        "household_gps_latitude": 6.6018,
        "household_gps_longitude": 3.3515,
        "cost_solar_gen": 450000,
        "cost_rating": 5,
    },
    "techiman": {
        "enum_id": "EN-11",
        "survey_date": "2027-01-14",
        "device_date": TODAY,
        "date_mismatch": "yes",
        "selected_country": "ghana",
        "cost_currency": "¢",
        "selected_state_region": "bono_east",
        "cost_solar_gen": None,  # rented: not asked
        "cost_rating": None,
    },
    "refused": {
        "consent": "no",
        "date_mismatch": "no",
        "selected_country": None,
        "cost_currency": None,
        "household_gps_latitude": None,
    },
}
HOUSEHOLD_CHOICES = ("consent", "selected_country", "selected_state_region")
HOUSEHOLD_NUMBERS = (
    "household_size",
    "household_gps_latitude",
    "household_gps_longitude",
    "cost_solar_gen",
    "cost_rating",
)


def answer(app: Flask, form: Path, slug: str, people: tuple[Answered, ...]) -> dict[str, Any]:
    """Load the form from its .xlsx, then each person starts, answers and submits over HTTP."""
    with app.extensions["survey_db"].writing() as session:
        load_questionnaire_file(session, form)
    return answer_over_http(app, slug, people)


@pytest.fixture
def mali(app: Flask) -> dict[str, Any]:
    return answer(app, MALI, MALI_SLUG, MALI_PEOPLE)


@pytest.fixture
def household(app: Flask) -> dict[str, Any]:
    return answer(app, HOUSEHOLD, HOUSEHOLD_SLUG, HOUSEHOLD_PEOPLE)


Exporter = Callable[..., tuple[Export, list[dict[str, Any]], Path]]


@pytest.fixture
def export(app: Flask, tmp_path: Path) -> Exporter:
    """export(slug, fmt, people, labels=...) -> (Export, rows by person's name, file)."""
    made = 0

    def make(slug: str, fmt: str, people: dict[str, Any], **options: Any):
        nonlocal made
        made += 1
        prepared, path = exporter(app, tmp_path / f"{made}", slug)(fmt, **options)
        names = {person.response_id: name for name, person in people.items()}
        rows = {names[row["response_id"]]: row for row in READERS[fmt](path)}
        assert sorted(rows) == sorted(people)
        return prepared, rows, path

    return make


def written_names(export: Export, fmt: str) -> list[str]:
    """The variable names as the file holds them (Stata's may be shortened)."""
    names = [column.name for column in export.columns]
    return [stata_names(export.columns)[name] for name in names] if fmt == "dta" else names


def check_values(
    export: Export,
    rows: dict[str, dict[str, Any]],
    expected: dict[str, dict[str, Any]],
    *,
    fmt: str,
    choices: tuple[str, ...],
    numbers: tuple[str, ...],
    labels: dict[str, str] | None,
) -> None:
    """Each expected value in its person's row: numbers as numbers, choices as codes (numbers
    with value labels in SPSS and Stata, the labels when asked for), texts as typed."""
    columns = {column.name: column for column in export.columns}
    for name, values in expected.items():
        for variable, value in values.items():
            cell = rows[name][variable]
            where = (fmt, name, variable, cell)
            if value is None:
                assert empty(cell), where
            elif variable in numbers:
                assert as_number(fmt, cell) == value, where
            elif variable in choices and fmt in ("sav", "dta"):
                assert cell == float(columns[variable].numbers[value]), where
            elif variable in choices and labels is not None:
                assert cell == labels[value], where
            else:
                assert cell == value, where


# -- mali_health.xlsx -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", formats.names())
def test_mali_variables_are_the_xlsform_names_and_hold_the_answers(
    mali: dict[str, Any], export: Exporter, fmt: str
):
    prepared, rows, _ = export(MALI_SLUG, fmt, mali)
    names = [column.name for column in prepared.columns]
    assert names[-len(MALI_COLUMNS) :] == MALI_COLUMNS
    assert list(rows["kayes"]) == written_names(prepared, fmt)
    assert set(MALI_COLUMNS) <= set(rows["kayes"])  # kept as written, in Stata too
    expected = MALI_EXPECTED
    if fmt in (*TEXT_FORMATS, "xlsx"):
        # `location.longitude` is a text question: a spreadsheet cell starting with "-" gets
        # the apostrophe of the formula guard (README, "Exporting the data").
        expected = {**expected, "kayes": {**expected["kayes"], "location_longitude_2": "'-11.3561"}}
    check_values(
        prepared,
        rows,
        expected,
        fmt=fmt,
        choices=MALI_CHOICES,
        numbers=MALI_NUMBERS,
        labels=None,
    )
    if fmt in TEXT_FORMATS:  # the digits typed, the comma read as the point
        assert rows["kayes"]["location_latitude"] == "12.8347"
        assert rows["kayes"]["NBRE_VILLAGE"] == "12"
    assert rows["gao"]["language"] == "fr"


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_mali_choices_as_labels_in_each_language(
    mali: dict[str, Any], export: Exporter, fmt: str, language: str
):
    prepared, rows, _ = export(MALI_SLUG, fmt, mali, labels=True, language=language)
    check_values(
        prepared,
        rows,
        {"kayes": {k: MALI_EXPECTED["kayes"][k] for k in ("region", "DISTRICT", "TYPE")}},
        fmt=fmt,
        choices=MALI_CHOICES,
        numbers=MALI_NUMBERS,
        labels=MALI_LABELS[language],
    )


def test_mali_sav_and_dta_label_the_variables_with_the_form_labels(
    mali: dict[str, Any], export: Exporter
):
    _, _, sav = export(MALI_SLUG, "sav", mali)
    _, meta = pyreadstat.read_sav(str(sav))
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["Pcode"] == "PCode"
    assert labels["NBRE_VILLAGE"] == "Number of villages"
    assert labels["location_longitude_2"] == "Longitude"
    assert labels["location_latitude"] == "Location (latitude)"
    district = meta.variable_value_labels["DISTRICT"]
    assert "KENIEBA" in district.values() and "ANSONGO" in district.values()
    assert meta.variable_measure["NBRE_VILLAGE"] == "scale"

    _, _, dta = export(MALI_SLUG, "dta", mali)
    _, meta = pyreadstat.read_dta(str(dta))
    assert {"Pcode", "DISTRICT", "location_longitude_2", "location_latitude"} <= set(
        meta.column_names
    )
    assert dict(zip(meta.column_names, meta.column_labels, strict=True))["DISTRICT"] == "District"


# -- Household Energy Access and Usage Survey.xlsx --------------------------------------------


@pytest.mark.parametrize("fmt", formats.names())
def test_household_calculations_are_worked_out_in_every_format(
    household: dict[str, Any], export: Exporter, fmt: str
):
    prepared, rows, _ = export(HOUSEHOLD_SLUG, fmt, household)
    names = [column.name for column in prepared.columns]
    for name in ("device_date", "date_mismatch", "cost_currency", "household_gps_latitude"):
        assert name in names, name
    assert names.index("cost_currency") == names.index("selected_country") + 1  # form order
    assert "note_35" not in names and "intro_note" not in names  # notes make no column
    check_values(
        prepared,
        rows,
        HOUSEHOLD_EXPECTED,
        fmt=fmt,
        choices=HOUSEHOLD_CHOICES,
        numbers=HOUSEHOLD_NUMBERS,
        labels=None,
    )
    assert rows["techiman"]["language"] == "ig"


def test_household_multiple_choice_and_ratings_in_csv(household: dict[str, Any], export: Exporter):
    prepared, rows, _ = export(HOUSEHOLD_SLUG, "csv", household)
    lagos, techiman = rows["lagos"], rows["techiman"]
    improve = [name for name in lagos if name.startswith("improve_choice")]
    assert improve == [
        f"improve_choice__{code}"
        for code in ("subsidy", "fewer_outages", "lower_upfront_cost", "better_maintenace", "other")
    ]
    picked = {name for name in improve if lagos[name] == "1"}
    assert picked == {"improve_choice__fewer_outages", "improve_choice__lower_upfront_cost"}
    assert {name for name in improve if techiman[name] == "1"} == {"improve_choice__subsidy"}
    assert lagos["cost_rating"] == "5" and lagos["environment_rating"] == "1"
    assert lagos["selected_hours"] == "h_5_8"
    assert techiman["secondary_source"] == "other"
