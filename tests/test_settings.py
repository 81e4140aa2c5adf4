"""The settings read from the environment: an address the app cannot use is one line at the
start of any command, never a traceback from deep inside the database library."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.settings import Settings, SettingsError
from tests.console import environment, run


def database_url(value: str, tmp_path: Path) -> str:
    return Settings.from_environment({"SURVEY_DATABASE_URL": value}, tmp_path).database_url


@pytest.mark.parametrize(
    "given",
    [
        "postgres://survey:s3cret@db.example.org:5433/survey",
        "postgresql://survey:s3cret@db.example.org:5433/survey",
        "postgresql+psycopg://survey:s3cret@db.example.org:5433/survey",
    ],
)
def test_postgresql_addresses_in_any_usual_spelling_use_psycopg(given, tmp_path):
    """libpq's own spellings, as hosting services hand them out, reach PostgreSQL through the
    driver the platform installs, the password kept."""
    assert database_url(given, tmp_path) == (
        "postgresql+psycopg://survey:s3cret@db.example.org:5433/survey"
    )


def test_without_an_address_the_database_is_sqlite_in_the_instance_folder(tmp_path):
    assert database_url("", tmp_path) == f"sqlite:///{tmp_path / 'survey.db'}"
    assert database_url("sqlite:////srv/survey.db", tmp_path) == "sqlite:////srv/survey.db"


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("notaurl", "is not a database address"),
        ("mysql://survey@db.example.org/survey", "'mysql'"),
        ("postgresql+psycopg2://survey@db.example.org/survey", "'psycopg2'"),
    ],
)
def test_an_address_the_platform_cannot_use_is_refused_with_its_reason(given, reason, tmp_path):
    with pytest.raises(SettingsError, match=reason):
        database_url(given, tmp_path)


def test_a_command_given_a_malformed_address_says_so_in_one_line(tmp_path):
    env = {**environment(tmp_path), "SURVEY_DATABASE_URL": "notaurl"}
    result = run("init", env=env, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == (
        "Error: SURVEY_DATABASE_URL is not a database address: use sqlite:///PATH or "
        "postgresql+psycopg://USER@HOST:PORT/DATABASE"
    )
    assert result.stdout == ""
