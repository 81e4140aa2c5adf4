"""The quality flags a statistician cleans a web survey by, as rules. Pure: no Flask, no
database; the figures a rule needs (how fast the complete responses were) come as arguments.

- Speeder: a complete response whose duration is under a fraction (`analysis:
  speeder_fraction` in the YAML, default 0.4) of the median duration of the complete
  responses to the same questionnaire version. Unknown (None) while fewer than
  MIN_COMPLETE_TO_JUDGE complete responses to that version exist to judge by.
- Straightlining: a response that gave the same scale point to every row of a grid (a type
  with `grid = True`, such as `matrix`) with at least MIN_GRID_ROWS rows answered.

Exports compute both while they are written (survey.export.rows) and the dashboard counts them
in SQL (survey.stats); both follow these rules and their tests hold them to the same data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from survey.questionnaire.model import Questionnaire
from survey.questionnaire.types import type_of

MIN_COMPLETE_TO_JUDGE = 20
MIN_GRID_ROWS = 4


@dataclass(frozen=True)
class Pace:
    """How fast the complete responses to one questionnaire version were."""

    complete: int
    median_seconds: float | None


def judges_speed(pace: Pace | None) -> bool:
    """Whether there are enough complete responses to tell a speeder."""
    return (
        pace is not None
        and pace.complete >= MIN_COMPLETE_TO_JUDGE
        and pace.median_seconds is not None
    )


def speeder(status: str, seconds: float | None, pace: Pace | None, fraction: float) -> int | None:
    """1 for a complete response faster than `fraction` of its version's median, 0 for any
    other response, None when its version has too few complete responses to judge by."""
    if not judges_speed(pace):
        return None
    assert pace is not None and pace.median_seconds is not None
    if status != "complete" or seconds is None:
        return 0
    return 1 if seconds < fraction * pace.median_seconds else 0


def grids(questionnaire: Questionnaire) -> tuple[str, ...]:
    """The ids of the questionnaire's grid questions (rows on one scale)."""
    return tuple(item.id for item in questionnaire.questions() if type_of(item).grid)


def straightlined(answers: Mapping[str, Any], grid_ids: Iterable[str]) -> int:
    """1 when one grid has at least MIN_GRID_ROWS rows answered, all with the same point."""
    for question_id in grid_ids:
        value = answers.get(question_id)
        if (
            isinstance(value, dict)
            and len(value) >= MIN_GRID_ROWS
            and len(set(value.values())) == 1
        ):
            return 1
    return 0
