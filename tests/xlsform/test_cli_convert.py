"""`survey questionnaire convert`, and `load` / `validate` of an XLSForm, as an admin types them."""

from __future__ import annotations

from pathlib import Path

import yaml
from openpyxl import load_workbook
from sqlalchemy import select

from survey.models import QuestionnaireVersion, Survey
from tests.xlsform.workbook import BIOMASS, HOUSEHOLD, MALI, gaps, xlsform

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires" / "we-own-it.yaml"


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["questionnaire", *args])


def small_form(tmp_path: Path, name: str = "small.xlsx") -> Path:
    """A form of question types the platform has always had, in English and French."""
    en, fr = "label::English (en)", "label::French (fr)"
    member = {"type": "select_one yn", "name": "member", en: "Member?", fr: "Membre ?"}
    return xlsform(
        tmp_path / name,
        [
            {"type": "integer", "name": "age", en: "Age?", fr: "Âge ?", "constraint": ". >= 10"},
            {**member, "relevant": "${age} > 15"},
        ],
        [
            {"list_name": "yn", "name": "yes", en: "Yes", fr: "Oui"},
            {"list_name": "yn", "name": "no", en: "No", fr: "Non"},
        ],
        {"form_title": "Small", "form_id": "small", "version": "3"},
    )


# -- convert -----------------------------------------------------------------------------------


def test_convert_writes_the_yaml_and_prints_the_notes(app, tmp_path):
    target = tmp_path / "mali.yaml"
    result = run(app, "convert", str(MALI), str(target))
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert data["slug"] == "mali-health"
    assert data["languages"] == ["en", "fr"]
    assert (
        "note: survey row 14: 'location.longitude' is now 'location_longitude_2'" in result.stdout
    )
    assert f"{target}: written (1 section, 15 questions)" in result.stdout
    assert "Traceback" not in result.output


