"""Exports labelled in French and Spanish: CSV, XLSX (with its codebook), SPSS and Stata carry
the questionnaire's own texts in the chosen language, read back with each format's reader; the
`language` column says in which language each response was submitted.

Expected labels come from the shipped YAML (the `questionnaire` fixture), never from copies.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyreadstat
import pytest
import yaml

from survey.export import names as variable_names
from survey.export.flatten import Column
from survey.questionnaire.schema import Questionnaire
from tests.conftest import WE_OWN_IT
from tests.export.conftest import Population, expected_answers
from tests.export.test_formats import frame_rows, read_csv, rows_by_id, sheet_rows
from tests.respondent import MEMBER_ANSWERS, SLUG, Respondent

LANGUAGES = ("fr", "es")
# Country names come from CLDR (Babel), not from the questionnaire.
COUNTRIES = {
    "fr": {"AR": "Argentine", "KE": "Kenya", "FR": "France"},
    "es": {"AR": "Argentina", "KE": "Kenia", "FR": "Francia"},
}
STATA_LABEL_CHARACTERS = 80
LABELLED = ("single", "matrix")  # the kinds of column whose values have labels of their own


# -- what the questionnaire says ---------------------------------------------------------------


def question_columns(columns: list[Column]) -> list[Column]:
    return [column for column in columns if column.question_id is not None]


def variable_label(questionnaire: Questionnaire, column: Column, language: str) -> str:
    """A column's label as the questionnaire words it: the question, then the choice (0/1
    columns) or the row (matrix columns). An other-specify column's label starts with it."""
    question = questionnaire.question(column.question_id or "")
    text = question.label[language]
    if column.kind in ("dummy", "matrix"):
        code = column.name[len(question.id) + 2 :]
        items = question.rows if column.kind == "matrix" else question.choices
        part = next(item for item in items if str(item.code) == code)
        return f"{text}: {part.label[language]}"
    return text


def value_label(questionnaire: Questionnaire, column: Column, code: Any, language: str) -> str:
    question = questionnaire.question(column.question_id or "")
    items = question.scale if column.kind == "matrix" else question.choices
    return next(item.label[language] for item in items if item.code == code)


def assert_variable_label(
    shown: str, questionnaire: Questionnaire, column: Column, language: str, cut: int = 0
) -> None:
    """`shown` is the column's label in `language` (cut to `cut` characters if given)."""
    expected = variable_label(questionnaire, column, language)
    if column.kind == "other":
        assert shown.startswith(expected[:cut].rstrip() if cut else expected), column.name
    else:
        assert shown == (expected[:cut].rstrip() if cut else expected), column.name


def value_labels(questionnaire: Questionnaire, column: Column, language: str) -> dict[Any, str]:
    """{number in SPSS/Stata: label} of a labelled column, in `language`."""
    return {
        column.numbers.get(code, code): value_label(questionnaire, column, code, language)
        for code, _label in column.value_labels
    }


def codebook_codes(text: str) -> dict[str, str]:
    """The codebook's "1 = member: I am a member…; 9: I don't know" as {code: label}."""
    codes = {}
    for part in text.split("; "):
        numbered, label = part.split(": ", 1)
        codes[numbered.split(" = ")[-1]] = label
    return codes


# -- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_csv_labels_are_in_the_chosen_language(
    population: Population, make_export, questionnaire, language
):
    export, path = make_export("csv", labels=True, language=language)
    assert export.language == language
    rows = rows_by_id(read_csv(path))
    for name in ("member", "not_involved", "formula", "late"):
        person = population[name]
        row = rows[person.response_id]
        codes = expected_answers(person, export.columns, questionnaire)
        for column in question_columns(export.columns):
            code = codes[column.name]
            if code is None:
                assert row[column.name] == "", (name, column.name)
            elif column.kind in LABELLED:
                label = value_label(questionnaire, column, code, language)
                assert row[column.name] == label, (name, column.name)
            elif column.kind == "country":
                assert row[column.name] == COUNTRIES[language][code], name
            elif column.kind == "dummy":
                assert row[column.name] == str(code)  # 0/1 stay 0/1

    member = rows[population["member"].response_id]
    involvement = questionnaire.question("involvement").choice("member")
    assert involvement is not None
    assert member["involvement"] == involvement.label[language]
    assert member["involvement"] != involvement.label["en"]
    assert member["recommend"] == "9" and member["age"] == "27"  # numbers, not labels
    assert member["language"] == "en"  # the population answered in English


