"""The note, acknowledge and geopoint question types in the engine: what the loader accepts and
refuses, how a submitted form is read, the messages, the review lines and the export columns.

tests/questionnaires/notes-and-places.yaml: section `before` has the note `about` and the
required tick box `rules`; `places` has the optional place `office`, `shared` (asked when
`office` is answered) and the required place `site`; `end` has the optional tick box `on_map`
and the note `map_note` (shown when `on_map == 1`).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from survey.export.flatten import codebook, columns
from survey.questionnaire import schema
from survey.questionnaire.answers import form_values, read_section
from survey.questionnaire.types import type_of
from survey.questionnaire.types.base import shared_message

HERE = Path(__file__).resolve().parents[1]
NOTES_AND_PLACES = HERE / "questionnaires" / "notes-and-places.yaml"
TODAY = date(2027, 3, 15)


@cache
def survey() -> schema.Questionnaire:
    return schema.load_file(NOTES_AND_PLACES)


def read(
    section_id: str, form: dict[str, str]
) -> tuple[dict[str, Any], dict[str, tuple[str, dict[str, Any]]]]:
    """The answers a section's form gives (as saved: None is no answer) and its problems
    (field -> code, params)."""
    section = survey().section(section_id)
    assert section is not None
    posted = {name: [value] for name, value in form.items()}
    result = read_section(section, posted, {}, TODAY)
    values = {name: value for name, value in result.values.items() if value is not None}
    return values, {p.field: (p.code, dict(p.params)) for p in result.problems}


def messages(section_id: str, form: dict[str, str], language: str = "en") -> dict[str, str]:
    """The problems of a section's form as the sentences people read, by field."""
    section = survey().section(section_id)
    assert section is not None
    posted = {name: [value] for name, value in form.items()}
    found = {}
    for problem in read_section(section, posted, {}, TODAY).problems:
        question = survey().question(problem.field.partition("__")[0])
        kind = type_of(question)
        found[problem.field] = kind.message(problem, question, language) or shared_message(
            problem, kind.required_message, language
        )
    return found


def refused(old: str, new: str) -> list[str]:
    """The loader's problems with the file once `old` is replaced by `new`."""
    text = NOTES_AND_PLACES.read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(schema.QuestionnaireError) as caught:
        schema.load_text(text.replace(old, new, 1), "file.yaml")
    return caught.value.problems


SITE = {"site__latitude": "14.69281", "site__longitude": "-17.44672"}

# -- the loader --------------------------------------------------------------------------------


def test_the_file_loads_with_the_three_types():
    kinds = {question.id: question.type for question in survey().questions()}
    assert kinds == {
        "about": "note",
        "rules": "acknowledge",
        "office": "geopoint",
        "shared": "single",
        "site": "geopoint",
        "on_map": "acknowledge",
        "map_note": "note",
    }
    assert survey().question("rules").required
    assert survey().question("site").required and not survey().question("office").required


@pytest.mark.parametrize(
    ("key", "yaml"),
    [
        ("required", "required: true"),
        ("constraints", 'constraints: [{check: "answered(rules)", message: {en: A, fr: A}}]'),
        ("screen_out", 'screen_out: {when: "answered(rules)", message: {en: A, fr: A}}'),
        ("personal", "personal: true"),
        ("required_message", "required_message: {en: A, fr: A}"),
    ],
)
def test_a_note_refuses_the_keys_of_an_answer(key, yaml):
    problems = refused(
        '        help: {en: "It takes two minutes."',
        f'        {yaml}\n        help: {{en: "It takes two minutes."',
    )
    assert any(
        f"questions[0].{key}: a note has no answer: {key!r} cannot be used on it" in line
        for line in problems
    ), problems


def test_a_key_of_another_type_is_refused_on_the_new_types():
    problems = refused(
        "        required: true\n  - id: places", "        max_length: 5\n  - id: places"
    )
    assert any("unknown key 'max_length'" in line for line in problems), problems


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ("about == 'x'", "'about' is a note and has no answer"),
        ("answered(about)", "'about' is a note and has no answer"),
        ("office == 1", "'office' is a geopoint: a condition may only ask whether it is answered"),
        ("office > 0 and answered(office)", "answered(office)"),
        ("office.latitude > 10", "'office' has no row 'latitude'"),
        ("not (office != 2)", "'office' is a geopoint"),
        ("string_length(office) > 3", "'office' is a geopoint"),
        ("(1 if office else 2) == 1", "'office' is a geopoint"),
        ("rules == 0", "0 cannot be an answer to 'rules'"),
        ("rules == 'yes'", "'yes' cannot be an answer to 'rules'"),
    ],
)
def test_conditions_refuse_a_note_and_a_compared_place(condition, problem):
    problems = refused('relevant: "answered(office)"', f'relevant: "{condition}"')
    assert any(problem in line for line in problems), problems


