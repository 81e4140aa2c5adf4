"""`survey backup PATH`: a consistent copy of the database, readable on its own."""

from __future__ import annotations

import shutil
import sqlite3
import stat
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from tests import console
from tests.ports import free_port
from tests.respondent import MEMBER_ANSWERS, Respondent

# A backup reads the database through a connection of its own (SQLite's backup API, pg_dump):
# what the test writes is really committed (tests/conftest.py, `app`).
pytestmark = pytest.mark.usefixtures("real_commits")


def backup(app, *args: str):
    return app.test_cli_runner().invoke(args=["backup", *args])


def assert_holds(app, path: Path, table: str, column: str, value: str) -> None:
    """The copy, read back with the database's own tools, holds `value` in `table`."""
    engine = app.extensions["survey_db"].engine
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(path) as copy:
            rows = copy.execute(f"SELECT {column} FROM {table}").fetchall()
        copy.close()
        assert (value,) in rows
    else:
        pg_restore = shutil.which("pg_restore")
        if pg_restore is None:
            pytest.fail("pg_restore is needed to read a PostgreSQL backup back")
        listing = subprocess.run(
            [pg_restore, "--list", str(path)], capture_output=True, text=True, check=True
        ).stdout
        assert f"TABLE DATA public {table}" in listing


def test_backup_copies_the_database_while_it_serves(app, client, tmp_path):
    person = Respondent(client)
    person.start()
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    target = tmp_path / "copy.backup"
    result = backup(app, str(target))
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    assert_holds(app, target, "answers", "question_id", "age")
    # An existing file is never overwritten.
    again = backup(app, str(target))
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_backups_in_a_folder_are_named_by_time_and_the_oldest_rotated_away(app, clock, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    engine = app.extensions["survey_db"].engine
    extension = ".db" if engine.dialect.name == "sqlite" else ".dump"
    # Files the command did not make stay, whatever they look like.
    others = ["notes.txt", "survey.db", f"survey-latest{extension}", f"before-{extension}"]
    for name in others:
        (folder / name).write_text("not a backup of this command")

    made = []
    for day in range(4):
        clock.now += timedelta(days=1, seconds=day)
        result = backup(app, str(folder), "--keep", "2")
        assert result.exit_code == 0, result.output
        made.append(f"survey-{clock.now:%Y%m%dT%H%M%SZ}{extension}")
        assert f"backup written to {folder / made[-1]}" in result.output

    assert made[0] == f"survey-20270116T120000Z{extension}"
    assert sorted(path.name for path in folder.iterdir()) == sorted([*others, *made[-2:]])
    assert f"removed old backup {folder / made[1]}" in result.output
    for name in made[-2:]:
        # Readable by the platform's own user only: it holds every answer.
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
        assert_holds(app, folder / name, "surveys", "slug", "we-own-it")


def test_a_backup_in_a_folder_without_keep_deletes_nothing(app, clock, tmp_path):
    for _ in range(3):
        clock.now += timedelta(hours=1)
        assert backup(app, str(tmp_path)).exit_code == 0
    assert len(list(tmp_path.glob("survey-*Z.*"))) == 3


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (
            ["{tmp}/copy.db", "--keep", "3"],
            "--keep needs PATH to be an existing folder, not {tmp}/copy.db",
        ),
        (["{tmp}", "--keep", "0"], "--keep must be at least 1"),
        (["{tmp}/missing/"], "folder {tmp}/missing does not exist"),
        (["{tmp}/missing/copy.db"], "folder {tmp}/missing does not exist"),
        ([""], "PATH is empty: give a new file or an existing folder"),
        (["  "], "PATH is empty: give a new file or an existing folder"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(app, tmp_path, arguments, reason):
    result = backup(app, *(argument.format(tmp=tmp_path) for argument in arguments))
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {reason.format(tmp=tmp_path)}"
    assert list(tmp_path.iterdir()) == []


def test_a_backup_in_the_same_second_is_refused_and_keeps_the_first(app, tmp_path):
    assert backup(app, str(tmp_path), "--keep", "1").exit_code == 0
    (first,) = tmp_path.iterdir()
    again = backup(app, str(tmp_path), "--keep", "1")
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert list(tmp_path.iterdir()) == [first]


@pytest.mark.one_database
def test_a_postgresql_server_that_does_not_answer_is_said_in_one_whole_line(tmp_path):
    """pg_dump writes its error over two lines (what failed, then a hint): both, on one."""
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is needed (Debian package postgresql-client)")
    env = console.environment(tmp_path)
    env["SURVEY_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/survey"
    result = console.run("backup", str(tmp_path / "copy.dump"), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith('Error: connection to server at "127.0.0.1", port ')
    assert "failed: Connection refused Is the server running on that host" in result.stderr
    assert not (tmp_path / "copy.dump").exists()