def test_convert_to_yml_too(app, tmp_path):
    result = run(app, "convert", str(HOUSEHOLD), str(tmp_path / "energy.yml"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "energy.yml").read_text(encoding="utf-8").startswith("# Converted from")


def test_convert_refuses_a_form_listing_every_row(app, tmp_path):
    target = tmp_path / "biomass.yaml"
    result = run(app, "convert", str(BIOMASS), str(target))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    # The same rows as --skip-unsupported leaves out: the rows inside a repeat too.
    skipped = run(app, "convert", "--skip-unsupported", str(BIOMASS), str(tmp_path / "all.yaml"))
    left_out = [line for line in skipped.stdout.splitlines() if line.startswith("left out: ")]
    assert lines == [line.removeprefix("left out: ") for line in left_out]
    assert len(lines) == 50, lines
    assert (
        f"{BIOMASS}: sheet survey, row 32, name 'trees', type 'begin repeat': "
        "repeats are not supported"
    ) in lines
    assert (
        f"{BIOMASS}: sheet survey, row 34, name 'tag', type 'integer': "
        "inside repeat 'trees', which is left out"
    ) in lines
    assert all(line.startswith(f"{BIOMASS}: sheet survey, row ") for line in lines)
    assert not target.exists()
    assert "Traceback" not in result.output


def test_convert_skipping_unsupported_rows_lists_them(app, tmp_path):
    target = tmp_path / "biomass.yaml"
    result = run(app, "convert", "--skip-unsupported", str(BIOMASS), str(target))
    assert result.exit_code == 0, result.output
    left = [line for line in result.stdout.splitlines() if line.startswith("left out: ")]
    assert (
        f"left out: {BIOMASS}: sheet survey, row 34, name 'tag', type 'integer': "
        "inside repeat 'trees', which is left out"
    ) in left
    assert "rows left out)" in result.stdout
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["languages"] == ["sw", "en"]


def test_convert_warns_of_what_validate_will_refuse_naming_sheet_and_row(app, tmp_path):
    form, target = gaps(tmp_path), tmp_path / "gaps.yaml"
    result = run(app, "convert", str(form), str(target))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 7, warnings
    assert (
        f"warning: {form}: survey sheet, row 8 (name: bye): label: text missing in language 'en'"
    ) in warnings
    assert f"{target}:" not in result.stderr


def test_convert_other_extensions_is_one_line(app, tmp_path):
    for source, target in (("a.txt", "b.yaml"), ("a.xlsx", "b.csv"), ("a.yaml", "b.yml")):
        result = run(app, "convert", str(tmp_path / source), str(tmp_path / target))
        assert result.exit_code == 1
        assert "convert an XLSForm (.xlsx) to YAML" in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_convert_the_shipped_survey_to_xlsform_and_back(app, tmp_path):
    workbook = tmp_path / "we-own-it.xlsx"
    result = run(app, "convert", str(SHIPPED), str(workbook))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{workbook}: written (7 sections, 24 questions)"
    back = tmp_path / "we-own-it.yaml"
    result = run(app, "convert", str(workbook), str(back))
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(back.read_text(encoding="utf-8"))
    assert data["slug"] == "we-own-it"
    # No note of a change that did not happen: the schedule, the country codes and the
    # matrices' scales come back as they were.
    shipped = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert data["schedule"] == shipped["schedule"]
    notes = [line for line in result.output.splitlines() if line.startswith("note: ")]
    assert notes == ["note: columns not carried over (the platform does not use them): appearance"]
    result = run(app, "validate", str(back))
    assert result.exit_code == 0, result.output


def test_an_edited_row_the_platform_makes_again_is_a_warning_not_a_refusal(app, tmp_path):
    workbook = tmp_path / "we-own-it.xlsx"
    assert run(app, "convert", str(SHIPPED), str(workbook)).exit_code == 0
    book = load_workbook(workbook)
    sheet = book["survey"]
    headers = [cell.value for cell in sheet[1]]
    (row,) = [row for row in sheet.iter_rows(min_row=2) if row[1].value == "gender_other"]
    row[headers.index("label::English (en)")].value = "Which gender?"
    book.save(workbook)
    expected = (
        f"warning: {workbook}: survey sheet, row {row[0].row} (name: gender_other): "
        "label (en) differs from what the platform writes"
    )
    result = run(app, "convert", str(workbook), str(tmp_path / "back.yaml"))
    assert result.exit_code == 0, result.output
    assert [line[: len(expected)] for line in result.stderr.splitlines()] == [expected]
    for command in ("validate", "load"):
        result = run(app, command, str(workbook))
        assert result.exit_code == 0, result.output
        warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
        assert [line[: len(expected)] for line in warnings] == [expected]
        assert "Traceback" not in result.output


def test_convert_a_yaml_file_with_problems_lists_them(app, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(SHIPPED.read_text(encoding="utf-8").replace("type: country", "type: nation"))
    result = run(app, "convert", str(broken), str(tmp_path / "broken.xlsx"))
    assert result.exit_code == 1
    assert "unknown question type 'nation'" in result.stderr
    assert not (tmp_path / "broken.xlsx").exists()


def test_convert_a_missing_file_is_one_line(app, tmp_path):
    result = run(app, "convert", str(tmp_path / "none.xlsx"), str(tmp_path / "none.yaml"))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"{tmp_path / 'none.xlsx'}: no such file"


def test_convert_into_a_missing_folder_is_one_line(app, tmp_path):
    result = run(app, "convert", str(MALI), str(tmp_path / "no" / "such" / "mali.yaml"))
    assert result.exit_code == 1
    assert "cannot write" in result.output
    assert "Traceback" not in result.output


def test_convert_to_an_xlsform_where_it_cannot_be_written_is_one_line(app, tmp_path):
    target = tmp_path / "no" / "such" / "we-own-it.xlsx"
    result = run(app, "convert", str(SHIPPED), str(target))
    assert result.exit_code == 1, result.output
    assert result.stderr == f"Error: cannot write {target}: No such file or directory\n"


# -- load and validate an .xlsx ----------------------------------------------------------------


def test_load_an_xlsform_stores_its_yaml(app, tmp_path):
    form = small_form(tmp_path)
    result = run(app, "load", str(form))
    assert result.exit_code == 0, result.output
    assert "small: new survey, version 1" in result.stdout
    with app.extensions["survey_db"].reading() as session:
        survey = session.scalars(select(Survey).where(Survey.slug == "small")).one()
        version = session.scalars(
            select(QuestionnaireVersion).where(QuestionnaireVersion.survey_id == survey.id)
        ).one()
        assert version.source_name == "small.xlsx"
        assert version.source.startswith("# Converted from the XLSForm small.xlsx")
        assert yaml.safe_load(version.source)["consent"]["version"] == "3"
    again = run(app, "load", str(form))
    assert "small: unchanged (version 1)" in again.stdout


def test_load_refuses_an_xlsform_with_rows_it_cannot_carry_over(app):
    result = run(app, "load", str(BIOMASS))
    assert result.exit_code == 1
    assert "row 32, name 'trees', type 'begin repeat': repeats are not supported" in result.stderr
    assert "Traceback" not in result.output


def test_validate_an_xlsform(app, tmp_path):
    result = run(app, "validate", str(small_form(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "small.xlsx: ok (1 section, 2 questions)" in result.stdout


def test_validate_and_load_name_the_rows_of_an_xlsform_the_checks_refuse(app, tmp_path):
    form = gaps(tmp_path)
    for command in ("validate", "load"):
        result = run(app, command, str(form))
        assert result.exit_code == 1, result.output
        problems = [line for line in result.stderr.splitlines() if ": note: " not in line]
        assert len(problems) == 7, problems
        assert (
            f"{form}: choices sheet, row 3 (list: yn, name: no): label: "
            "text missing in language 'fr'"
        ) in problems
        assert all(line.startswith(f"{form}: ") for line in problems)
        assert "converted to YAML" not in result.output
        assert "Traceback" not in result.output


def test_load_a_real_xlsform(app):
    """Needs the question types and keys FORMAT.md describes (note, geopoint, cascades)."""
    result = run(app, "load", str(MALI))
    assert result.exit_code == 0, result.output
    assert "mali-health: new survey, version 1" in result.stdout


def test_convert_counts_one_section_and_one_question_in_the_singular(app, tmp_path):
    form = xlsform(
        tmp_path / "one.xlsx",
        [{"type": "integer", "name": "age", "label": "Age?"}],
        [],
        {"form_title": "One", "form_id": "one"},
    )
    target = tmp_path / "one.yaml"
    result = run(app, "convert", str(form), str(target))
    assert result.exit_code == 0, result.output
    assert f"{target}: written (1 section, 1 question)" in result.stdout
    assert run(app, "validate", str(target)).stdout == f"{target}: ok (1 section, 1 question)\n"
