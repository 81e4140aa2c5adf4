"""Problems the questionnaire's checks find in a converted XLSForm name the sheet and row the
person wrote, never a line of the YAML text they did not see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from survey.questionnaire.schema import QuestionnaireError, load_text
from survey.xlsform.reading import read_xlsform
from tests.xlsform.workbook import gaps, xlsform


def problems_of(path: Path) -> list[str]:
    conversion = read_xlsform(path)
    with pytest.raises(QuestionnaireError) as error:
        load_text(conversion.yaml_text(), f"{path} (converted to YAML)", conversion.places)
    return error.value.problems


def test_problems_name_the_sheet_row_and_column(tmp_path):
    path = gaps(tmp_path)
    assert problems_of(path) == [
        f"{path}: settings sheet, row 2: survey_keys: schedule.timezone: "
        "unknown time zone 'Mars/Olympus'",
        f"{path}: survey sheet, row 4 (name: member): hint: text missing in language 'fr'",
        f"{path}: choices sheet, row 3 (list: yn, name: no): label: text missing in language 'fr'",
        f"{path}: survey sheet, row 5 (name: children): constraint_message: "
        "text missing in language 'fr'",
        f"{path}: survey sheet, row 6 (name: story): survey_keys: max_length: "
        "must be a whole number, not 'long'",
        f"{path}: survey sheet, row 2 (name: about): label: text missing in language 'fr'",
        f"{path}: survey sheet, row 8 (name: bye): label: text missing in language 'en'",
    ]


def test_a_problem_of_no_one_row_says_it_is_the_form_as_a_whole(tmp_path):
    path = xlsform(
        tmp_path / "clash.xlsx",
        [
            {"type": "select_one yn or_other", "name": "member", "label": "Member?"},
            {
                "type": "text",
                "name": "which",
                "label": "Which?",
                "survey_keys": json.dumps({"id": "member_other"}),
            },
        ],
        [{"list_name": "yn", "name": "yes", "label": "Yes"}],
    )
    assert problems_of(path) == [
        f"{path}: the form as a whole: question id 'member_other' clashes with the column "
        "'member_other' of 'member'"
    ]


def test_a_question_and_its_section_from_survey_keys(tmp_path):
    path = xlsform(
        tmp_path / "keys.xlsx",
        [
            {"type": "begin group", "name": "about", "label": "About"},
            {"type": "text", "name": "a", "label": "A", "survey_keys": json.dumps({"id": "x"})},
            {"type": "text", "name": "b", "label": "B", "survey_keys": json.dumps({"id": "x"})},
            {"type": "integer", "name": "c", "label": "C", "survey_keys": '{"colour": "red"}'},
            {"type": "end group"},
        ],
    )
    assert problems_of(path) == [
        f"{path}: survey sheet, row 4 (name: b): survey_keys: id: duplicate question id 'x'",
        f"{path}: survey sheet, row 5 (name: c): survey_keys: colour: unknown key 'colour'",
    ]
