"""Which sections apply, "Section k of n", moving between sections, and dropping stale answers."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from survey.questionnaire import flow, schema

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires" / "we-own-it.yaml"
TODAY = date(2027, 3, 15)
YEAR = TODAY.year
ALL = ["about_you", "involvement", "cooperative", "starting", "participation", "future", "contact"]
NOT_INVOLVED = ["about_you", "involvement", "future", "contact"]


@cache
def shipped() -> schema.Questionnaire:
    return schema.load_file(SHIPPED)


def applicable(answers: dict[str, Any]) -> list[str]:
    return [section.id for section in flow.applicable_sections(shipped(), answers, TODAY)]


def position(answers: dict[str, Any], section_id: str) -> tuple[int, int]:
    return flow.position(shipped(), answers, section_id, TODAY)


def next_id(answers: dict[str, Any], section_id: str) -> str | None:
    section = flow.next_section(shipped(), answers, section_id, TODAY)
    return section.id if section else None


def previous_id(answers: dict[str, Any], section_id: str) -> str | None:
    section = flow.previous_section(shipped(), answers, section_id, TODAY)
    return section.id if section else None


def prune(answers: dict[str, Any]) -> dict[str, Any]:
    return flow.prune(shipped(), answers, TODAY)


def member_answers(**changes: Any) -> dict[str, Any]:
    """A complete set of answers from a member of a cooperative."""
    answers: dict[str, Any] = {
        "age": 25,
        "gender": "self_describe",
        "gender_other": "agender",
        "country": "BE",
        "education": "master_or_higher",
        "situation": ["worker_member", "other"],
        "situation_other": "artist",
        "involvement": "member",
        "coop_type": "other_new",
        "coop_type_other": "data cooperative",
        "sector": "digital",
        "founded_year": 2019,
        "members_total": 12,
        "members_young": 8,
        "role": ["founder", "board"],
        "federation": "yes",
        "federation_name": "CECOP",
        "motivations": ["democracy", "values"],
        "obstacles": {"finance": 4, "legal": 9},
        "support_received": ["federation"],
        "participation": {
            "voice_heard": 5,
            "assemblies": 4,
            "information": 4,
            "young_leaders": 3,
            "balance": 2,
        },
        "governance_hours": 6,
        "help_needed": ["finance", "other"],
        "help_needed_other": "time",
        "recommend": 9,
        "we_own_it": "Ours.",
        "follow_up": "yes",
        "email": "someone@example.org",
    }
    answers.update(changes)
    return answers


# -- applicable sections -------------------------------------------------------------------


def test_member_sees_all_seven_sections():
    assert applicable({"involvement": "member"}) == ALL
    assert applicable({"involvement": "worker_non_member"}) == ALL


def test_founding_skips_participation():
    assert applicable({"involvement": "founding"}) == [
        "about_you",
        "involvement",
        "cooperative",
        "starting",
        "future",
        "contact",
    ]


@pytest.mark.parametrize("involvement", ["interested", "none", "former"])
def test_not_involved_sees_four_sections(involvement):
    assert applicable({"involvement": involvement}) == NOT_INVOLVED


def test_before_involvement_is_answered_only_unconditional_sections_apply():
    assert applicable({}) == NOT_INVOLVED
    assert applicable({"age": 20}) == NOT_INVOLVED


# -- "Section k of n" ----------------------------------------------------------------------


def test_position_before_involvement_is_answered():
    assert position({}, "about_you") == (1, 4)
    assert position({"age": 30}, "involvement") == (2, 4)
    assert position({}, "future") == (3, 4)
    assert position({}, "contact") == (4, 4)


def test_position_for_a_member():
    answers = {"involvement": "member"}
    assert [position(answers, section_id) for section_id in ALL] == [
        (1, 7),
        (2, 7),
        (3, 7),
        (4, 7),
        (5, 7),
        (6, 7),
        (7, 7),
    ]


def test_position_for_a_founder():
    answers = {"involvement": "founding"}
    assert position(answers, "starting") == (4, 6)
    assert position(answers, "future") == (5, 6)
    assert position(answers, "contact") == (6, 6)


def test_position_for_someone_not_involved():
    answers = {"involvement": "interested"}
    assert position(answers, "future") == (3, 4)
    assert position(answers, "contact") == (4, 4)


def test_position_of_a_section_that_does_not_apply():
    assert position({"involvement": "none"}, "cooperative") == (0, 4)


# -- next / previous -----------------------------------------------------------------------


def test_next_for_a_member_goes_through_every_section():
    answers = {"involvement": "member"}
    path = ["about_you"]
    while (following := next_id(answers, path[-1])) is not None:
        path.append(following)
    assert path == ALL


def test_next_skips_sections_that_do_not_apply():
    assert next_id({"involvement": "none"}, "involvement") == "future"
    assert next_id({"involvement": "founding"}, "starting") == "future"
    assert next_id({"involvement": "member"}, "starting") == "participation"


def test_next_after_last_section_is_the_review():
    assert next_id({"involvement": "member"}, "contact") is None
    assert next_id({}, "contact") is None


def test_previous_skips_sections_that_do_not_apply():
    assert previous_id({"involvement": "interested"}, "future") == "involvement"
    assert previous_id({"involvement": "founding"}, "future") == "starting"
    assert previous_id({"involvement": "member"}, "future") == "participation"
    assert previous_id({"involvement": "member"}, "cooperative") == "involvement"


def test_previous_of_first_section_is_none():
    assert previous_id({}, "about_you") is None


def test_previous_from_a_section_that_no_longer_applies():
    # Someone on "cooperative" went back and changed involvement: previous still works.
    assert previous_id({"involvement": "none"}, "cooperative") == "involvement"
    assert next_id({"involvement": "none"}, "cooperative") == "future"


# -- first_incomplete ----------------------------------------------------------------------


def test_first_incomplete():
    questionnaire = shipped()
    member = {"involvement": "member"}
    assert flow.first_incomplete(questionnaire, {}, set(), TODAY).id == "about_you"
    assert flow.first_incomplete(questionnaire, member, {"about_you"}, TODAY).id == "involvement"
    done = {"about_you", "involvement", "cooperative"}
    assert flow.first_incomplete(questionnaire, member, done, TODAY).id == "starting"
    assert flow.first_incomplete(questionnaire, member, set(ALL), TODAY) is None


def test_first_incomplete_ignores_sections_that_do_not_apply():
    questionnaire = shipped()
    answers = {"involvement": "none"}
    done = {"about_you", "involvement"}
    assert flow.first_incomplete(questionnaire, answers, done, TODAY).id == "future"
    assert flow.first_incomplete(questionnaire, answers, set(NOT_INVOLVED), TODAY) is None


def test_first_incomplete_skips_sections_out_of_order():
    questionnaire = shipped()
    answers = {"involvement": "founding"}
    done = {"about_you", "involvement", "starting", "future"}
    assert flow.first_incomplete(questionnaire, answers, done, TODAY).id == "cooperative"


# -- prune ---------------------------------------------------------------------------------


def test_prune_keeps_everything_that_applies():
    answers = member_answers()
    assert prune(answers) == answers


def test_prune_does_not_change_its_input():
    answers = member_answers(involvement="none")
    copy = dict(answers)
    prune(answers)
    assert answers == copy


def test_prune_drops_sections_that_stop_applying():
    kept = prune(member_answers(involvement="none"))
    dropped = {
        "coop_type",
        "coop_type_other",
        "sector",
        "founded_year",
        "members_total",
        "members_young",
        "role",
        "federation",
        "federation_name",
        "motivations",
        "obstacles",
        "support_received",
        "participation",
        "governance_hours",
    }
    assert not dropped & kept.keys()
    assert kept == {key: value for key, value in member_answers().items() if key not in dropped} | {
        "involvement": "none"
    }


def test_prune_for_founder_drops_only_participation():
    kept = prune(member_answers(involvement="founding"))
    assert "participation" not in kept
    assert "governance_hours" not in kept
    assert kept["coop_type"] == "other_new"
    assert kept["motivations"] == ["democracy", "values"]


def test_prune_drops_federation_name_unless_federation_is_yes():
    assert prune(member_answers())["federation_name"] == "CECOP"
    for federation in ("no", "dont_know"):
        assert "federation_name" not in prune(member_answers(federation=federation))
    without = member_answers()
    del without["federation"]
    assert "federation_name" not in prune(without)


def test_prune_drops_other_text_when_other_choice_not_picked():
    kept = prune(member_answers(gender="woman"))
    assert kept["gender"] == "woman"
    assert "gender_other" not in kept
    kept = prune(member_answers(situation=["student"]))
    assert "situation_other" not in kept
    assert kept["situation"] == ["student"]


def test_prune_keeps_other_text_when_other_choice_picked():
    kept = prune(member_answers())
    assert kept["gender_other"] == "agender"
    assert kept["situation_other"] == "artist"
    assert kept["coop_type_other"] == "data cooperative"
    assert kept["help_needed_other"] == "time"


def test_prune_drops_email_when_follow_up_is_no():
    kept = prune(member_answers(follow_up="no"))
    assert kept["follow_up"] == "no"
    assert "email" not in kept
    without = member_answers()
    del without["follow_up"]
    assert "email" not in prune(without)


def test_prune_drops_unknown_keys():
    assert "stray" not in prune(member_answers(stray="value"))
