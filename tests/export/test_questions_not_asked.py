"""Questions a person was never asked are empty in every export format, 0/1 columns included.

Three people answer the shipped survey over HTTP: one is screened out by age on the first
section (having also ticked a work situation and given a country on that page, which the save
does not keep), one stops after the involvement section (partial), one completes it. Each format
of `formats.names()` is read back with its own reader: a multiple choice is 0/1 only where it
was asked, empty (system missing) elsewhere; for the complete response, never empty.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from survey.export import formats
from survey.export.names import stata_names
from survey.questionnaire.model import Questionnaire
from tests.export.conftest import Answered, answer_over_http
from tests.export.test_question_types import READERS, by_person, empty
from tests.respond.helpers import only_response, stored
from tests.respondent import MEMBER_ANSWERS, Respondent

PEOPLE = (
    Answered(
        "screened_out",
        {
            "about_you": {
                "age": "14",
                "gender": "woman",
                "country": "FR",
                "education": "secondary",
                "situation": ["student", "other"],
                "situation_other": "Apprentice",
            }
        },
        submit=False,
    ),
    Answered(
        "partial",
        {
            "about_you": {"age": "22", "country": "ES", "situation": ["student"]},
            "involvement": {"involvement": "member"},
        },
        submit=False,
    ),
    Answered("complete", MEMBER_ANSWERS),
)
# Sections the partial response saved; the next one (cooperative) was reached, not saved.
PARTIAL_SAVED = ("about_you", "involvement")


@pytest.fixture
def answered(app: Flask) -> dict[str, Answered]:
    return answer_over_http(app, "we-own-it", PEOPLE)


def as_flag(cell: Any) -> int | None:
    """A 0/1 cell as 0 or 1 (text in CSV, a number elsewhere); None when empty."""
    return None if empty(cell) else int(float(cell))


@pytest.mark.parametrize("labels", [False, True], ids=["codes", "labels"])
@pytest.mark.parametrize("fmt", formats.names())
def test_questions_not_asked_are_empty_and_asked_multiple_choices_are_0_or_1(
    answered: dict[str, Answered],
    make_export,
    questionnaire: Questionnaire,
    fmt: str,
    labels: bool,
):
    export, path = make_export(fmt, labels=labels, include_partial=True, include_screened_out=True)
    in_file = stata_names(export.columns) if fmt == "dta" else {}
    rows = by_person(READERS[fmt](path), answered)
    questions = [column for column in export.columns if column.question_id is not None]
    dummies = [column for column in questions if column.kind == "dummy"]

    def cell(person: str, name: str) -> Any:
        return rows[person][in_file.get(name, name)]

    # Screened out on age: only age was kept; nothing after it was asked, so nothing after it
    # applied (a situation dummy of 0 would read "not ticked").
    assert as_flag(cell("screened_out", "age")) == 14
    for column in questions:
        if column.question_id != "age":
            assert empty(cell("screened_out", column.name)), (fmt, column.name)

    # Partial: what was saved as answered (unticked choices 0), the sections after it empty.
    situation = {
        column.name: as_flag(cell("partial", column.name))
        for column in dummies
        if column.question_id == "situation"
    }
    assert situation == {name: int(name == "situation__student") for name in situation}
    assert empty(cell("partial", "situation_other"))
    for column in questions:
        if questionnaire.question(column.question_id or "").section_id not in PARTIAL_SAVED:
            assert empty(cell("partial", column.name)), (fmt, column.name)

    # Complete, every section applying: every multiple choice 0/1, none empty.
    complete = {column.name: as_flag(cell("complete", column.name)) for column in dummies}
    assert set(complete.values()) == {0, 1}, (fmt, complete)
    ticked = {
        f"{question_id}__{code}"
        for values in MEMBER_ANSWERS.values()
        for question_id, value in values.items()
        if isinstance(value, list)
        for code in value
    }
    assert {name for name, value in complete.items() if value == 1} == ticked


@pytest.mark.parametrize("fmt", formats.names())
def test_a_person_screened_out_after_saving_later_sections_has_nothing_after_the_screen(
    app: Flask, make_export, questionnaire: Questionnaire, fmt: str
):
    """The survey ended at the screen: the sections saved before the person went back did not
    apply either, in every format, while their stored answers stay in the database."""
    person = Respondent(app.test_client())
    person.start()
    person.screened_out_after_going_back()
    assert only_response(app).status == "screened_out"
    kept = stored(app)
    assert kept["coop_type"] == "worker" and len(set(kept["participation"].values())) == 1

    export, path = make_export(fmt, include_partial=True, include_screened_out=True)
    (row,) = READERS[fmt](path)
    in_file = stata_names(export.columns) if fmt == "dta" else {}
    assert row["status"] in ("screened_out", 3)
    assert as_flag(row["age"]) == 14
    assert as_flag(row["flag_straightlining"]) == 0  # the grid did not apply
    for column in export.columns:
        if column.question_id not in (None, "age"):
            assert empty(row[in_file.get(column.name, column.name)]), (fmt, column.name)