def test_the_language_column_is_the_language_each_response_was_submitted_in(
    app, clock, make_export
):
    in_french = Respondent(app.test_client())
    in_french.start("?lang=fr")
    in_french.answer_all(MEMBER_ANSWERS)
    assert in_french.submit().status_code == 302

    clock.now += timedelta(hours=1)
    switched = Respondent(app.test_client())
    switched.start()  # in English, the default
    switched.answer_all(MEMBER_ANSWERS)
    switched.get(f"/s/{SLUG}/review?lang=es")
    assert switched.submit().status_code == 302

    _, path = make_export("csv")
    assert [row["language"] for row in read_csv(path)] == ["fr", "es"]
    _, path = make_export("csv", labels=True, language="fr")
    assert [row["language"] for row in read_csv(path)] == ["fr", "es"]  # a code, in any mode


# -- XLSX --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_xlsx_values_and_codebook_are_in_the_chosen_language(
    population: Population, make_export, questionnaire, language
):
    export, path = make_export("xlsx", labels=True, language=language)
    book = openpyxl.load_workbook(path)

    values = sheet_rows(book["responses"])
    rows = rows_by_id([dict(zip(values[0], row, strict=True)) for row in values[1:]])
    member = rows[population["member"].response_id]
    columns = {column.name: column for column in export.columns}
    assert member["involvement"] == value_label(
        questionnaire, columns["involvement"], "member", language
    )
    assert member["obstacles__finance"] == value_label(
        questionnaire, columns["obstacles__finance"], 4, language
    )
    assert member["obstacles__legal"] == value_label(
        questionnaire, columns["obstacles__legal"], 9, language
    )
    assert member["country"] == COUNTRIES[language]["AR"]
    assert member["situation__other"] == 1

    codebook = sheet_rows(book["codebook"])
    entries = {row[0]: dict(zip(codebook[0], row, strict=True)) for row in codebook[1:]}
    for column in question_columns(export.columns):
        entry = entries[column.name]
        assert_variable_label(entry["question"], questionnaire, column, language)
        if column.kind in LABELLED:
            expected = {
                str(code): value_label(questionnaire, column, code, language)
                for code, _label in column.value_labels
            }
            assert codebook_codes(entry["codes"]) == expected, column.name
    assert (
        entries["involvement"]["question"] == questionnaire.question("involvement").label[language]
    )
    assert dict(sheet_rows(book["about"]))["label language"] == language


# -- SPSS --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_sav_variable_and_value_labels_are_in_the_chosen_language(
    population: Population, make_export, questionnaire, language
):
    export, path = make_export("sav", labels=True, language=language)
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    names = variable_names.spss_names(export.columns)
    assert all(names[column.name] == column.name for column in export.columns)  # all fit
    for column in question_columns(export.columns):
        shown = meta.column_names_to_labels[column.name]
        assert_variable_label(shown, questionnaire, column, language)
        if column.kind in LABELLED:
            expected = value_labels(questionnaire, column, language)
            assert meta.variable_value_labels[column.name] == expected, column.name

    member = frame_rows(frame)[population["member"].response_id]
    assert member["involvement"] == 1.0  # numbers, labelled
    assert member["obstacles__legal"] == 9.0
    assert meta.missing_ranges["obstacles__legal"] == [{"lo": 9.0, "hi": 9.0}]


# -- Stata -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_dta_variable_and_value_labels_are_in_the_chosen_language(
    population: Population, make_export, questionnaire, language
):
    export, path = make_export("dta", labels=True, language=language)
    _, meta = pyreadstat.read_dta(str(path), user_missing=True)
    names = variable_names.stata_names(export.columns)
    for column in question_columns(export.columns):
        written = names[column.name]
        shown = meta.column_names_to_labels[written]
        if written != column.name:  # the label then starts with the full name
            shown = shown.removeprefix(f"{column.name}: ")
            cut = STATA_LABEL_CHARACTERS - len(f"{column.name}: ")
        else:
            cut = STATA_LABEL_CHARACTERS
        assert_variable_label(shown, questionnaire, column, language, cut=cut)
        if column.kind in LABELLED:
            expected = value_labels(questionnaire, column, language)
            for number in column.missing_codes:  # 9 is the extended missing value .a
                expected["a"] = expected.pop(number)
            assert meta.variable_value_labels[written] == expected, column.name

    labelled = pd.read_stata(path).set_index("response_id")
    member = labelled.loc[population["member"].response_id]
    columns = {column.name: column for column in export.columns}
    assert member["involvement"] == value_label(
        questionnaire, columns["involvement"], "member", language
    )
    assert member["obstacles__finance"] == value_label(
        questionnaire, columns["obstacles__finance"], 4, language
    )
    with pd.api.typing.StataReader(path) as reader:
        country = reader.variable_labels()["country"]
    assert country == questionnaire.question("country").label[language]


