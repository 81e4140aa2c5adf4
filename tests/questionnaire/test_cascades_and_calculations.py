"""Cascading choices (`filter_by`, `parent`), calculations (`calculate`) and `required_message`:
tests/questionnaires/cascades-and-calculations.yaml and small files made from MINI."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from survey.export.flatten import codebook, columns
from survey.questionnaire import flow, schema
from survey.questionnaire.answers import read_section
from survey.respond.display import choice_groups
from tests.questionnaire.test_schema import MINI, edit, load, only_problem

HERE = Path(__file__).resolve().parents[1]
FILE = HERE / "questionnaires" / "cascades-and-calculations.yaml"
TODAY = date(2027, 3, 15)


@cache
def survey() -> schema.Questionnaire:
    return schema.load_file(FILE)


def place(**fields: str) -> dict[str, list[str]]:
    form = {"region": ["kayes"], "District": ["kita"], "size": ["6"], "adults": ["2"]}
    form.update({name: [value] for name, value in fields.items()})
    return {name: value for name, value in form.items() if value != [""]}


def read(section_id: str, form: dict[str, list[str]], saved: dict[str, Any] | None = None):
    section = survey().section(section_id)
    assert section is not None
    return read_section(section, form, saved or {}, TODAY)


def problems(section_id: str, form: dict[str, list[str]], saved=None) -> dict[str, str]:
    return {p.field: p.code for p in read(section_id, form, saved).problems}


# -- cascading choices -------------------------------------------------------------------------


def test_a_choice_of_the_earlier_answer_is_accepted():
    result = read("place", place())
    assert result.ok
    assert result.values["District"] == "kita"


def test_a_choice_that_belongs_to_another_answer_is_refused():
    assert problems("place", place(District="koutiala")) == {"District": "choice"}


def test_a_choice_without_a_parent_is_always_offered():
    assert read("place", place(region="sikasso", District="elsewhere")).ok


def test_with_no_earlier_answer_only_the_choices_without_a_parent_are_offered():
    question = survey().question("District")
    assert [choice.code for choice in question.offered({})] == ["elsewhere"]
    assert [choice.code for choice in question.offered({"region": "sikasso"})] == [
        "bougouni",
        "koutiala",
        "elsewhere",
    ]


def test_a_list_that_follows_an_earlier_page_is_checked_against_the_saved_answer():
    saved = {"region": "sikasso"}
    assert problems("market", {"market_town": ["kayes_town"]}, saved) == {"market_town": "choice"}
    assert read("market", {"market_town": ["sikasso_town"]}, saved).ok
    assert read("market", {"market_town": ["none"]}, saved).ok


def test_without_the_page_script_choices_are_grouped_on_the_same_page_and_narrowed_later():
    district = survey().question("District")
    groups = choice_groups(district, {})
    assert [(g.parent.code if g.parent else None, [c.code for c in g.choices]) for g in groups] == [
        ("kayes", ["bafoulabe", "kita"]),
        ("sikasso", ["bougouni", "koutiala"]),
        (None, ["elsewhere"]),
    ]
    market = survey().question("market_town")
    (only,) = choice_groups(market, {"region": ["sikasso"]})
    assert [choice.code for choice in only.choices] == ["sikasso_town", "none"]


def test_a_pick_the_list_no_longer_offers_goes_when_the_earlier_answer_changes():
    saved = flow.prune(
        survey(), {**read("place", place()).values, "market_town": "kayes_town"}, TODAY
    )
    assert saved["market_town"] == "kayes_town"
    changed = {**saved, "region": "sikasso", "District": "bougouni"}
    kept = flow.prune(survey(), changed, TODAY)
    assert "market_town" not in kept
    assert flow.changed_lists(survey(), changed, kept, TODAY) == {"market"}
    kept_none = flow.prune(survey(), {**changed, "market_town": "none"}, TODAY)
    assert kept_none["market_town"] == "none"  # offered whatever the region
    assert (
        flow.changed_lists(survey(), {**changed, "market_town": "none"}, kept_none, TODAY) == set()
    )


def test_a_list_of_several_answers_may_follow_an_earlier_answer():
    text = FILE.read_text(encoding="utf-8")
    several = schema.load_text(
        edit(
            text,
            "      - id: District\n        type: single\n",
            "      - id: District\n        type: multiple\n",
        ),
        "several.yaml",
    )
    section = several.section("place")
    assert section is not None
    form = {**place(), "District": ["kita", "elsewhere"]}
    values = read_section(section, form, {}, TODAY).values
    assert values["District"] == ["kita", "elsewhere"]
    refused = read_section(section, {**form, "District": ["kita", "koutiala"]}, {}, TODAY)
    assert {p.field: p.code for p in refused.problems} == {"District": "choice"}
    saved = flow.prune(several, values, TODAY)
    assert saved["District"] == ["kita", "elsewhere"]
    moved = flow.prune(several, {**saved, "region": "sikasso"}, TODAY)
    assert moved["District"] == ["elsewhere"]  # the pick that belongs to no region stays


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("        filter_by: nowhere\n", "unknown question id 'nowhere'"),
        ("        filter_by: colour\n", "'colour' must be asked before this question"),
        ("        filter_by: age\n", "'age' must be a question with one answer"),
    ],
)
def test_filter_by_must_name_an_earlier_single_question(question: str, message: str):
    text = cascade_file(question)
    assert only_problem(text).endswith(message)


def test_a_parent_must_be_a_code_of_the_earlier_question():
    text = cascade_file("        filter_by: first\n", parent="purple")
    assert only_problem(text).endswith("'purple' is not a code of 'first'")


def test_a_parent_needs_filter_by():
    text = cascade_file("", parent="red")
    assert only_problem(text).endswith("a choice has a `parent` but there is no `filter_by`")


COLOUR = """\
      - id: colour
        type: single
        label: {en: Colour}
        choices:
          - {code: red, label: {en: Red}}
          - {code: blue, label: {en: Blue}}
