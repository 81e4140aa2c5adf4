"""Writing questionnaires as XLSForms: pyxform turns every one into an XForm without warnings,
and the workbook holds what a person would look for (every language, choice, condition,
message and setting)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyxform.xls2xform import convert

from survey.questionnaire.countries import COUNTRY_CODES
from survey.questionnaire.model import Questionnaire
from survey.questionnaire.schema import load_file
from survey.xlsform.writing import SURVEY_KEYS, language_name, write_xlsform
from survey.xlsform.yaml_keys import question_keys

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "questionnaires" / "we-own-it.yaml"
EVERY_KIND = Path(__file__).with_name("every-kind.yaml")
FILES = [SHIPPED, EVERY_KIND, *sorted((ROOT / "tests" / "questionnaires").glob("*.yaml"))]
XFORMS = "{http://www.w3.org/2002/xforms}"
EN, FR, ES = "English (en)", "French (fr)", "Spanish (es)"
# A language of a region by its BCP 47 tag, as XLSForm writes it.
PT_BR, IT = "Portuguese (pt-BR)", "Italian (it)"

Rows = list[dict[str, Any]]


def write(path: Path, tmp_path: Path) -> tuple[Questionnaire, Path]:
    questionnaire = load_file(path)
    target = tmp_path / f"{questionnaire.slug}.xlsx"
    write_xlsform(questionnaire, target)
    return questionnaire, target


def sheets(path: Path) -> dict[str, Rows]:
    """Each sheet as rows of {heading: cell}, empty cells left out."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    result = {}
    for sheet in workbook.worksheets:
        header, *rows = list(sheet.iter_rows(values_only=True))
        result[sheet.title] = [
            {str(name): cell for name, cell in zip(header, row, strict=True) if cell is not None}
            for row in rows
        ]
    workbook.close()
    return result


def by_name(rows: Rows) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in rows if "name" in row and row["type"] != "end_group"}


def keys(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(row[SURVEY_KEYS]) if SURVEY_KEYS in row else {}


def binds(xform: str) -> dict[str, dict[str, str]]:
    """The XForm's binds by the last step of their path."""
    root = ElementTree.fromstring(xform)
    return {
        bind.attrib["nodeset"].rsplit("/", 1)[-1]: bind.attrib
        for bind in root.iter(f"{XFORMS}bind")
    }


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_pyxform_turns_every_questionnaire_into_an_xform(path: Path, tmp_path: Path) -> None:
    questionnaire, target = write(path, tmp_path)
    result = convert(xlsform=str(target), validate=False)
    # pyxform knows language codes without a region only: it warns of `pt-BR`, named whole.
    regional = ", ".join(language_name(code) for code in questionnaire.languages if "_" in code)
    assert [
        warning
        for warning in result.warnings
        if not (regional and f"do not contain valid machine-readable codes: {regional}." in warning)
    ] == []
    root = ElementTree.fromstring(result.xform)
    title = root.find("{http://www.w3.org/1999/xhtml}head/{http://www.w3.org/1999/xhtml}title")
    assert title is not None and title.text == questionnaire.title[questionnaire.default_language]
    names = set(binds(result.xform))
    for question in questionnaire.questions():
        if question.type == "matrix":
            assert {f"{question.id}__{row.code}" for row in question.rows} <= names
        else:
            assert question.id in names


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Questionnaire, Path]:
    return write(SHIPPED, tmp_path_factory.mktemp("shipped"))


@pytest.fixture(scope="module")
def every_kind(tmp_path_factory: pytest.TempPathFactory) -> tuple[Questionnaire, Path]:
    return write(EVERY_KIND, tmp_path_factory.mktemp("every-kind"))


def test_language_columns_are_named_in_english_with_their_code(shipped):
    _, target = shipped
    workbook = openpyxl.load_workbook(target, read_only=True)
    headings = {
        name: next(workbook[name].iter_rows(values_only=True))
        for name in ("survey", "choices", "settings")
    }
    workbook.close()
    for column in ("label", "hint", "required_message", "constraint_message"):
        assert [item for item in headings["survey"] if item.startswith(f"{column}::")] == [
            f"{column}::{language}" for language in (EN, FR, ES, PT_BR, IT)
        ]
    assert [item for item in headings["choices"] if item.startswith("label::")] == [
        f"label::{language}" for language in (EN, FR, ES, PT_BR, IT)
    ]
    assert headings["settings"][-1] == SURVEY_KEYS
    assert language_name("fr") == FR
    assert language_name("xx") == "xx (xx)"


def test_every_question_has_its_label_in_every_language(shipped):
    questionnaire, target = shipped
    rows = by_name(sheets(target)["survey"])
    for question in questionnaire.questions():
        row = rows[question.id]
        for code, language in (("en", EN), ("fr", FR), ("es", ES)):
            assert row[f"label::{language}"] == question.label[code]
    assert rows["recommend"][f"hint::{FR}"] == questionnaire.question("recommend").help["fr"]