# -- falling back to English -------------------------------------------------------------------


def english_only(value: Any) -> Any:
    """The questionnaire data with every text map cut down to its English."""
    if isinstance(value, dict):
        if "en" in value and set(value) <= {"en", "fr", "es", "pt_BR", "it"}:
            return {"en": value["en"]}
        return {key: english_only(item) for key, item in value.items()}
    if isinstance(value, list):
        return [english_only(item) for item in value]
    return value


def test_a_text_only_an_english_version_had_falls_back_to_english(
    app, make_export, load_version, questionnaire, tmp_path: Path
):
    """Version 2, in English only, asks a question and offers a choice that version 3 (the
    shipped file again, in five languages) dropped: their columns stay, labelled in English,
    the only texts without a French or Spanish wording."""
    data = english_only(yaml.safe_load(WE_OWN_IT.read_text(encoding="utf-8")))
    data["languages"] = ["en"]
    about_you = data["sections"][0]
    about_you["questions"].insert(0, {"id": "city", "type": "text", "label": {"en": "Your city"}})
    gender = next(item for item in about_you["questions"] if item["id"] == "gender")
    gender["choices"].append({"code": "another", "label": {"en": "Another gender"}})
    older = tmp_path / "we-own-it.yaml"
    older.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_version(older)
    load_version(WE_OWN_IT)

    export, path = make_export("xlsx", labels=True, language="fr")
    codebook = sheet_rows(openpyxl.load_workbook(path)["codebook"])
    entries = {row[0]: dict(zip(codebook[0], row, strict=True)) for row in codebook[1:]}
    assert entries["city"]["question"] == "Your city"
    gender_column = next(column for column in export.columns if column.name == "gender")
    assert codebook_codes(entries["gender"]["codes"]) == {
        **{
            code: value_label(questionnaire, gender_column, code, "fr")
            for code, _label in gender_column.value_labels
            if code != "another"
        },
        "another": "Another gender",
    }
    for column in question_columns(export.columns):
        if column.name != "city":
            assert_variable_label(entries[column.name]["question"], questionnaire, column, "fr")

    _, path = make_export("sav", labels=True, language="fr")
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    assert meta.column_names_to_labels["city"] == "Your city"
    number = gender_column.numbers["another"]
    assert meta.variable_value_labels["gender"][number] == "Another gender"
    assert meta.column_names_to_labels["gender"] == questionnaire.question("gender").label["fr"]


# -- words the export adds to the questionnaire's ----------------------------------------------


@pytest.mark.parametrize(
    ("language", "other", "yes_no", "complete"),
    [
        ("fr", "(autre, à préciser)", {0: "Non", 1: "Oui"}, "Complète"),
        ("es", "(otro, especificar)", {0: "No", 1: "Sí"}, "Completa"),
    ],
)
def test_words_the_export_adds_to_question_labels_are_in_the_chosen_language(
    population, make_export, questionnaire: Questionnaire, language, other, yes_no, complete
):
    """Beyond the questionnaire's texts, the export words the other-specify columns' labels,
    the 0/1 columns' and the metadata's value labels itself, from the interface catalogs."""
    _, path = make_export("sav", labels=True, language=language)
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    gender = questionnaire.question("gender").label[language]
    assert meta.column_names_to_labels["gender_other"] == f"{gender} {other}"
    assert meta.variable_value_labels["situation__other"] == yes_no
    assert meta.variable_value_labels["late"] == yes_no
    assert meta.variable_value_labels["status"][1] == complete
    assert "English" not in meta.column_names_to_labels["language"]
    assert meta.column_names_to_labels["language"] != "Language the response was answered in"
