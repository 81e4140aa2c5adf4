"""The quality flags as rules (survey.questionnaire.quality), without a database."""

from __future__ import annotations

import pytest

from survey.questionnaire import quality
from survey.questionnaire.quality import Pace
from tests.respondent import shipped_questionnaire

JUDGED = Pace(complete=20, median_seconds=1000.0)


@pytest.mark.parametrize(
    ("status", "seconds", "flag"),
    [
        ("complete", 300.0, 1),
        ("complete", 399.99, 1),
        ("complete", 400.0, 0),  # not under 0.4 of the median: at it
        ("complete", 2000.0, 0),
        ("in_progress", 10.0, 0),  # only a complete response can be a speeder
        ("screened_out", None, 0),
    ],
)
def test_a_speeder_is_a_complete_response_under_the_share_of_the_median(status, seconds, flag):
    assert quality.speeder(status, seconds, JUDGED, 0.4) == flag


def test_with_fewer_than_20_complete_responses_nobody_is_judged():
    few = Pace(complete=19, median_seconds=1000.0)
    assert quality.speeder("complete", 1.0, few, 0.4) is None
    assert quality.speeder("in_progress", None, few, 0.4) is None
    assert quality.speeder("complete", 1.0, None, 0.4) is None  # no complete response at all
    assert quality.speeder("complete", 1.0, Pace(20, 1000.0), 0.4) == 1


def test_the_share_is_the_surveys_own():
    assert quality.speeder("complete", 450.0, JUDGED, 0.5) == 1
    assert quality.speeder("complete", 450.0, JUDGED, 0.4) == 0


GRIDS = ("obstacles", "participation")


@pytest.mark.parametrize(
    ("answers", "flag"),
    [
        ({"obstacles": {"finance": 2, "legal": 2, "knowledge": 2, "training": 2}}, 1),
        ({"obstacles": {code: 3 for code in ("a", "b", "c", "d", "e", "f")}}, 1),
        # Fewer than four rows answered: too few to tell.
        ({"obstacles": {"finance": 2, "legal": 2, "knowledge": 2}}, 0),
        ({"obstacles": {"finance": 2, "legal": 2, "knowledge": 2, "training": 3}}, 0),
        # One grid of two is enough.
        (
            {
                "obstacles": {"finance": 1, "legal": 2, "knowledge": 3, "training": 4},
                "participation": {"a": 5, "b": 5, "c": 5, "d": 5},
            },
            1,
        ),
        # "I don't know" on every row is the same point too.
        ({"obstacles": {"finance": 9, "legal": 9, "knowledge": 9, "training": 9}}, 1),
        ({}, 0),
        # A map answer that is not a grid's (a place, a list) is not read.
        ({"age": 27, "place": {"a": 1, "b": 1, "c": 1, "d": 1}}, 0),
    ],
)
def test_straightlining_is_one_point_on_every_row_of_a_grid_of_four_or_more(answers, flag):
    assert quality.straightlined(answers, GRIDS) == flag


def test_the_grids_are_asked_of_the_question_types():
    assert quality.grids(shipped_questionnaire()) == GRIDS
