"""`survey export` as an admin types it: every installed format, the default folder, the audit
log, bad input (exit 1, one line), and personal data only when asked for."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from survey.export import formats
from survey.models import AuditEvent
from tests.respondent import MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS, Respondent

SLUG = "we-own-it"
INSTALLED = [item.name for item in formats.installed()]
# /proc takes no new file, even from root: a place that cannot be written, wherever tests run.
NEEDS_PROC = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["export", *args])


def exports_folder(app) -> Path:
    return app.config["SURVEY_SETTINGS"].exports_path


def complete(app, answers=MEMBER_ANSWERS) -> Respondent:
    person = Respondent(app.test_client())
    assert person.start().status_code == 302
    person.answer_all(answers)
    assert person.submit().status_code == 302
    return person


def partial(app) -> Respondent:
    person = Respondent(app.test_client())
    assert person.start().status_code == 302
    assert person.save("about_you", MEMBER_ANSWERS["about_you"]).status_code == 302
    return person


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def export_events(app) -> list[AuditEvent]:
    with app.extensions["survey_db"].reading() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
            )
        )


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("fmt", INSTALLED)
def test_each_installed_format_is_written_to_output_and_its_path_printed(app, tmp_path, fmt):
    complete(app)
    target = tmp_path / f"answers.{formats.get(fmt).extension}"
    result = run(app, SLUG, "--format", fmt, "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(target)
    assert target.is_file() and target.stat().st_size > 0
    assert not list(tmp_path.glob(".*.part")), "no temporary file is left behind"
    if fmt.startswith("csv"):
        rows = read_csv(target)
        assert len(rows) == 1
        assert rows[0]["country"] == "AR"


def test_default_folder_and_names_made_from_slug_time_and_format(app, clock):
    complete(app)
    first = run(app, SLUG, "--format", "csv")
    second = run(app, SLUG, "--format", "csv")  # the same second by the test clock
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    paths = [Path(first.output.strip()), Path(second.output.strip())]
    assert paths[0] != paths[1], "two exports never share a file"
    for path in paths:
        assert path.parent == exports_folder(app)
        assert path.is_file()
        assert re.fullmatch(r"we-own-it_\d{8}T\d{6}Z(-\d+)?\.csv", path.name), path.name
    assert paths[0].name == f"we-own-it_{clock.now:%Y%m%dT%H%M%SZ}.csv"
    assert len(read_csv(paths[1])) == 1


def test_output_folder_gets_a_new_file_in_it(app, tmp_path):
    complete(app)
    result = run(app, SLUG, "--format", "csv-excel", "--output", str(tmp_path))
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path.parent == tmp_path
    assert path.name.endswith("_excel.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_output_folder_with_a_trailing_slash_gets_a_new_file_in_it(app, tmp_path):
    complete(app)
    result = run(app, SLUG, "--format", "csv", "--output", f"{tmp_path}/")
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path.parent == tmp_path
    assert re.fullmatch(r"we-own-it_\d{8}T\d{6}Z\.csv", path.name), path.name
    assert len(read_csv(path)) == 1


def test_output_with_a_trailing_slash_is_a_folder_that_must_exist(app, tmp_path):
    """A trailing slash says "a folder": one that does not exist is refused, as a file's
    missing folder is, rather than written as a file of that name."""
    complete(app)
    missing = tmp_path / "newdir"
    result = run(app, SLUG, "--format", "csv", "--output", f"{missing}/")
    assert f"folder {str(missing)!r} does not exist" in one_line_error(result)
    assert not missing.exists()
    assert list(tmp_path.iterdir()) == []

    taken = tmp_path / "taken.csv"
    taken.write_text("kept")
    result = run(app, SLUG, "--format", "csv", "--output", f"{taken}/")
    assert f"{str(taken)!r} is not a folder" in one_line_error(result)
    assert taken.read_text() == "kept"
    assert export_events(app) == []


@pytest.mark.parametrize("given", ["study.zip", "folder"])
def test_study_package_names_its_csv_after_the_file_written(app, tmp_path, given):
    """Never after the temporary file the package is written to before it is moved into place."""
    complete(app)
    complete(app, NOT_INVOLVED_ANSWERS)
    folder = tmp_path / "d"
    folder.mkdir()
    output = folder if given == "folder" else folder / given
    result = run(app, SLUG, "--format", "zip", "--output", str(output))
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path.parent == folder
    if given != "folder":
        assert path.name == "study.zip"
    data_file = f"{path.stem}.csv"
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted([data_file, "codebook.csv", "README.txt"])
        readme = archive.read("README.txt").decode("utf-8")
        with archive.open(data_file) as handle:
            responses = pd.read_csv(handle, dtype=str, keep_default_na=False)
    assert f"  {data_file}  one row per response" in readme
    assert ".part" not in readme
    assert len(responses) == 2
    assert sorted(responses["country"]) == ["AR", "KE"]
    assert [entry.name for entry in folder.iterdir()] == [path.name], "nothing else is left"


def test_filters_partial_and_labels(app, tmp_path):
    complete(app)
    complete(app, NOT_INVOLVED_ANSWERS)
    partial(app)
    target = tmp_path / "all.csv"
    assert run(app, SLUG, "--format", "csv", "--output", str(target)).exit_code == 0
    assert len(read_csv(target)) == 2
    result = run(
        app, SLUG, "--format", "csv", "--output", str(target), "--include-partial", "--labels"
    )
    assert result.exit_code == 0, result.output
    rows = read_csv(target)
    assert len(rows) == 3
    assert {row["country"] for row in rows} == {"Argentina", "Kenya"}
    assert (
        run(app, SLUG, "--format", "csv", "--output", str(target), "--country", "ke").exit_code == 0
    )
    assert [row["country"] for row in read_csv(target)] == ["KE"]
    later = run(
        app, SLUG, "--format", "csv", "--output", str(target), "--since", "2027-02-01T00:00"
    )
    assert later.exit_code == 0, later.output
    assert read_csv(target) == []


def test_every_export_is_in_the_audit_log_with_its_options(app, tmp_path, clock):
    complete(app)
    target = tmp_path / "a.csv"
    result = run(
        app,
        SLUG,
        "--format",
        "csv",
        "--output",
        str(target),
        "--labels",
        "--include-partial",
        "--since",
        "2027-01-01T00:00",
        "--channel",
        "newsletter",
    )
    assert result.exit_code == 0, result.output
    [event] = export_events(app)
    assert event.actor == "command line"
    assert event.actor_id is None
    assert event.at == clock.now
    assert event.target == f"survey:{SLUG}"
    options = event.after["options"]
    assert options["format"] == "csv"
    assert options["labels"] is True
    assert options["include_partial"] is True
    assert options["include_screened_out"] is False
    assert options["channel"] == "newsletter"
    assert options["with_personal_data"] is False
    # Read in the survey's zone (Europe/Brussels, UTC+1 in January), stored in UTC.
    assert options["since"] == "2026-12-31T23:00:00+00:00"
    assert event.after["file"] == "a.csv"


def test_personal_data_only_with_the_flag_and_logged(app, tmp_path):
    complete(app)
    without = tmp_path / "without.csv"
    assert run(app, SLUG, "--format", "csv", "--output", str(without)).exit_code == 0
    assert "email" not in read_csv(without)[0]
    assert "ana@example.org" not in without.read_text(encoding="utf-8")

    with_email = tmp_path / "with.csv"
    result = run(app, SLUG, "--format", "csv", "--output", str(with_email), "--with-personal-data")
    assert result.exit_code == 0, result.output
    assert read_csv(with_email)[0]["email"] == "ana@example.org"
    flags = [event.after["options"]["with_personal_data"] for event in export_events(app)]
    assert flags == [False, True]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["no-such-survey", "--format", "csv"], "no survey 'no-such-survey'"),
        ([SLUG, "--format", "docx"], "format 'docx' is not one of"),
        ([SLUG], "choose a format"),
        ([SLUG, "--format", "csv", "--language", "xx"], "language 'xx'"),
        ([SLUG, "--format", "csv", "--since", "yesterday"], "--since"),
        ([SLUG, "--format", "csv", "--country", "ARG"], "not a country's two-letter code"),
        ([SLUG, "--format", "csv", "--country", "ZZ"], "'ZZ' is not a country's two-letter code"),
        ([SLUG, "--format", "csv", "--channel", "bad tag!"], "'bad tag!' is not a channel tag"),
        ([SLUG, "--format", "csv", "--output", "/nonexistent/folder/a.csv"], "does not exist"),
    ],
)
def test_bad_input_exits_1_with_one_line_and_writes_nothing(app, args, reason):
    complete(app)
    result = run(app, *args)
    assert reason in one_line_error(result)
    folder = exports_folder(app)
    assert not folder.exists() or not list(folder.iterdir())
    assert export_events(app) == []


@NEEDS_PROC
@pytest.mark.parametrize("fmt", INSTALLED)
def test_a_place_that_cannot_be_written_is_named_as_given(app, fmt):
    """One line naming the file asked for, never the temporary file the export is first
    written to, whichever library writes the format."""
    complete(app)
    target = f"/proc/x.{formats.get(fmt).extension}"
    line = one_line_error(run(app, SLUG, "--format", fmt, "--output", target))
    assert f"cannot write {target!r}" in line
    assert ".part" not in line


@NEEDS_PROC
def test_a_folder_that_cannot_be_written_is_named(app):
    complete(app)
    line = one_line_error(run(app, SLUG, "--format", "csv", "--output", "/proc/"))
    assert "cannot write '/proc/we-own-it_" in line


def test_no_progress_bar_when_not_on_a_terminal(app, tmp_path):
    complete(app)
    result = run(app, SLUG, "--format", "csv", "--output", str(tmp_path / "x.csv"))
    assert result.exit_code == 0
    assert result.output == f"{tmp_path / 'x.csv'}\n"


def test_flagged_responses_left_out_with_the_flag(app, tmp_path):
    from tests.export.test_quality_flags import KNOWN, PLAIN, add_known

    add_known(app)
    target = tmp_path / "kept.csv"
    everyone = run(app, SLUG, "--format", "csv", "--output", str(target), "--include-partial")
    assert everyone.exit_code == 0, everyone.output
    assert len(read_csv(target)) == PLAIN + len(KNOWN)

    kept = run(
        app,
        SLUG,
        "--format",
        "csv",
        "--output",
        str(target),
        "--include-partial",
        "--leave-out-flagged",
    )

    assert kept.exit_code == 0, kept.output
    rows = read_csv(target)
    assert len(rows) == PLAIN + 2
    assert {(row["flag_speeder"], row["flag_straightlining"]) for row in rows} == {("0", "0")}
