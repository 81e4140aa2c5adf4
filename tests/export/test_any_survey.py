"""Exports know nothing of one survey: the country filter reads the question a questionnaire
names (`analysis: country`, or its first country question), and the missing-value codes the
files declare and describe are the questionnaire's own (here 98 and 99, not 9)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pyreadstat
import pytest
from flask import Flask
from sqlalchemy import select

from survey.export import build, worker
from survey.export.model import Export, ExportError
from survey.export.source import ExportOptions
from survey.models import Answer, ExportJob, SurveyResponse
from survey.questionnaire_store import find_survey, latest_version, load_questionnaire
from tests.admin.console import signed_in_client, text_of
from tests.export.conftest import fake_export, text_column
from tests.staff import post_form

EXPORTED_AT = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
SLUG = "elsewhere"
QUESTIONNAIRE = """
slug: elsewhere
languages: [en]
title: {en: Somewhere else}
intro: {en: A small survey.}
schedule: {opens_at: null, closes_at: null, timezone: UTC, grace_minutes: 0}
consent: {version: "1", label: {en: I agree}}
%(analysis)s
sections:
  - id: place
    title: {en: Where}
    questions:
      - id: where_live
        type: %(country_type)s
        label: {en: Where do you live?}
      - id: born_in
        type: country
        label: {en: Where were you born?}
      - id: trust
        type: matrix
        label: {en: How much do you trust}
        rows:
          - {code: neighbours, label: {en: your neighbours}}
          - {code: council, label: {en: the council}}
        scale:
          - {code: 1, label: {en: Not at all}}
          - {code: 2, label: {en: Completely}}
          - {code: 98, label: {en: No answer}, missing: true}
          - {code: 99, label: {en: Cannot say}, missing: true}
