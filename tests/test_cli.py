"""`survey questionnaire validate | load | list` as an admin types them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from survey.models import QuestionnaireVersion, Survey, SurveyResponse
from tests.conftest import AGE_LABEL, AGE_RELABELLED, WE_OWN_IT
from tests.respondent import MEMBER_ANSWERS, Respondent


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["questionnaire", *args])


def edited_copy(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    source = WE_OWN_IT.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in source, old
        source = source.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return path


RELABELLED = (AGE_LABEL, AGE_RELABELLED)


def survey_row(app) -> Survey:
    with app.extensions["survey_db"].reading() as session:
        return session.scalars(select(Survey)).one()


def versions(app) -> list[int]:
    with app.extensions["survey_db"].reading() as session:
        return list(
            session.scalars(
                select(QuestionnaireVersion.version).order_by(QuestionnaireVersion.version)
            )
        )


# -- validate ----------------------------------------------------------------------------------


def test_validate_the_shipped_questionnaire(app):
    result = run(app, "validate", str(WE_OWN_IT))
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_validate_reports_one_line_per_problem_with_file_and_place(app, tmp_path):
    broken = edited_copy(
        tmp_path,
        "broken.yaml",
        ("relevant: \"federation == 'yes'\"", "relevant: \"federaton == 'yes'\""),
        ("type: long_text", "type: essay"),
    )
    result = run(app, "validate", str(broken))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    condition = next(line for line in lines if "federaton" in line)
    kind = next(line for line in lines if "essay" in line)
    for line, place in ((condition, "questions[7].relevant"), (kind, "questions[2].type")):
        assert line.startswith(f"{broken}:"), line
        assert place in line, line
    assert "Traceback" not in result.output


def test_validate_a_missing_file_is_one_line_without_traceback(app, tmp_path):
    missing = tmp_path / "missing.yaml"
    result = run(app, "validate", str(missing))
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert str(missing) in lines[0]
    assert "Traceback" not in result.output


# -- load --------------------------------------------------------------------------------------


def test_load_a_broken_file_stores_nothing(app, tmp_path):
    broken = edited_copy(tmp_path, "we-own-it.yaml", RELABELLED, ("type: long_text", "type: essay"))
    result = run(app, "load", str(broken))
    assert result.exit_code == 1
    assert "essay" in result.stderr
    assert versions(app) == [1]


def test_load_a_missing_file_exits_1_with_one_line(app, tmp_path):
    # Product spec: "exit 1 with a one-line reason on bad input".
    missing = tmp_path / "missing.yaml"
    result = run(app, "load", str(missing))
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0], lines


def test_loading_the_same_file_again_changes_nothing(app):
    result = run(app, "load", str(WE_OWN_IT))
    assert result.exit_code == 0, result.output
    assert "unchanged" in result.output
    assert versions(app) == [1]


def test_a_changed_file_is_a_new_version_and_started_responses_keep_theirs(app, tmp_path):
    early = Respondent(app.test_client())
    early.start()
    early.save("about_you", MEMBER_ANSWERS["about_you"])  # stored: it keeps its version
    result = run(app, "load", str(edited_copy(tmp_path, "we-own-it.yaml", RELABELLED)))
    assert result.exit_code == 0, result.output
    assert "version 2" in result.output
    assert versions(app) == [1, 2]

    late = Respondent(app.test_client())
    late.start()
    late.save("about_you", MEMBER_ANSWERS["about_you"])
    with app.extensions["survey_db"].reading() as session:
        numbers = session.execute(
            select(SurveyResponse.started_at, QuestionnaireVersion.version).join(
                QuestionnaireVersion
            )
        ).all()
    assert sorted(version for _started, version in numbers) == [1, 2]
    assert "How old are you?" in early.get("/s/we-own-it/p/about_you").get_data(as_text=True)
    assert "What is your age?" in late.get("/s/we-own-it/p/about_you").get_data(as_text=True)


def test_loading_never_overwrites_a_schedule_set_by_an_admin(app, tmp_path):
    admin_close = datetime(2027, 7, 1, 10, 0, tzinfo=UTC)
    with app.extensions["survey_db"].writing() as session:
        survey = session.scalars(select(Survey)).one()
        survey.closes_at = admin_close
        survey.grace_minutes = 15
        survey.schedule_set_by_admin = True
    changed = edited_copy(
        tmp_path,
        "we-own-it.yaml",
        RELABELLED,
        ('closes_at: "2027-05-26T00:00"', 'closes_at: "2027-06-30T00:00"'),
        ("grace_minutes: 60", "grace_minutes: 30"),
    )
    result = run(app, "load", str(changed))
    assert result.exit_code == 0, result.output
    assert versions(app) == [1, 2]
    survey = survey_row(app)
    assert survey.closes_at == admin_close
    assert survey.grace_minutes == 15


# -- list --------------------------------------------------------------------------------------


def test_list_shows_slug_version_and_state(app, tmp_path):
    result = run(app, "list")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("we-own-it"))
    assert row.split()[:3] == ["we-own-it", "1", "open"]

    run(app, "load", str(edited_copy(tmp_path, "we-own-it.yaml", RELABELLED)))
    row = next(
        line for line in run(app, "list").output.splitlines() if line.startswith("we-own-it")
    )
    assert row.split()[:3] == ["we-own-it", "2", "open"]