@pytest.mark.parametrize("condition", ["rules == 1", "answered(rules) and answered(office)"])
def test_conditions_accept_a_ticked_box_and_an_answered_place(condition):
    text = NOTES_AND_PLACES.read_text(encoding="utf-8")
    loaded = schema.load_text(text.replace("answered(office)", condition, 1), "file.yaml")
    assert loaded.question("shared").relevant is not None


def test_a_question_id_that_is_a_place_column_is_refused():
    problems = refused("      - id: shared\n", "      - id: office_latitude\n")
    assert any(
        "question id 'office_latitude' clashes with the column 'office_latitude' of 'office'"
        in line
        for line in problems
    ), problems


# -- answering: note and acknowledge -----------------------------------------------------------


def test_a_note_has_nothing_to_read_and_a_ticked_box_is_1():
    values, problems = read("before", {"rules": "1"})
    assert problems == {}
    assert values == {"rules": 1}
    section = survey().section("before")
    assert section is not None
    assert form_values(section, values) == {"rules": ["1"]}  # ticked again on the page


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Tick the box to continue."),
        ("fr", "Cochez la case pour continuer."),
        ("es", "Marca la casilla para continuar."),
    ],
)
def test_a_required_box_left_unticked_asks_to_tick_it(language, message):
    _, problems = read("before", {})
    assert problems == {"rules": ("required", {})}
    assert messages("before", {}, language) == {"rules": message}


def test_a_box_sending_anything_but_1_is_refused():
    _, problems = read("before", {"rules": "yes"})
    assert problems == {"rules": ("choice", {})}


def test_an_optional_box_may_stay_unticked_and_decides_the_note_after_it():
    values, problems = read("end", {})
    assert problems == {} and "on_map" not in values
    note = survey().question("map_note")
    assert note.relevant is not None
    assert note.relevant.evaluate({"on_map": 1}, TODAY)
    assert not note.relevant.evaluate({}, TODAY)


# -- answering: geopoint -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude", "stored"),
    [
        ("14.69281", "-17.44672", {"latitude": 14.69281, "longitude": -17.44672}),
        ("14,69281", "-17,44672", {"latitude": 14.69281, "longitude": -17.44672}),
        (" 90 ", "-180", {"latitude": 90.0, "longitude": -180.0}),
        ("-90", "180.000000", {"latitude": -90.0, "longitude": 180.0}),
        ("0", "+0.123456", {"latitude": 0.0, "longitude": 0.123456}),
    ],
)
def test_a_place_is_read_from_two_numbers(latitude, longitude, stored):
    values, problems = read("places", {"site__latitude": latitude, "site__longitude": longitude})
    assert problems == {}
    assert values["site"] == stored
    assert all(isinstance(values["site"][axis], float) for axis in stored)


@pytest.mark.parametrize(
    ("latitude", "longitude", "expected"),
    [
        ("north", "2", {"site__latitude": ("decimal", {})}),
        ("12", "2°", {"site__longitude": ("decimal", {})}),
        ("12.1234567", "2", {"site__latitude": ("decimals", {"max": 6})}),
        ("90.000001", "2", {"site__latitude": ("range", {})}),
        ("12", "-180.5", {"site__longitude": ("range", {})}),
        ("12", "", {"site__longitude": ("only_one", {})}),
        ("", "2", {"site__latitude": ("only_one", {})}),
        ("", "", {"site": ("required", {})}),
        ("abc", "200", {"site__latitude": ("decimal", {}), "site__longitude": ("range", {})}),
    ],
)
def test_a_wrong_place_is_refused_box_by_box(latitude, longitude, expected):
    values, problems = read("places", {"site__latitude": latitude, "site__longitude": longitude})
    assert problems == expected
    assert "site" not in values