def test_every_choice_is_listed_with_its_labels(shipped):
    questionnaire, target = shipped
    choices = sheets(target)["choices"]
    for question in questionnaire.questions():
        if not (question.choices or question.scale):
            continue
        listed = [row for row in choices if row["list_name"] == question.id]
        expected = question.scale or question.choices
        assert [row["name"] for row in listed] == [str(item.code) for item in expected]
        for row, item in zip(listed, expected, strict=True):
            assert row[f"label::{ES}"] == item.label["es"]
    support = {row["name"]: row for row in choices if row["list_name"] == "support_received"}
    assert keys(support["none"]) == {"exclusive": True}
    obstacles = {row["name"]: row for row in choices if row["list_name"] == "obstacles"}
    assert keys(obstacles["9"]) == {"missing": True}
    assert SURVEY_KEYS not in obstacles["1"]


def test_country_question_lists_every_country_named_in_each_language(shipped):
    _, target = shipped
    workbook = sheets(target)
    row = by_name(workbook["survey"])["country"]
    assert row["type"] == "select_one country"
    assert keys(row) == {"type": "country"}
    countries = {
        item["name"]: item for item in workbook["choices"] if item["list_name"] == "country"
    }
    assert set(countries) == COUNTRY_CODES
    assert countries["BE"][f"label::{EN}"] == "Belgium"
    assert countries["BE"][f"label::{FR}"] == "Belgique"
    assert countries["DE"][f"label::{ES}"] == "Alemania"


def test_sections_are_pages_with_their_conditions(shipped):
    _, target = shipped
    survey = sheets(target)["survey"]
    groups = [row for row in survey if row["type"] == "begin_group"]
    sections = [row for row in groups if row["appearance"] == "field-list"]
    assert [row["name"] for row in sections] == [
        "about_you",
        "involvement_section",
        "cooperative",
        "starting",
        "participation_section",
        "future",
        "contact",
    ]
    # A section named like one of its questions keeps its id in survey_keys.
    assert keys(sections[1]) == {"id": "involvement"}
    assert sections[2]["relevant"] == (
        "(${involvement} = 'member' or ${involvement} = 'worker_non_member'"
        " or ${involvement} = 'founding')"
    )
    assert sections[2][f"label::{FR}"] == "Votre coopérative"


def test_questions_say_their_types_conditions_and_rules(shipped):
    _, target = shipped
    rows = by_name(sheets(target)["survey"])
    assert rows["age"]["type"] == "integer"
    assert rows["age"]["required"] == "yes"
    assert rows["age"]["constraint"] == ". >= 10 and . <= 99"
    assert rows["age"][f"constraint_message::{FR}"] == "Saisissez un nombre de 10 à 99."
    assert keys(rows["age"])["screen_out"]["when"] == "age < 16"
    assert rows["federation_name"]["relevant"] == "${federation} = 'yes'"
    assert rows["situation"]["type"] == "select_multiple situation"
    assert rows["motivations"]["constraint"] == "count-selected(.) <= 3"
    assert rows["recommend"]["type"] == "range"
    assert rows["recommend"]["parameters"] == "start=0 end=10 step=1"
    assert rows["we_own_it"]["appearance"] == "multiline"
    assert keys(rows["we_own_it"]) == {"type": "long_text", "max_length": 2000, "constraints": []}
    assert keys(rows["email"]) == {"type": "email", "personal": True, "constraints": []}
    assert rows["email"]["relevant"] == "${follow_up} = 'yes'"


def test_a_constraint_joins_bounds_and_rules_with_their_messages(shipped):
    questionnaire, target = shipped
    row = by_name(sheets(target)["survey"])["founded_year"]
    assert row["constraint"] == (
        ". >= 1844 and . <= format-date(today(), '%Y') + 2"
        " and (${involvement} = '' or (. <= format-date(today(), '%Y')"
        " or ${involvement} = 'founding'))"
    )
    message = questionnaire.question("founded_year").constraints[0].message
    for code, language in (("en", EN), ("fr", FR), ("es", ES)):
        assert row[f"constraint_message::{language}"].endswith(message[code])
    assert keys(row) == {
        "min": 1844,
        "max": "current_year + 2",
        "constraints": [
            {
                "check": "founded_year <= current_year or involvement == 'founding'",
                "message": message,
            }
        ],
    }


def test_please_specify_rows_follow_their_choice(shipped):
    _, target = shipped
    rows = by_name(sheets(target)["survey"])
    other = rows["gender_other"]
    assert other["type"] == "text"
    assert other["relevant"] == "selected(${gender}, 'self_describe')"
    assert other["required"] == "yes"
    assert other[f"label::{FR}"] == "Veuillez préciser"
    assert keys(other) == {"skip": True}


def test_a_matrix_is_a_table_of_rows_sharing_its_scale(shipped):
    questionnaire, target = shipped
    survey = sheets(target)["survey"]
    rows = by_name(survey)
    group = rows["participation"]
    assert (group["type"], group["appearance"]) == ("begin_group", "table-list")
    assert keys(group) == question_keys(questionnaire.question("participation"))
    row = rows["participation__voice_heard"]
    assert row["type"] == "select_one participation"
    assert row["required"] == "yes"
    assert row[f"label::{EN}"] == "My voice is heard in decisions"
    assert keys(row) == {"skip": True}


