"""The `survey` command line (also `flask --app survey ...`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from survey.catalog import (
    all_surveys,
    latest_version,
    load_questionnaire,
    questionnaire_files,
    schedule_of,
)
from survey.questionnaire.schema import QuestionnaireError, load_file
from survey.schedule import state_at, to_local
from survey.settings import PROJECT_ROOT, Settings, SettingsError


def register_commands(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(questionnaire_group)


def _db() -> Any:
    return current_app.extensions["survey_db"]


def _settings() -> Settings:
    return current_app.config["SURVEY_SETTINGS"]  # type: ignore[no-any-return]


def alembic_config(connection: Any = None) -> AlembicConfig:
    """Alembic set up to run this project's migrations (on `connection` if given)."""
    config = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(app: Flask) -> None:
    """Bring the database to the newest migration."""
    engine = app.extensions["survey_db"].engine
    with engine.begin() as connection:
        alembic_command.upgrade(alembic_config(connection), "head")


def _load_files(paths: list[Path]) -> None:
    problems: list[str] = []
    results = []
    for path in paths:
        try:
            with _db().writing() as session:
                results.append(load_questionnaire(session, path))
        except QuestionnaireError as error:
            problems.extend(error.problems)
    for result in results:
        click.echo(result.describe())
    if problems:
        for line in problems:
            click.echo(line, err=True)
        raise click.exceptions.Exit(1)


def _database_errors(function: Any) -> Any:
    """Turn database failures into a one-line reason and exit 1, never a traceback."""
    import functools

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise click.ClickException(
                f"the database cannot be used ({reason}); check SURVEY_DATABASE_URL "
                "and run `survey init`"
            ) from None
        except SQLAlchemyError as error:
            raise click.ClickException(f"database error: {error.__class__.__name__}") from None

    return wrapper


@click.command("init")
@with_appcontext
@_database_errors
def init_command() -> None:
    """Migrate the database to the newest schema and load every questionnaire."""
    migrate(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo("database is at the newest migration")
    folder = _settings().questionnaires_path
    files = questionnaire_files(folder)
    if not files:
        click.echo(f"no questionnaire files in {folder}")
        return
    _load_files(files)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=lambda: min(4, 2 * (os.cpu_count() or 1)),
    type=click.IntRange(1, 64),
    help="Worker processes (default: 2 per core, at most 4).",
)
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the app with gunicorn, a production WSGI server."""
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)
            self.cfg.set("timeout", 60)
            self.cfg.set("accesslog", "-")
            # Keep IP addresses out of the access log: respondents' IPs are not stored.
            self.cfg.set("access_log_format", '"%(r)s" %(s)s %(b)s %(L)ss')
            self.cfg.set("limit_request_line", 8190)

        def load(self) -> Any:
            from survey import create_app

            return create_app()

    click.echo(f"serving on http://{host}:{port} with {workers} workers")
    _Server().run()


@click.group("questionnaire")
def questionnaire_group() -> None:
    """Check, load and list questionnaire files."""


@questionnaire_group.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def validate_command(files: tuple[Path, ...]) -> None:
    """Check files; exit 1 with one line per problem (file, location, what is wrong)."""
    problems: list[str] = []
    for path in files:
        try:
            questionnaire = load_file(path)
        except QuestionnaireError as error:
            problems.extend(error.problems)
            continue
        count = sum(1 for _ in questionnaire.questions())
        click.echo(f"{path}: ok ({len(questionnaire.sections)} sections, {count} questions)")
    if problems:
        for line in problems:
            click.echo(line, err=True)
        raise click.exceptions.Exit(1)


@questionnaire_group.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@_database_errors
def load_command(files: tuple[Path, ...]) -> None:
    """Store files: a new survey, or a new version of an existing one (unchanged: nothing)."""
    _load_files(list(files))


@questionnaire_group.command("list")
@with_appcontext
@_database_errors
def list_command() -> None:
    """Slug, version, status, opens/closes in the survey's time zone, response counts."""
    from sqlalchemy import func, select

    from survey.models import Response

    now = current_app.config["SURVEY_CLOCK"]()
    with _db().reading() as session:
        surveys = all_surveys(session)
        if not surveys:
            click.echo("no questionnaires loaded; run `survey init`")
            return
        counts: dict[tuple[int, str], int] = {
            (survey_id, status): count
            for survey_id, status, count in session.execute(
                select(Response.survey_id, Response.status, func.count()).group_by(
                    Response.survey_id, Response.status
                )
            )
        }
        header = ("slug", "version", "status", "opens", "closes", "complete", "partial",
                  "screened_out")
        rows = [header]
        for survey in surveys:
            version = latest_version(session, survey)
            schedule = schedule_of(survey)
            rows.append(
                (
                    survey.slug,
                    str(version.version if version else "-"),
                    state_at(schedule, now).value,
                    _local(schedule.opens_at, survey.timezone) or "at once",
                    _local(schedule.closes_at, survey.timezone) or "never",
                    str(counts.get((survey.id, "complete"), 0)),
                    str(counts.get((survey.id, "in_progress"), 0)),
                    str(counts.get((survey.id, "screened_out"), 0)),
                )
            )
    widths = [max(len(row[index]) for row in rows) for index in range(len(header))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def _local(value: Any, timezone: str) -> str | None:
    if value is None:
        return None
    local = to_local(value, timezone)
    return f"{local:%Y-%m-%d %H:%M} {timezone} (UTC{local:%z})"


def _create_app() -> Flask:
    from survey import create_app

    try:
        return create_app()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


cli = FlaskGroup(
    name="survey",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="Run and manage the survey platform.",
)


def main() -> None:
    """Entry point of the `survey` console script: exit 1 with one line on any user mistake."""
    try:
        result = cli.main(args=sys.argv[1:], prog_name="survey", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        hint = ""
        if isinstance(error, click.UsageError) and error.ctx is not None:
            hint = f" (see `{error.ctx.command_path} --help`)"
        click.echo(f"Error: {error.format_message()}{hint}", err=True)
        sys.exit(1)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