def test_place_messages_say_which_box_and_what_to_do():
    found = messages("places", {"site__latitude": "abc", "site__longitude": "200"})
    assert found == {
        "site__latitude": "Enter the latitude in degrees, like 12.34567.",
        "site__longitude": "Enter a longitude from -180 to 180.",
    }
    found = messages("places", {"site__latitude": "12.1234567", "site__longitude": ""})
    assert found == {
        "site__latitude": "Use at most 6 digits after the decimal point.",
        "site__longitude": "Enter the longitude too, or leave both boxes empty.",
    }
    assert messages("places", {}) == {"site": "Enter the latitude and the longitude."}
    assert messages("places", {"site__latitude": "x", "site__longitude": "1"}, "fr") == {
        "site__latitude": "Saisissez la latitude en degrés, par exemple 12,34567."
    }
    assert messages("places", {"site__latitude": "1", "site__longitude": ""}, "es") == {
        "site__longitude": "Escribe también la longitud, o deja las dos casillas vacías."
    }


def test_the_question_after_an_optional_place_applies_only_once_it_is_answered():
    form = {**SITE, "shared": "yes"}
    values, problems = read("places", form)
    assert problems == {}
    assert "office" not in values and "shared" not in values  # office unanswered
    values, problems = read(
        "places", {**form, "office__latitude": "50.8", "office__longitude": "4.4"}
    )
    assert problems == {}
    assert values["office"] == {"latitude": 50.8, "longitude": 4.4}
    assert values["shared"] == "yes"


def test_a_saved_place_fills_the_two_boxes_again():
    section = survey().section("places")
    assert section is not None
    saved = {"site": {"latitude": 14.69281, "longitude": -17.0}, "office": None}
    form = form_values(section, saved)
    assert form == {"site__latitude": ["14.69281"], "site__longitude": ["-17"]}
    values, problems = read("places", {name: value[0] for name, value in form.items()})
    assert problems == {} and values["site"] == saved["site"]


def test_error_links_go_to_the_box_that_is_wrong():
    site = survey().question("site")
    assert type_of(site).anchors(site, {}) == {
        "site": "f-site__latitude",
        "site__latitude": "f-site__latitude",
        "site__longitude": "f-site__longitude",
    }
    about = survey().question("about")
    assert type_of(about).anchors(about, {}) == {}


# -- review and export -------------------------------------------------------------------------


def test_review_lines():
    site, rules, about = (survey().question(name) for name in ("site", "rules", "about"))
    answers = {"site": {"latitude": 12.34567, "longitude": -1.23456}, "rules": 1}
    for language in ("en", "fr", "es"):
        assert type_of(site).review(site, answers, language) == ["12.34567, -1.23456"]
    assert type_of(rules).review(rules, answers, "en") == ["Yes"]
    assert type_of(rules).review(rules, answers, "fr") == ["Oui"]
    assert type_of(rules).review(rules, answers, "es") == ["Sí"]
    assert not type_of(about).has_answer


def test_export_columns_and_codebook():
    made = {column.name: column for column in columns([survey()])}
    assert "about" not in made and "map_note" not in made
    questions = [name for name, column in made.items() if column.question_id is not None]
    assert questions == [
        "rules",
        "office_latitude",
        "office_longitude",
        "shared",
        "site_latitude",
        "site_longitude",
        "on_map",
    ]
    assert made["rules"].numeric and made["rules"].decimals == 0
    assert made["site_latitude"].numeric and made["site_latitude"].decimals == 6
    assert made["site_latitude"].label == {
        "en": "Where do you work on most days? (latitude)",
        "fr": "Où travaillez-vous la plupart du temps ? (latitude)",
    }
    entries = {entry["variable"]: entry for entry in codebook(made.values(), "fr", "en")}
    assert entries["rules"]["type"] == "acknowledge"
    assert entries["rules"]["codes"] == [{"code": 1, "number": 1, "label": "Oui"}]
    assert entries["site_longitude"]["type"] == "geopoint"
    assert entries["site_longitude"]["measure"] == "scale"
    assert entries["site_longitude"]["question"] == (
        "Où travaillez-vous la plupart du temps ? (longitude)"
    )
    assert entries["shared"]["relevance"] == "answered(office)"
