"""The question-type registry, and two types added through it: decimal and date (note,
acknowledge and geopoint: test_notes_and_places.py)."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from survey.export.flatten import codebook, columns
from survey.questionnaire import schema
from survey.questionnaire.answers import form_values, read_section
from survey.questionnaire.types import TYPES, type_of
from survey.questionnaire.types.base import shared_message

HERE = Path(__file__).resolve().parents[1]
NUMBERS_AND_DATES = HERE / "questionnaires" / "numbers-and-dates.yaml"
SHIPPED = HERE.parent / "questionnaires" / "we-own-it.yaml"
TODAY = date(2027, 3, 15)


@cache
def survey() -> schema.Questionnaire:
    return schema.load_file(NUMBERS_AND_DATES)


def work(**fields: str) -> dict[str, list[str]]:
    form = {"hours": ["7.5"], "joined": ["2010-06-01"]}
    form.update({name: [value] for name, value in fields.items()})
    return form


def read(form: dict[str, list[str]]) -> tuple[dict[str, Any], dict[str, tuple[str, Any]]]:
    section = survey().section("work")
    assert section is not None
    result = read_section(section, form, {}, TODAY)
    return result.values, {p.field: (p.code, dict(p.params)) for p in result.problems}


def message(field: str, form: dict[str, list[str]], language: str = "en") -> str:
    section = survey().section("work")
    assert section is not None
    problem = next(p for p in read_section(section, form, {}, TODAY).problems if p.field == field)
    question = survey().question(field)
    kind = type_of(question)
    return kind.message(problem, question, language) or shared_message(
        problem, kind.required_message, language
    )


def test_every_type_of_the_file_format_is_registered_once():
    assert set(TYPES) == {
        "integer",
        "decimal",
        "single",
        "multiple",
        "country",
        "matrix",
        "scale",
        "text",
        "long_text",
        "email",
        "date",
        "calculate",
        "note",
        "acknowledge",
        "geopoint",
    }
    assert all(name == kind.name for name, kind in TYPES.items())


def test_every_type_has_its_macro_file():
    folder = Path("survey/respond/templates/respond/questions")
    for kind in TYPES.values():
        assert (folder / f"{kind.macro}.html").is_file(), kind.name


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("7.5", 7.5), ("7,5", 7.5), ("8", 8.0), (" 0 ", 0.0), ("24.0", 24.0), ("+3.5", 3.5)],
)
def test_decimal_reads_a_point_or_a_comma(typed, stored):
    values, problems = read(work(hours=typed))
    assert problems == {}
    assert values["hours"] == stored
    assert isinstance(values["hours"], float)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("7.55", "decimals"),
        ("abc", "decimal"),
        ("1e3", "decimal"),
        ("7.5.1", "decimal"),
        ("1,000.5", "decimal"),
        ("24.1", "range"),
        ("-0.5", "range"),
        ("", "required"),
    ],
)
def test_decimal_refuses(typed, code):
    values, problems = read(work(hours=typed))
    assert problems["hours"][0] == code
    assert "hours" not in values


def test_decimal_messages_name_the_rule_in_the_page_language():
    assert message("hours", work(hours="7.55")) == ("Use at most 1 digit after the decimal point.")
    assert message("hours", work(hours="x")) == "Enter a number, like 2.5."
    assert message("hours", work(hours="25")) == "Enter a number from 0 to 24."
    assert message("hours", work(hours="7.55"), "fr") == (
        "Utilisez au plus 1 chiffre après la virgule."
    )


def test_decimal_with_two_places_and_no_maximum():
    values, problems = read(work(share="1234.56"))
    assert problems == {}
    assert values["share"] == 1234.56
    _, problems = read(work(share="1234.567"))
    assert problems["share"] == ("decimals", {"max": 2})


@pytest.mark.parametrize("typed", ["2010-06-01", " 1950-01-01 ", "2027-12-31"])
def test_date_reads_an_iso_date(typed):
    values, problems = read(work(joined=typed))
    assert problems == {}
    assert values["joined"] == typed.strip()


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("01/06/2010", "date"),
        ("2010-6-1", "date"),
        ("2010-02-30", "date"),
        ("yesterday", "date"),
        ("1949-12-31", "date_range"),
        ("2028-01-01", "date_range"),
        ("", "required"),
    ],
)
def test_date_refuses(typed, code):
    _, problems = read(work(joined=typed))
    assert problems["joined"][0] == code


def test_date_messages_write_the_dates_in_full():
    assert message("joined", work(joined="1900-01-01")) == (
        "Enter a date from 1 January 1950 to 31 December 2027."
    )
    assert message("joined", work(joined="1900-01-01"), "fr") == (
        "Saisissez une date entre le 1 janvier 1950 et le 31 décembre 2027."
    )
    assert message("joined", work(joined="June 2010")) == (
        "Enter a date as year-month-day, like 2001-03-28."
    )


def test_conditions_on_a_decimal_and_a_date():
    values, _ = read(work(hours="9.5", overtime="yes", joined="1998-04-01", founding="no"))
    assert values["overtime"] == "yes"
    assert values["founding"] == "no"
    # Neither condition holds: the answers to the questions they guard are not kept.
    values, _ = read(work(hours="8.5", overtime="yes", joined="2000-01-01", founding="no"))
    assert "overtime" not in values
    assert "founding" not in values


def test_saved_answers_fill_the_form_again():
    section = survey().section("work")
    assert section is not None
    form = form_values(section, {"hours": 9.5, "joined": "1998-04-01", "share": 1000000.0})
    assert form == {"hours": ["9.5"], "joined": ["1998-04-01"], "share": ["1000000"]}
    values, problems = read(form)
    assert problems == {}
    assert values["share"] == 1000000.0


def test_review_lines_in_each_language():
    hours, joined = survey().question("hours"), survey().question("joined")
    answers = {"hours": 1234.5, "joined": "1998-04-01"}
    assert type_of(hours).review(hours, answers, "en") == ["1,234.5"]
    assert type_of(hours).review(hours, answers, "fr") == ["1\u202f234,5"]
    assert type_of(joined).review(joined, answers, "en") == ["1 April 1998"]
    assert type_of(joined).review(joined, answers, "fr") == ["1 avril 1998"]


def test_export_columns_and_codebook():
    made = {column.name: column for column in columns([survey()])}
    assert made["hours"].numeric and made["hours"].decimals == 1
    assert made["share"].decimals == 2
    assert made["joined"].kind == "date" and not made["joined"].numeric
    entries = {entry["variable"]: entry for entry in codebook(made.values(), "en", "en")}
    assert entries["hours"]["type"] == "decimal"
    assert entries["hours"]["measure"] == "scale"
    assert entries["joined"]["type"] == "date"
    assert entries["overtime"]["relevance"] == "hours > 8.5"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("decimals: 1", "decimals: 9", "questions[0].decimals: must be from 1 to 6"),
        ("max: 24", "max: twenty", "must be a number, not 'twenty'"),
        ("min: 1950-01-01", "min: 1950-13-01", "not a real date: month must be in 1..12"),
        ("min: 1950-01-01", "min: 1950", "must be a date as YYYY-MM-DD, not 1950"),
        ('max: "2027-12-31"', 'max: "1900-01-01"', "must not be before min"),
        ('"hours > 8.5"', "\"hours > 'many'\"", "'many' cannot be an answer to 'hours'"),
        ("\"joined < '2000-01-01'\"", '"joined < 2000"', "2000 cannot be an answer to 'joined'"),
    ],
    ids=["decimals", "number", "no-date", "date", "order", "decimal-literal", "date-literal"],
)
def test_the_loader_checks_the_keys_of_each_type(old, new, problem):
    text = NUMBERS_AND_DATES.read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(schema.QuestionnaireError) as caught:
        schema.load_text(text.replace(old, new, 1), "file.yaml")
    assert any(problem in line for line in caught.value.problems), caught.value.problems


def test_a_key_of_another_type_is_refused():
    text = NUMBERS_AND_DATES.read_text(encoding="utf-8")
    broken = text.replace(
        "        decimals: 1\n", "        decimals: 1\n        max_length: 5\n", 1
    )
    with pytest.raises(schema.QuestionnaireError) as caught:
        schema.load_text(broken, "file.yaml")
    assert any("unknown key 'max_length'" in line for line in caught.value.problems)
