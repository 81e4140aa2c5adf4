"""The `survey` command line (also `flask --app survey ...`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from survey import accounts, audit, current_time, deadlines, get_db
from survey.catalog import (
    all_surveys,
    find_survey,
    latest_version,
    load_questionnaire,
    questionnaire_files,
    schedule_of,
)
from survey.models import Survey
from survey.questionnaire import translations
from survey.questionnaire.schema import Questionnaire, QuestionnaireError, load_file
from survey.schedule import state_at, to_local
from survey.settings import Settings, SettingsError, resources_root


def register_commands(app: Flask) -> None:
    for command in (
        init_command,
        serve_command,
        questionnaire_group,
        user_group,
        schedule_command,
        close_command,
        reopen_command,
        withdraw_command,
        backup_command,
        export_command,
        export_run_command,
    ):
        app.cli.add_command(command)


def _settings() -> Settings:
    return current_app.config["SURVEY_SETTINGS"]


def alembic_config(connection: Any = None) -> AlembicConfig:
    """Alembic set up to run this project's migrations (on `connection` if given)."""
    resources = resources_root()
    config = AlembicConfig(str(resources / "alembic.ini"))
    config.set_main_option("script_location", str(resources / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(app: Flask) -> None:
    """Bring the database to the newest migration."""
    engine = get_db(app).engine
    with engine.begin() as connection:
        config = alembic_config(connection)
        # A migration that rewrites stored resume-code hashes needs the app's key.
        config.attributes["resume_key"] = app.config["SURVEY_SETTINGS"].resume_key
        alembic_command.upgrade(config, "head")


def _load_files(paths: list[Path]) -> None:
    problems: list[str] = []
    results = []
    for path in paths:
        try:
            with get_db().writing() as session:
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


def _keep_folders_private(settings: Settings) -> None:
    """Make the instance and exports folders, or narrow them (made wider by earlier versions),
    to their owner only (0700)."""
    for folder in (settings.instance_path, settings.exports_path):
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.chmod(0o700)
        except OSError as error:
            raise click.ClickException(
                f"folder {folder} cannot be made private to this user: {error.strerror}"
            ) from None


@click.command("init")
@click.option(
    "--admin-email",
    default="admin@example.org",
    show_default=True,
    help="Email of the first admin, made only when there is no admin yet.",
)
@with_appcontext
@_database_errors
def init_command(admin_email: str) -> None:
    """Migrate to the newest schema, load every questionnaire, create a first admin if none."""
    _keep_folders_private(_settings())
    migrate(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo("database is at the newest migration")
    folder = _settings().questionnaires_path
    files = questionnaire_files(folder)
    if files:
        _load_files(files)
    else:
        click.echo(f"no questionnaire files in {folder}")
    with get_db().writing() as session:
        if accounts.count_admins(session) > 0:
            return
        password = accounts.generate_password()
        try:
            accounts.create_user(
                session,
                email=admin_email,
                role="admin",
                password=password,
                actor=None,
                now=current_time(),
            )
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"first admin: {admin_email.strip().lower()}")
    click.echo(f"password (shown once, change it after signing in): {password}")


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
    import logging

    from gunicorn.app.base import BaseApplication

    from survey.logs import RedactingLogger, redact_handlers

    class _Server(BaseApplication):
        def load_config(self) -> None:
            # Resume codes, passwords and email addresses never reach a log line.
            self.cfg.set("logger_class", RedactingLogger)
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

            app = create_app()
            redact_handlers(app.logger, logging.getLogger())
            return app

    click.echo(f"serving on http://{host}:{port} with {workers} workers")
    _Server().run()


@click.group("questionnaire")
def questionnaire_group() -> None:
    """Check, load and list questionnaire files."""


@questionnaire_group.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on stale translations too.")
def validate_command(files: tuple[Path, ...], strict: bool) -> None:
    """Check files; exit 1 with one line per problem (file, location, what is wrong).

    Stale translations (made from a source text that has changed since) are listed as
    warnings; with --strict they count as problems.
    """
    problems: list[str] = []
    warnings: list[str] = []
    for path in files:
        try:
            questionnaire = load_file(path)
        except QuestionnaireError as error:
            problems.extend(error.problems)
            continue
        count = sum(1 for _ in questionnaire.questions())
        click.echo(f"{path}: ok ({len(questionnaire.sections)} sections, {count} questions)")
        try:
            warnings.extend(_translation_warnings(path, questionnaire))
        except ValueError as error:
            problems.append(str(error))
    for line in warnings:
        click.echo(f"warning: {line}", err=True)
    if problems or (strict and warnings):
        for line in problems:
            click.echo(line, err=True)
        raise click.exceptions.Exit(1)


def _translation_warnings(path: Path, questionnaire: Questionnaire) -> list[str]:
    from survey.i18n import interface_languages
    from survey.message_catalogs import TRANSLATIONS

    found = [
        f"{path}: languages: {language!r} has no interface catalog ({TRANSLATIONS / language}); "
        "its pages would show the interface in English"
        for language in questionnaire.languages
        if language not in interface_languages()
    ]
    if len(questionnaire.languages) < 2:
        return found
    record_file = translations.record_path(path)
    record = translations.read_record(record_file)
    if not record:
        return [
            *found,
            f"{path}: its translations have no fingerprints yet ({record_file.name}); "
            f"run `survey questionnaire stamp {path}` once they are checked",
        ]
    return [*found, *[item.line(path) for item in translations.stale(questionnaire, record)]]


@questionnaire_group.command("stamp")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def stamp_command(files: tuple[Path, ...]) -> None:
    """Record that the translations in FILES are up to date with their source texts."""
    for path in files:
        try:
            questionnaire = load_file(path)
        except QuestionnaireError as error:
            raise click.ClickException(
                f"{path} has problems; fix them first: {error.problems[0]}"
            ) from None
        record_file = translations.record_path(path)
        try:
            earlier = translations.stale(questionnaire, translations.read_record(record_file))
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        record = translations.stamp(questionnaire)
        translations.write_record(record_file, record)
        languages = ", ".join(questionnaire.languages[1:]) or "no other language"
        click.echo(
            f"{record_file}: {len(record['texts'])} texts stamped ({languages}); "
            f"{len(earlier)} had been stale or unstamped"
        )


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

    now = current_time()
    with get_db().reading() as session:
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
        header = (
            "slug",
            "version",
            "status",
            "opens",
            "closes",
            "complete",
            "partial",
            "screened_out",
        )
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


@click.group("user")
def user_group() -> None:
    """Manage the accounts of admins and researchers."""


@user_group.command("add")
@click.argument("email")
@click.option("--role", required=True, help="admin or researcher")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
@_database_errors
def user_add_command(email: str, role: str, password_stdin: bool) -> None:
    """Add an account; prints a generated password once unless --password-stdin is given."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = accounts.generate_password()
    with get_db().writing() as session:
        try:
            user = accounts.create_user(
                session, email=email, role=role, password=password, actor=None, now=current_time()
            )
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from None
        address = user.email
    click.echo(f"{role} {address} added")
    if not password_stdin:
        click.echo(f"password (shown once): {password}")


@contextmanager
def _changing_schedule(slug: str) -> Iterator[tuple[Any, Survey]]:
    """A write session with the survey locked for a schedule change; a refused change exits 1
    with its reason, a made one prints the new schedule."""
    with get_db().writing() as session:
        survey = find_survey(session, slug, lock="update")
        if survey is None:
            raise click.ClickException(f"no survey {slug!r}; see `survey questionnaire list`")
        try:
            yield session, survey
        except deadlines.ScheduleError as error:
            raise click.ClickException(str(error)) from None
        _echo_schedule(survey)


def _time_option(text: str | None, timezone: str, current: Any) -> Any:
    if text is None:
        return current
    if text.strip().lower() in ("", "none"):
        return None
    return deadlines.parse_time(text, timezone)


@click.command("schedule")
@click.argument("slug")
@click.option(
    "--opens-at", help="ISO 8601; without an offset, in the survey's zone; 'none' = at once."
)
@click.option(
    "--closes-at", help="ISO 8601; without an offset, in the survey's zone; 'none' = never."
)
@click.option("--timezone", help="IANA time zone, e.g. Europe/Brussels.")
@click.option("--grace-minutes", type=int, help="Minutes people who started may still finish.")
@click.option("--contact", help="Whom respondents may write to (shown on the closed page).")
@with_appcontext
@_database_errors
def schedule_command(
    slug: str,
    opens_at: str | None,
    closes_at: str | None,
    timezone: str | None,
    grace_minutes: int | None,
    contact: str | None,
) -> None:
    """Change a survey's schedule; only the options given change."""
    with _changing_schedule(slug) as (session, survey):
        zone = timezone or survey.timezone
        deadlines.update_schedule(
            session,
            survey,
            actor=None,
            now=current_time(),
            opens_at=_time_option(opens_at, zone, survey.opens_at),
            closes_at=_time_option(closes_at, zone, survey.closes_at),
            timezone=zone,
            grace_minutes=survey.grace_minutes if grace_minutes is None else grace_minutes,
            contact=survey.contact if contact is None else contact,
        )


@click.command("close")
@click.argument("slug")
@with_appcontext
@_database_errors
def close_command(slug: str) -> None:
    """Close a survey now: no new responses; those started may finish within the grace period."""
    with _changing_schedule(slug) as (session, survey):
        deadlines.close_now(session, survey, actor=None, now=current_time())


@click.command("reopen")
@click.argument("slug")
@click.option(
    "--closes-at", required=True, help="ISO 8601; without an offset, in the survey's zone."
)
@with_appcontext
@_database_errors
def reopen_command(slug: str, closes_at: str) -> None:
    """Open a survey again (or extend it) until --closes-at."""
    with _changing_schedule(slug) as (session, survey):
        deadlines.reopen(
            session,
            survey,
            actor=None,
            now=current_time(),
            closes_at=deadlines.parse_time(closes_at, survey.timezone),
        )


@click.command("withdraw")
@click.argument("code")
@with_appcontext
@_database_errors
def withdraw_command(code: str) -> None:
    """Erase one respondent's response and personal data, found by their resume code."""
    from survey import responses, resume_codes

    normalized = resume_codes.normalize(code)
    if normalized is None:
        raise click.ClickException("a resume code has 12 letters and digits, e.g. K7QF-3MZP-9XWA")
    with get_db().writing() as session:
        response = responses.find_any_by_code(session, normalized, _settings().resume_key)
        if response is None:
            raise click.ClickException("no response has this resume code")
        responses.withdraw(session, response, now=current_time(), by=audit.COMMAND_LINE)
    click.echo(f"response {response.id} and its personal data were erased")


@click.command("backup")
@click.argument("path")
@click.option(
    "--keep",
    type=int,
    help="With a folder: keep the KEEP newest backups made there, delete older ones.",
)
@with_appcontext
@_database_errors
def backup_command(path: str, keep: int | None) -> None:
    """Write a consistent copy of the database to PATH, while the app keeps serving.

    PATH is a new file, or an existing folder in which a file named after the time
    (survey-YYYYmmddTHHMMSSZ.db, or .dump for PostgreSQL) is written.
    """
    from survey.backup import BackupError, backup, rotate

    target = Path(path)
    folder = target.is_dir()
    if path.endswith(os.sep) and not folder:
        raise click.ClickException(f"folder {target} does not exist")
    if keep is not None and not folder:
        raise click.ClickException(f"--keep needs PATH to be an existing folder, not {target}")
    if keep is not None and keep < 1:
        raise click.ClickException("--keep must be at least 1")
    try:
        written = backup(get_db().engine, target, current_time())
        click.echo(f"backup written to {written}")
        if keep is not None:
            for old in rotate(target, keep):
                click.echo(f"removed old backup {old}")
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"{error.filename}: {error.strerror}") from None


class _ProgressBar:
    """A click progress bar, made when the number of rows is known (a terminal only)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if total == 0:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="exporting", show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _export_format(name: str) -> str:
    from survey.export.build import FORMATS
    from survey.export.writers import WRITERS

    available = [item for item in FORMATS if item in WRITERS]
    if name not in available:
        raise click.ClickException(f"format {name!r} is not one of: {', '.join(available)}")
    return name


@click.command("export")
@click.argument("slug")
@click.option(
    "--format",
    "export_format",
    help="csv, csv-excel, xlsx, sav, dta, parquet or zip (the formats installed).",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="File to write, or a folder for a new file (default: the exports folder).",
)
@click.option("--labels", is_flag=True, help="Labels instead of codes.")
@click.option("--include-partial", is_flag=True, help="Add responses not submitted.")
@click.option("--include-screened-out", is_flag=True, help="Add screened-out responses.")
@click.option(
    "--since", help="Responses started at or after; ISO 8601, without offset in the survey's zone."
)
@click.option("--channel", help="Only responses that came through this ?via= tag.")
@click.option("--country", help="Only respondents in this country (ISO 3166 code, e.g. AR).")
@click.option("--language", help="Language of the labels (default: the survey's default).")
@click.option(
    "--with-personal-data", is_flag=True, help="Add personal data (email); written to the log."
)
@with_appcontext
@_database_errors
def export_command(
    slug: str,
    export_format: str | None,
    output: Path | None,
    labels: bool,
    include_partial: bool,
    include_screened_out: bool,
    since: str | None,
    channel: str | None,
    country: str | None,
    language: str | None,
    with_personal_data: bool,
) -> None:
    """Write a survey's responses to a file and print its path."""
    from survey.export.build import ExportError
    from survey.export.jobs import run_export
    from survey.export.source import ExportOptions

    if not export_format:
        raise click.ClickException("choose a format with --format, e.g. --format csv")
    export_format = _export_format(export_format)
    if country is not None and not (len(country.strip()) == 2 and country.strip().isalpha()):
        raise click.ClickException(f"{country!r} is not a two-letter country code, e.g. AR")
    with get_db().reading() as session:
        survey = find_survey(session, slug)
        if survey is None:
            raise click.ClickException(f"no survey {slug!r}; see `survey questionnaire list`")
        timezone = survey.timezone
    try:
        since_time = deadlines.parse_time(since, timezone) if since is not None else None
    except deadlines.ScheduleError as error:
        raise click.ClickException(f"--since: {error}") from None
    options = ExportOptions(
        format=export_format,
        labels=labels,
        language=language or None,
        include_partial=include_partial,
        include_screened_out=include_screened_out,
        since=since_time,
        channel=channel or None,
        country=country.strip().upper() if country else None,
        with_personal_data=with_personal_data,
    )
    target = output if output is not None else _settings().exports_path
    if output is None:
        target.mkdir(parents=True, exist_ok=True)
    bar = _ProgressBar() if sys.stdout.isatty() else None
    try:
        path = run_export(
            get_db(), slug, options, target, actor=None, now=current_time(), progress=bar
        )
    except (ExportError, OSError) as error:
        raise click.ClickException(str(error).strip().splitlines()[0]) from None
    finally:
        if bar is not None:
            bar.close()
    click.echo(str(path))


@click.command("export-run", hidden=True)
@click.argument("job_id")
@with_appcontext
def export_run_command(job_id: str) -> None:
    """Run one export job of the Exports page (started by the web app, in the background)."""
    from survey.export.jobs import JobError, run_job

    try:
        state = run_job(get_db(), _settings().exports_path, job_id, current_time)
    except JobError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"export job {job_id}: {state}")


def _echo_schedule(survey: Survey) -> None:
    schedule = schedule_of(survey)
    click.echo(
        f"{survey.slug}: {state_at(schedule, current_time()).value}; "
        f"opens {_local(schedule.opens_at, survey.timezone) or 'at once'}; "
        f"closes {_local(schedule.closes_at, survey.timezone) or 'never'}; "
        f"grace {survey.grace_minutes} minutes"
    )


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
    # Every file and folder the platform makes (database, keys, exports, logs, backups), in
    # this process and those it starts (serve workers, export jobs), is its own user's only.
    os.umask(0o077)
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


if __name__ == "__main__":
    main()