"""
# (where_live, born_in, trust) of each response
ANSWERS = [
    ("AR", "KE", {"neighbours": 1, "council": 99}),
    ("KE", "AR", {"neighbours": 98, "council": 2}),
    ("KE", "KE", {"neighbours": 2, "council": 1}),
]


def _load(app: Flask, tmp_path: Path, *, analysis: str, country_type: str = "country") -> None:
    """The questionnaire, and ANSWERS as three complete responses."""
    text = QUESTIONNAIRE % {"analysis": analysis, "country_type": country_type}
    if country_type != "country":
        text = text.replace("        type: country\n", f"        type: {country_type}\n")
    path = tmp_path / f"{SLUG}.yaml"
    path.write_text(text, encoding="utf-8")
    db = app.extensions["survey_db"]
    with db.writing() as session:
        load_questionnaire(session, path)
        survey = find_survey(session, SLUG)
        version = latest_version(session, survey)
        started = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
        for number, (where_live, born_in, trust) in enumerate(ANSWERS):
            response_id = f"r{number}".ljust(32, "0")
            session.add(
                SurveyResponse(
                    id=response_id,
                    survey_id=survey.id,
                    questionnaire_version_id=version.id,
                    resume_code_hash=response_id,
                    status="complete",
                    language="en",
                    consent_version="1",
                    started_at=started + timedelta(hours=number),
                    submitted_at=started + timedelta(hours=number, minutes=5),
                )
            )
            session.flush()
            for question_id, value in (
                ("where_live", where_live),
                ("born_in", born_in),
                ("trust", trust),
            ):
                session.add(
                    Answer(
                        response_id=response_id,
                        question_id=question_id,
                        section_id="place",
                        value=value,
                    )
                )


@pytest.fixture
def elsewhere(app: Flask, tmp_path: Path) -> Flask:
    """A survey whose country question is `where_live`, named in `analysis: country`; another
    country question (born_in) follows it."""
    _load(app, tmp_path, analysis="analysis: {country: where_live}")
    return app


@pytest.fixture
def nowhere(app: Flask, tmp_path: Path) -> Flask:
    """A survey with no country question at all (where_live is a text question)."""
    _load(app, tmp_path, analysis="", country_type="text")
    return app


def export_of(app: Flask, tmp_path: Path, fmt: str, **options) -> tuple[Export, Path]:
    with app.extensions["survey_db"].reading() as session:
        survey = find_survey(session, SLUG)
        export = build.prepare(
            session, survey, ExportOptions(format=fmt, **options), now=EXPORTED_AT
        )
        path = tmp_path / build.file_name(SLUG, fmt, EXPORTED_AT)
        build.write(export, path)
    return export, path


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


# -- the country filter ------------------------------------------------------------------------


def test_the_country_filter_reads_the_declared_country_question(elsewhere, tmp_path):
    _, path = export_of(elsewhere, tmp_path, "csv", country="ke")
    assert [row["where_live"] for row in csv_rows(path)] == ["KE", "KE"]
    _, path = export_of(elsewhere, tmp_path, "csv", country="AR")
    assert [(row["where_live"], row["born_in"]) for row in csv_rows(path)] == [("AR", "KE")]


def test_without_analysis_the_first_country_question_is_the_country(app, tmp_path):
    _load(app, tmp_path, analysis="")
    export, path = export_of(app, tmp_path, "csv", country="AR")
    assert [row["where_live"] for row in csv_rows(path)] == ["AR"]
    assert ("country filter reads the question", "where_live") in export.about()


def test_analysis_may_name_another_country_question(app, tmp_path):
    """`analysis: country` names born_in: where_live (the first country question) is not read."""
    _load(app, tmp_path, analysis="analysis: {country: born_in}")
    _, path = export_of(app, tmp_path, "csv", country="AR")
    assert [row["born_in"] for row in csv_rows(path)] == ["AR"]


def test_the_country_filter_is_refused_without_a_country_question(nowhere, tmp_path):
    with pytest.raises(ExportError, match="no country question"):
        export_of(nowhere, tmp_path, "csv", country="AR")
    _, path = export_of(nowhere, tmp_path, "csv")
    assert len(csv_rows(path)) == 3


def test_the_command_line_filters_by_the_declared_question(elsewhere, tmp_path):
    target = tmp_path / "out.csv"
    args = ["export", SLUG, "--format", "csv", "--output", str(target), "--country", "ke"]
    result = elsewhere.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert [row["where_live"] for row in csv_rows(target)] == ["KE", "KE"]


def test_the_command_line_refuses_the_country_filter_with_its_reason(nowhere, tmp_path):
    target = tmp_path / "out.csv"
    args = ["export", SLUG, "--format", "csv", "--output", str(target), "--country", "AR"]
    result = nowhere.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert "has no country question" in result.output
    assert not target.exists()


def _finished_job(app: Flask, client, fields: dict[str, str]) -> ExportJob:
    """Post the export form; an export worker (survey.export.worker) takes the job and runs
    it, here in the test's own thread."""
    page = f"/admin/surveys/{SLUG}/exports"
    answer = post_form(
        client, page, {"format": "csv", "values": "codes", "language": "en", **fields}
    )
    assert answer.status_code == 303, text_of(answer)
    assert worker.run_next(app.extensions["survey_db"]) == "done"
    with app.extensions["survey_db"].reading() as session:
        [job] = session.scalars(select(ExportJob))
    return job


def _downloaded(client, job: ExportJob) -> list[dict[str, str]]:
    answer = client.get(f"/admin/exports/{job.id}/download")
    try:
        assert answer.status_code == 200
        return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    finally:
        answer.close()


def test_the_exports_page_filters_by_the_declared_question(elsewhere, make_user):
    client = signed_in_client(elsewhere, *make_user("researcher", "r@example.org"))
    assert 'name="country"' in text_of(client.get(f"/admin/surveys/{SLUG}/exports"))
    job = _finished_job(elsewhere, client, {"country": "ke"})
    assert job.options["country"] == "KE"
    assert [row["where_live"] for row in _downloaded(client, job)] == ["KE", "KE"]