"""


def cascade_file(filter_line: str, parent: str = "red") -> str:
    """MINI with a question `first` (red, blue) before `colour`, whose first choice has a
    parent."""
    return edit(
        MINI,
        COLOUR,
        COLOUR.replace("id: colour", "id: first").replace("{en: Colour}", "{en: First}")
        + "      - id: colour\n"
        "        type: single\n"
        "        label: {en: Colour}\n"
        f"{filter_line}"
        "        choices:\n"
        f"          - {{code: light_red, label: {{en: Light red}}, parent: {parent}}}\n"
        "          - {code: other_colour, label: {en: Other}}\n",
    )


# -- calculations ------------------------------------------------------------------------------


def test_calculations_are_worked_out_when_answers_are_saved():
    result = read("place", place())
    kept = flow.prune(survey(), result.values, TODAY)
    assert kept["children"] == 4
    assert kept["share_adults"] == pytest.approx(33.3333, abs=1e-3)
    assert kept["household"] == "large"


def test_a_condition_on_a_calculation_of_the_same_page_decides_with_it():
    no_children = read("place", place(size="2", adults="2", school="yes"))
    assert "school" not in no_children.values
    children = read("place", place(school="yes"))
    assert children.values["school"] == "yes"


def test_calculations_follow_a_changed_answer_and_go_when_they_have_no_value():
    saved = flow.prune(survey(), read("place", place()).values, TODAY)
    saved.update({"size": 2, "adults": 2})
    kept = flow.prune(survey(), saved, TODAY)
    assert kept["children"] == 0
    assert kept["household"] == "small"
    del saved["size"]
    kept = flow.prune(survey(), saved, TODAY)
    assert "children" not in kept and "share_adults" not in kept


def test_a_calculation_is_exported_as_a_number_or_as_text():
    by_name = {column.name: column for column in columns([survey()])}
    assert by_name["children"].numeric and by_name["share_adults"].numeric
    assert not by_name["household"].numeric
    assert by_name["share_adults"].label["en"] == "Share of adults"
    entries = {entry["variable"]: entry for entry in codebook(by_name.values(), "fr", "en")}
    assert entries["share_adults"]["question"] == "Part des adultes"
    assert entries["children"]["question"] == "Calculé : size - adults"  # no label: its rule
    assert by_name["children"].decimals == 0  # whole numbers in, whole numbers out
    assert by_name["share_adults"].decimals == 4


def test_a_calculation_has_no_line_on_the_review_page_and_no_label_to_write():
    assert survey().question("children").label == {}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("        type: calculate\n", "a calculate question needs a `calculation`"),
        (
            "        type: calculate\n        calculation: 'age * 2'\n        required: true\n",
            "a calculation is never asked, so never required",
        ),
        (
            "        type: calculate\n        calculation: 'colour + 1'\n",
            "'colour' must be asked before",
        ),
    ],
)
def test_calculation_mistakes_are_reported(lines: str, message: str):
    text = edit(
        MINI, "      - id: colour\n", "      - id: twice\n" + lines + "      - id: colour\n"
    )
    assert message in only_problem(text)


# -- required_message and ids ------------------------------------------------------------------


def test_a_required_question_says_its_own_message():
    (problem,) = read("place", place(region="", District="elsewhere")).problems
    assert problem.field == "region"
    assert problem.text == {"en": "Tell us your region.", "fr": "Indiquez votre région."}


def test_ids_may_have_capitals_but_not_differ_only_in_them():
    assert survey().has_question("District")
    text = edit(
        MINI,
        "      - id: colour\n",
        "      - id: Age\n        type: integer\n        label: {en: Age}\n      - id: colour\n",
    )
    assert "'Age' differs from 'age' only in capitals" in only_problem(text)


def test_a_calculation_that_compares_is_kept_as_text_one_or_zero():
    text = edit(
        MINI,
        "      - id: colour\n",
        "      - id: adult\n        type: calculate\n        calculation: 'age >= 18'\n"
        "      - id: colour\n",
    )
    questionnaire = load(text)
    assert flow.prune(questionnaire, {"age": 30}, TODAY)["adult"] == "1"
    assert flow.prune(questionnaire, {"age": 12}, TODAY)["adult"] == "0"
