"""Loading real XLSForm files as an admin does (`load_questionnaire` on the .xlsx path, and
`survey questionnaire load`): the same form twice makes no new version, a changed form makes
version 2, and respondents get the changed questions."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import undefer

from survey.models import QuestionnaireVersion, Survey
from survey.questionnaire_store import load_questionnaire
from tests.respondent import Respondent
from tests.xlsform.workbook import ETHIOPIA, HOUSEHOLD, MALI


def versions(app: Flask, slug: str) -> list[QuestionnaireVersion]:
    """The stored versions of a survey, with their text (a deferred column) read."""
    with app.extensions["survey_db"].reading() as session:
        return list(
            session.scalars(
                select(QuestionnaireVersion)
                .options(undefer(QuestionnaireVersion.source))
                .join(Survey, Survey.id == QuestionnaireVersion.survey_id)
                .where(Survey.slug == slug)
                .order_by(QuestionnaireVersion.version)
            )
        )


def load(app: Flask, path: Path):
    with app.extensions["survey_db"].writing() as session:
        return load_questionnaire(session, path)


def relabelled(form: Path, folder: Path, name: str, column: str, text: str) -> Path:
    """A copy of `form` under the same file name (so the same slug) whose question `name` has
    `text` in `column`; the shared file stays as it is."""
    folder.mkdir()
    copy = Path(shutil.copy(form, folder / form.name))
    book = openpyxl.load_workbook(copy)
    sheet = book["survey"]
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[headers.index("name")].value == name:
            row[headers.index(column)].value = text
    book.save(copy)
    return copy


@pytest.mark.parametrize(
    ("form", "slug"),
    [
        (MALI, "mali-health"),
        (HOUSEHOLD, "household-energy-access-and-usage-survey"),
        (ETHIOPIA, "eth-fsom-final"),
    ],
)
def test_loading_the_same_form_twice_makes_no_new_version(app: Flask, form: Path, slug: str):
    first = load(app, form)
    assert (first.slug, first.version, first.created_survey, first.created_version) == (
        slug,
        1,
        True,
        True,
    )
    again = load(app, form)
    assert again.describe() == f"{slug}: unchanged (version 1)"
    stored = versions(app, slug)
    assert [version.version for version in stored] == [1]
    assert stored[0].source_name == form.name
    assert stored[0].source.startswith(f"# Converted from the XLSForm {form.name}")


def test_a_form_saved_again_unchanged_makes_no_new_version(app: Flask, tmp_path: Path):
    load(app, MALI)
    (tmp_path / "resaved").mkdir()
    copy = tmp_path / "resaved" / MALI.name
    openpyxl.load_workbook(MALI).save(copy)  # another file, byte for byte, with the same rows
    assert copy.read_bytes() != MALI.read_bytes()
    assert load(app, copy).describe() == "mali-health: unchanged (version 1)"


def test_a_changed_form_makes_version_2_and_new_respondents_see_the_change(
    app: Flask, client, tmp_path: Path
):
    load(app, MALI)
    changed = relabelled(MALI, tmp_path / "changed", "DISTANCE", "label::English", "Distance (km)")
    result = load(app, changed)
    assert result.describe() == "mali-health: new version 2"
    assert load(app, changed).describe() == "mali-health: unchanged (version 2)"
    stored = versions(app, "mali-health")
    assert [version.version for version in stored] == [1, 2]
    labels = [
        {q["id"]: q["label"]["en"] for q in yaml.safe_load(v.source)["sections"][0]["questions"]}
        for v in stored
    ]
    assert (labels[0]["DISTANCE"], labels[1]["DISTANCE"]) == ("Distance", "Distance (km)")

    person = Respondent(client, "mali-health")
    assert person.start().status_code == 302
    page = person.get("/s/mali-health/p/part_1").get_data(as_text=True)
    assert "Distance (km)" in page


def test_the_command_line_tells_unchanged_and_new_versions(app: Flask, tmp_path: Path):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["questionnaire", "load", str(HOUSEHOLD)])
    assert first.exit_code == 0, first.output
    assert "household-energy-access-and-usage-survey: new survey, version 1" in first.stdout
    again = runner.invoke(args=["questionnaire", "load", str(HOUSEHOLD)])
    assert "household-energy-access-and-usage-survey: unchanged (version 1)" in again.stdout
    changed = relabelled(
        MALI, tmp_path / "changed", "NBRE_VILLAGE", "constraint", ". >= 1"
    )  # a rule, not a text
    runner.invoke(args=["questionnaire", "load", str(MALI)])
    result = runner.invoke(args=["questionnaire", "load", str(changed)])
    assert result.exit_code == 0, result.output
    assert "mali-health: new version 2" in result.stdout
    source = versions(app, "mali-health")[-1].source
    assert "check: NBRE_VILLAGE >= 1" in source