def test_settings_hold_the_questionnaire(shipped):
    questionnaire, target = shipped
    [settings] = sheets(target)["settings"]
    assert settings["form_id"] == "we-own-it"
    assert settings["form_title"] == questionnaire.title["en"]
    assert settings["version"] == "2027-1"
    assert settings["default_language"] == EN
    saved = keys(settings)
    assert saved["slug"] == "we-own-it"
    assert saved["languages"] == ["en", "fr", "es", "pt_BR", "it"]
    assert saved["title"]["es"] == questionnaire.title["es"]
    assert saved["intro"]["fr"] == questionnaire.intro["fr"]
    assert saved["schedule"] == {
        "opens_at": None,
        "closes_at": "2027-05-26T00:00",
        "timezone": "Europe/Brussels",
        "grace_minutes": 60,
        "contact": "CICOPA (www.cicopa.coop)",
    }
    assert saved["consent"]["label"]["en"] == questionnaire.consent_label["en"]
    assert saved["analysis"] == {"country": "country", "breakdowns": ["coop_type"]}


def test_xform_binds_of_known_questions(shipped):
    _, target = shipped
    found = binds(convert(xlsform=str(target), validate=False).xform)
    assert found["age"]["required"] == "true()"
    assert found["age"]["constraint"] == ". >= 10 and . <= 99"
    assert found["federation_name"]["relevant"] == " /data/cooperative/federation  = 'yes'"
    assert found["email"]["required"] == "true()"
    assert "/data/contact/follow_up" in found["email"]["relevant"]
    assert found["cooperative"]["relevant"].count("/data/involvement_section/involvement") == 3
    assert found["members_young"]["constraint"] == (
        ". >= 0 and . <= 1000000 and ( /data/cooperative/members_total  = ''"
        " or . <=  /data/cooperative/members_total )"
    )
    assert found["participation__balance"]["required"] == "true()"


# -- the keys the shipped survey does not use ----------------------------------------------------


def test_cascading_choices_filter_on_the_earlier_answer(every_kind):
    _, target = every_kind
    workbook = sheets(target)
    town = by_name(workbook["survey"])["town"]
    assert town["choice_filter"] == "place=${place} or place=''"
    towns = {row["name"]: row for row in workbook["choices"] if row["list_name"] == "town"}
    assert towns["a_town"]["place"] == "north"
    assert towns["b_town"]["place"] == "south"
    assert "place" not in towns["elsewhere"]
    assert keys(towns["elsewhere"]) == {"other": True}


def test_keys_of_the_other_types(every_kind):
    questionnaire, target = every_kind
    workbook = sheets(target)
    rows = by_name(workbook["survey"])
    section = rows["place_section"]
    assert keys(section) == {
        "id": "place",
        "intro": {"en": "About the place.", "fr": "À propos du lieu."},
    }
    assert rows["place"][f"required_message::{FR}"] == "Choisissez une région."
    places = {row["name"]: row for row in workbook["choices"] if row["list_name"] == "place"}
    assert keys(places["south"]) == {"number": 7}
    assert rows["pet_count"]["type"] == "calculate"
    assert rows["pet_count"]["calculation"] == (
        "if(count-selected(${pets}) > 0, count-selected(${pets}) * 2, 0)"
    )
    assert SURVEY_KEYS not in rows["pet_count"]
    assert rows["arrived"]["constraint"] == ". >= date('2000-01-01') and . <= date('2030-12-31')"
    assert rows["early"]["relevant"] == ("${arrived} < date('2010-06-01') and not(${children} = 0)")
    assert rows["born"]["constraint"] == ". >= 1900 and . <= format-date(today(), '%Y') - 16"
    assert keys(rows["weight"]) == {"min": 0.5, "max": 300, "decimals": 1, "constraints": []}
    assert rows["pets"]["constraint"] == (
        "count-selected(.) <= 2 and (not(selected(., 'none')) or count-selected(.) = 1)"
    )
    assert rows["mood"]["type"] == "range"  # read back as a scale: no type in the keys
    assert keys(rows["mood"]) == {
        "min_label": {"en": "Low", "fr": "Bas"},
        "max_label": {"en": "High", "fr": "Haut"},
    }
    assert rows["code_word"]["constraint"] == (
        "string-length(.) <= 200 and regex(., '^[A-Z]{3}$') and string-length(.) mod 3 = 0"
    )
    assert rows["grid"]["relevant"] == "selected(${pets}, 'cat') or count-selected(${pets}) >= 2"
    assert rows["why"]["relevant"] == "${grid__food} = 1 or ${grid__rest} = 1"
    [settings] = workbook["settings"]
    assert keys(settings)["schedule"]["opens_at"] == "2027-01-10T09:30"
    assert "title" in keys(settings)
    assert questionnaire.question("girls").max is not None
    assert rows["girls"]["constraint"] == (
        "(${children} = '' or . <= ${children}) and (${children} = '' or . <= ${children})"
    )
