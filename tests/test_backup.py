"""`survey backup PATH`: a consistent copy of the database, readable on its own."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest

from tests.respondent import MEMBER_ANSWERS, Respondent


def test_backup_copies_the_database_while_it_serves(app, client, tmp_path):
    person = Respondent(client)
    person.start()
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    target = tmp_path / "copy.backup"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    engine = app.extensions["survey_db"].engine
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(target) as copy:
            answers = copy.execute("SELECT question_id FROM answers").fetchall()
        copy.close()
        assert ("age",) in answers
    else:
        pg_restore = shutil.which("pg_restore")
        if pg_restore is None:
            pytest.fail("pg_restore is needed to read a PostgreSQL backup back")
        listing = subprocess.run(
            [pg_restore, "--list", str(target)], capture_output=True, text=True, check=True
        ).stdout
        assert "TABLE DATA public answers" in listing
    # An existing file is never overwritten.
    again = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert again.exit_code == 1
    assert "already exists" in again.output