def test_the_exports_page_offers_no_country_filter_without_a_country_question(nowhere, make_user):
    client = signed_in_client(nowhere, *make_user("admin", "a@example.org"))
    assert 'name="country"' not in text_of(client.get(f"/admin/surveys/{SLUG}/exports"))
    assert 'name="country"' in text_of(client.get("/admin/surveys/we-own-it/exports"))
    # Not on the form: a forged value is not read, and the export has no country filter.
    job = _finished_job(nowhere, client, {"country": "AR"})
    assert job.options["country"] is None
    assert len(_downloaded(client, job)) == 3


# -- missing-value codes -----------------------------------------------------------------------


def test_the_about_sheet_names_the_questionnaires_own_missing_codes(elsewhere, tmp_path):
    export, path = export_of(elsewhere, tmp_path, "xlsx")
    about = dict(
        (row[0].value, row[1].value) for row in openpyxl.load_workbook(path)["about"].iter_rows()
    )
    assert about["missing-value code 98"] == (
        "No answer (in trust; declared as missing in SPSS and Stata)"
    )
    assert about["missing-value code 99"] == (
        "Cannot say (in trust; declared as missing in SPSS and Stata)"
    )
    assert about["missing-value code 98 in Stata (.dta)"].startswith(
        "written as the extended missing value .a"
    )
    assert about["missing-value code 99 in Stata (.dta)"].startswith(
        "written as the extended missing value .b"
    )
    assert {key for key in about if key.startswith("missing-value code")} == {
        "missing-value code 98",
        "missing-value code 99",
        "missing-value code 98 in Stata (.dta)",
        "missing-value code 99 in Stata (.dta)",
    }
    assert "I don't know" not in json.dumps(about)


def test_the_study_package_readme_names_the_missing_codes(elsewhere, tmp_path):
    _, path = export_of(elsewhere, tmp_path, "zip")
    with zipfile.ZipFile(path) as archive:
        readme = archive.read("README.txt").decode("utf-8")
    assert "missing-value code 99: Cannot say (in trust;" in readme
    assert "missing-value code 98: No answer (in trust;" in readme
    assert "I don't know" not in readme


def test_spss_and_stata_declare_the_questionnaires_missing_codes(elsewhere, tmp_path):
    _, sav = export_of(elsewhere, tmp_path, "sav")
    frame, meta = pyreadstat.read_sav(str(sav), user_missing=True)
    assert meta.missing_ranges["trust__council"] == [
        {"lo": 98.0, "hi": 98.0},
        {"lo": 99.0, "hi": 99.0},
    ]
    assert frame["trust__council"].tolist() == [99.0, 2.0, 1.0]
    assert any("missing-value code 99: Cannot say" in note for note in meta.notes)

    _, dta = export_of(elsewhere, tmp_path, "dta")
    frame, meta = pyreadstat.read_dta(str(dta), user_missing=True)
    assert frame["trust__council"].tolist() == ["b", 2.0, 1.0]
    assert frame["trust__neighbours"].tolist() == [1.0, "a", 2.0]
    assert meta.variable_value_labels["trust__council"]["b"] == "Cannot say"
    assert meta.variable_value_labels["trust__neighbours"]["a"] == "No answer"
    assert meta.file_label == "elsewhere responses; missing: 98 is .a, 99 is .b"


def test_parquet_metadata_describes_the_missing_codes(elsewhere, tmp_path):
    _, path = export_of(elsewhere, tmp_path, "parquet")
    about = dict(json.loads(pq.read_schema(path).metadata[b"survey.about"]))
    assert about["missing-value code 99"].startswith("Cannot say")


def test_an_export_without_missing_codes_says_so():
    export = fake_export([text_column("response_id"), text_column("note")], [["r1", "x"]])
    about = dict(export.about())
    assert about["missing-value codes"] == "none in this export"
    assert not [key for key in about if key.startswith("missing-value code ")]
