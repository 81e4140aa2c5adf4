"""Reading one submitted section of the shipped questionnaire into typed answers and problems."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from survey.questionnaire import answers as answers_module
from survey.questionnaire import schema
from survey.questionnaire.answers import Problem, SectionResult

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires" / "we-own-it.yaml"
TODAY = date(2027, 3, 15)
YEAR = TODAY.year


@cache
def shipped() -> schema.Questionnaire:
    return schema.load_file(SHIPPED)


def read(
    section_id: str, form: dict[str, list[str]], saved: dict[str, Any] | None = None
) -> SectionResult:
    section = shipped().section(section_id)
    assert section is not None
    return answers_module.read_section(section, form, saved or {}, TODAY)


def codes(result: SectionResult) -> set[tuple[str, str]]:
    return {(problem.field, problem.code) for problem in result.problems}


def about_you(**changes: list[str]) -> dict[str, list[str]]:
    form = {"age": ["25"], "country": ["BE"], "situation": ["student"]}
    form.update(changes)
    return form


MEMBER = {"involvement": "member"}
FOUNDING = {"involvement": "founding"}


def cooperative(**changes: list[str]) -> dict[str, list[str]]:
    form = {"coop_type": ["worker"], "sector": ["digital"], "role": ["founder"]}
    form.update(changes)
    return form


def participation(**changes: list[str]) -> dict[str, list[str]]:
    form = {
        "participation__voice_heard": ["5"],
        "participation__assemblies": ["4"],
        "participation__information": ["3"],
        "participation__young_leaders": ["2"],
        "participation__balance": ["1"],
    }
    form.update(changes)
    return form


def future(**changes: list[str]) -> dict[str, list[str]]:
    form = {"help_needed": ["finance"], "recommend": ["7"]}
    form.update(changes)
    return form


# -- about_you: required, integers, screen-out --------------------------------------------------


def test_valid_about_you():
    result = read("about_you", about_you())
    assert result.ok
    assert result.screened_out is None
    assert result.values["age"] == 25
    assert result.values["country"] == "BE"
    assert result.values["situation"] == ["student"]


def test_required_questions_missing():
    result = read("about_you", {})
    assert result.problems == [
        Problem("age", "required"),
        Problem("country", "required"),
        Problem("situation", "required"),
    ]
    assert not result.ok
    assert result.screened_out is None


def test_blank_answers_count_as_missing():
    result = read("about_you", {"age": ["  "], "country": [""], "situation": []})
    assert codes(result) == {
        ("age", "required"),
        ("country", "required"),
        ("situation", "required"),
    }


def test_optional_questions_may_be_left_out():
    result = read("about_you", about_you())
    assert not any(problem.field in ("gender", "education") for problem in result.problems)


@pytest.mark.parametrize("raw", ["abc", "1.5", "25 years", "2 5", "0x19", "1e2"])
def test_integer_not_a_number(raw):
    result = read("about_you", about_you(age=[raw]))
    assert codes(result) == {("age", "integer")}


@pytest.mark.parametrize("raw", ["9", "100", "-20"])
def test_integer_out_of_range(raw):
    result = read("about_you", about_you(age=[raw]))
    assert result.problems == [Problem("age", "range", {"min": 10, "max": 99})]


@pytest.mark.parametrize("raw, value", [("10", None), ("99", 99), (" 42 ", 42), ("+30", 30)])
def test_integer_accepted(raw, value):
    result = read("about_you", about_you(age=[raw]))
    if value is None:  # 10 is valid but under 16: screened out
        assert result.screened_out is not None
        assert result.values["age"] == 10
    else:
        assert result.ok
        assert result.values["age"] == value


def test_under_16_is_screened_out_before_other_required_questions():
    result = read("about_you", {"age": ["15"]})
    assert result.screened_out is not None
    assert result.screened_out.message["en"] == (
        "Thank you. This survey is for people aged 16 and over."
    )
    assert result.problems == []
    assert result.values["age"] == 15


def test_under_16_is_screened_out_even_with_other_invalid_answers():
    result = read("about_you", {"age": ["15"], "country": ["XX"], "situation": ["other"]})
    assert result.screened_out is not None
    assert result.problems == []


def test_16_is_not_screened_out():
    result = read("about_you", about_you(age=["16"]))
    assert result.screened_out is None
    assert result.ok
    assert result.values["age"] == 16
    missing = read("about_you", {"age": ["16"]})
    assert missing.screened_out is None
    assert codes(missing) == {("country", "required"), ("situation", "required")}


def test_age_out_of_range_is_not_screened_out():
    result = read("about_you", {"age": ["9"]})
    assert result.screened_out is None
    assert ("age", "range") in codes(result)


# -- choices -----------------------------------------------------------------------------------


def test_unknown_choice_code_for_single():
    result = read("about_you", about_you(gender=["alien"]))
    assert result.problems == [Problem("gender", "choice")]


def test_unknown_choice_code_for_multiple():
    result = read("about_you", about_you(situation=["student", "astronaut"]))
    assert result.problems == [Problem("situation", "choice")]


def test_multiple_keeps_questionnaire_order():
    result = read("about_you", about_you(situation=["student", "worker_member", "student"]))
    assert result.values["situation"] == ["worker_member", "student"]


def test_other_without_text():
    result = read("about_you", about_you(situation=["other"]))
    assert result.problems == [Problem("situation_other", "other_required")]
    blank = read("about_you", about_you(situation=["other"], situation_other=["   "]))
    assert blank.problems == [Problem("situation_other", "other_required")]


def test_other_text_too_long():
    result = read("about_you", about_you(situation=["other"], situation_other=["x" * 201]))
    assert result.problems == [Problem("situation_other", "too_long", {"max": 200})]
    fits = read("about_you", about_you(situation=["other"], situation_other=["x" * 200]))
    assert fits.ok


def test_other_text_is_kept():
    result = read(
        "about_you", about_you(situation=["student", "other"], situation_other=["  Artist  "])
    )
    assert result.ok
    assert result.values["situation"] == ["student", "other"]
    assert result.values["situation_other"] == "Artist"


def test_other_text_ignored_when_other_not_picked():
    result = read("about_you", about_you(situation=["student"], situation_other=["Artist"]))
    assert result.ok
    assert "situation_other" not in result.values


def test_other_on_single_choice():
    result = read("about_you", about_you(gender=["self_describe"]))
    assert result.problems == [Problem("gender_other", "other_required")]
    result = read("about_you", about_you(gender=["self_describe"], gender_other=["agender"]))
    assert result.values["gender"] == "self_describe"
    assert result.values["gender_other"] == "agender"


# -- country -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, stored", [("FR", "FR"), ("fr", "FR"), (" be ", "BE"), ("JP", "JP")])
def test_country_accepted(raw, stored):
    result = read("about_you", about_you(country=[raw]))
    assert result.ok
    assert result.values["country"] == stored


@pytest.mark.parametrize("raw", ["XX", "FRA", "France", "F"])
def test_country_refused(raw):
    result = read("about_you", about_you(country=[raw]))
    assert result.problems == [Problem("country", "country")]


# -- cooperative: constraints and expression bounds ---------------------------------------------


def test_valid_cooperative():
    result = read("cooperative", cooperative(), MEMBER)
    assert result.ok
    assert result.values["coop_type"] == "worker"
    assert result.values["role"] == ["founder"]


def test_cooperative_required():
    result = read("cooperative", {}, MEMBER)
    assert codes(result) == {
        ("coop_type", "required"),
        ("sector", "required"),
        ("role", "required"),
    }


def test_more_young_members_than_members():
    result = read("cooperative", cooperative(members_total=["5"], members_young=["6"]), MEMBER)
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem.field, problem.code) == ("members_young", "constraint")
    assert problem.text["en"] == "Cannot be more than the total number of members."


def test_young_members_up_to_total():
    result = read("cooperative", cooperative(members_total=["5"], members_young=["5"]), MEMBER)
    assert result.ok
    assert (result.values["members_total"], result.values["members_young"]) == (5, 5)


def test_young_members_without_total_is_not_checked():
    result = read("cooperative", cooperative(members_young=["6"]), MEMBER)
    assert result.ok


def test_founded_year_this_year_is_fine():
    assert read("cooperative", cooperative(founded_year=[str(YEAR)]), MEMBER).ok


def test_founded_year_next_year_refused_unless_founding():
    form = cooperative(founded_year=[str(YEAR + 1)])
    result = read("cooperative", form, MEMBER)
    assert len(result.problems) == 1
    assert (result.problems[0].field, result.problems[0].code) == ("founded_year", "constraint")
    assert result.problems[0].text["en"] == (
        "The year cannot be in the future unless you are setting up the cooperative."
    )
    assert read("cooperative", form, {"involvement": "worker_non_member"}).problems[0].code == (
        "constraint"
    )
    founding = read("cooperative", form, FOUNDING)
    assert founding.ok
    assert founding.values["founded_year"] == YEAR + 1


def test_founded_year_two_years_ahead_when_founding():
    assert read("cooperative", cooperative(founded_year=[str(YEAR + 2)]), FOUNDING).ok


def test_founded_year_three_years_ahead_always_refused():
    for saved in (MEMBER, FOUNDING):
        result = read("cooperative", cooperative(founded_year=[str(YEAR + 3)]), saved)
        assert result.problems == [Problem("founded_year", "range", {"min": 1844, "max": YEAR + 2})]


def test_founded_year_before_1844_refused():
    result = read("cooperative", cooperative(founded_year=["1843"]), MEMBER)
    assert [(p.field, p.code) for p in result.problems] == [("founded_year", "range")]


def test_federation_name_only_when_federation_is_yes():
    shown = read("cooperative", cooperative(federation=["yes"], federation_name=["CECOP"]), MEMBER)
    assert shown.values["federation_name"] == "CECOP"
    hidden = read("cooperative", cooperative(federation=["no"], federation_name=["CECOP"]), MEMBER)
    assert hidden.ok
    assert "federation_name" not in hidden.values


def test_federation_name_too_long():
    result = read(
        "cooperative", cooperative(federation=["yes"], federation_name=["x" * 201]), MEMBER
    )
    assert result.problems == [Problem("federation_name", "too_long", {"max": 200})]


# -- starting: max choices, exclusive, matrix with a missing-value code ---------------------------


def test_motivations_at_most_three():
    result = read("starting", {"motivations": ["create_job", "democracy", "values", "support"]})
    assert result.problems == [Problem("motivations", "max_choices", {"max": 3})]
    three = read("starting", {"motivations": ["values", "democracy", "create_job"]})
    assert three.ok
    assert three.values["motivations"] == ["create_job", "democracy", "values"]


def test_motivations_required():
    assert read("starting", {}).problems == [Problem("motivations", "required")]


def test_none_cannot_be_combined():
    result = read(
        "starting", {"motivations": ["values"], "support_received": ["none", "federation"]}
    )
    assert len(result.problems) == 1
    assert (result.problems[0].field, result.problems[0].code) == ("support_received", "exclusive")
    assert result.problems[0].params["label"]["en"] == "None"
    alone = read("starting", {"motivations": ["values"], "support_received": ["none"]})
    assert alone.ok
    assert alone.values["support_received"] == ["none"]


def test_obstacles_accepts_dont_know():
    form = {"motivations": ["values"], "obstacles__finance": ["9"], "obstacles__legal": ["4"]}
    result = read("starting", form)
    assert result.ok
    assert result.values["obstacles"] == {"finance": 9, "legal": 4}


def test_obstacles_optional_and_partial():
    result = read("starting", {"motivations": ["values"]})
    assert result.ok
    assert not result.values.get("obstacles")


@pytest.mark.parametrize("raw", ["5", "0", "x", "-1"])
def test_obstacles_refuses_codes_off_the_scale(raw):
    result = read("starting", {"motivations": ["values"], "obstacles__finance": [raw]})
    assert result.problems == [Problem("obstacles__finance", "choice")]


# -- participation: matrix required row by row ---------------------------------------------------


def test_participation_complete():
    result = read("participation", participation(), MEMBER)
    assert result.ok
    assert result.values["participation"] == {
        "voice_heard": 5,
        "assemblies": 4,
        "information": 3,
        "young_leaders": 2,
        "balance": 1,
    }


def test_participation_missing_row():
    form = participation()
    del form["participation__voice_heard"]
    result = read("participation", form, MEMBER)
    assert [(p.field, p.code) for p in result.problems] == [
        ("participation__voice_heard", "row_required")
    ]
    assert result.problems[0].params["row"]["en"] == "My voice is heard in decisions"


def test_participation_all_rows_missing():
    result = read("participation", {}, MEMBER)
    assert [(p.field, p.code) for p in result.problems] == [
        ("participation__voice_heard", "row_required"),
        ("participation__assemblies", "row_required"),
        ("participation__information", "row_required"),
        ("participation__young_leaders", "row_required"),
        ("participation__balance", "row_required"),
    ]


def test_participation_off_scale():
    result = read("participation", participation(participation__balance=["9"]), MEMBER)
    assert result.problems == [Problem("participation__balance", "choice")]


def test_governance_hours_range():
    result = read("participation", participation(governance_hours=["201"]), MEMBER)
    assert result.problems == [Problem("governance_hours", "range", {"min": 0, "max": 200})]
    assert (
        read("participation", participation(governance_hours=["0"]), MEMBER).values[
            "governance_hours"
        ]
        == 0
    )


# -- future: scale and long text ----------------------------------------------------------------


@pytest.mark.parametrize("raw", ["0", "5", "10"])
def test_recommend_accepts_0_to_10(raw):
    result = read("future", future(recommend=[raw]))
    assert result.ok
    assert result.values["recommend"] == int(raw)


@pytest.mark.parametrize("raw", ["11", "-1", "abc", "5.5"])
def test_recommend_refuses_others(raw):
    result = read("future", future(recommend=[raw]))
    assert result.problems == [Problem("recommend", "range", {"min": 0, "max": 10})]


def test_recommend_required():
    result = read("future", {"help_needed": ["finance"]})
    assert result.problems == [Problem("recommend", "required")]


def test_we_own_it_length():
    too_long = read("future", future(we_own_it=["x" * 2001]))
    assert too_long.problems == [Problem("we_own_it", "too_long", {"max": 2000})]
    fits = read("future", future(we_own_it=["x" * 2000]))
    assert fits.ok
    assert fits.values["we_own_it"] == "x" * 2000


def test_long_text_keeps_lines_and_trims():
    result = read("future", future(we_own_it=["  first line\r\nsecond line  \n"]))
    assert result.values["we_own_it"] == "first line\nsecond line"


# -- contact: email only when asked --------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["not-an-email", "a@", "@example.org", "a b@example.org", "someone@example"]
)
def test_invalid_email(raw):
    result = read("contact", {"follow_up": ["yes"], "email": [raw]})
    assert result.problems == [Problem("email", "email")]


def test_valid_email_is_normalized():
    result = read("contact", {"follow_up": ["yes"], "email": ["  Someone@Example.ORG "]})
    assert result.ok
    assert result.values["email"] == "Someone@example.org"


def test_email_required_when_follow_up_is_yes():
    result = read("contact", {"follow_up": ["yes"]})
    assert result.problems == [Problem("email", "required")]


def test_email_not_asked_when_follow_up_is_no():
    result = read("contact", {"follow_up": ["no"]})
    assert result.ok
    assert "email" not in result.values
    stale = read("contact", {"follow_up": ["no"], "email": ["someone@example.org"]})
    assert stale.ok
    assert "email" not in stale.values


def test_email_not_asked_when_follow_up_unanswered():
    result = read("contact", {})
    assert result.ok
    assert "email" not in result.values
