"""The respondent's pages, one module per part of a person's way through a survey:

- `blueprint`: the blueprint, its rate limits, and what every page shares;
- `held`: what this browser holds (its resume code, a start not yet saved);
- `answering`: the list of surveys, welcome, start, sections, review and submit;
- `leaving`: thanks, the screen-out end, resume, forget this browser, withdraw;
- `participation`: the public page of how many people have taken part;
- `unsaved`: the pages of a database outage, which keep what was typed.

Each view works in one unit of work (read-only for a GET) and renders after it has ended
(`survey.rendering`).
"""

from __future__ import annotations

from survey.respond import answering, leaving, participation, unsaved
from survey.respond.blueprint import FIRST_SAVE_LIMIT, RESUME_LIMIT, START_LIMIT, bp

__all__ = [
    "FIRST_SAVE_LIMIT",
    "RESUME_LIMIT",
    "START_LIMIT",
    "answering",
    "bp",
    "leaving",
    "participation",
    "unsaved",
]
