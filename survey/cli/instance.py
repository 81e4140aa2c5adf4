"""Setting up and running an instance: `survey init`, `survey serve`, `survey backup`, and the
migrations they run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import with_appcontext

from survey import accounts, current_time, get_db
from survey.cli.common import database_errors, settings
from survey.cli.questionnaires import load_files
from survey.db import foreign_keys_off
from survey.questionnaire_store import questionnaire_files
from survey.settings import BUNDLED, Settings, resources_root


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
    with engine.connect() as connection, foreign_keys_off(connection), connection.begin():
        config = alembic_config(connection)
        # A migration that rewrites stored resume-code hashes needs the app's key, and one
        # that moves export files into the database needs their folder.
        config.attributes["resume_key"] = app.config["SURVEY_SETTINGS"].resume_key
        config.attributes["exports_path"] = app.config["SURVEY_SETTINGS"].exports_path
        alembic_command.upgrade(config, "head")


def _keep_folders_private(instance: Settings) -> None:
    """Make the instance and exports folders, or narrow them (made wider by earlier versions),
    to their owner only (0700)."""
    for folder in (instance.instance_path, instance.exports_path):
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
@database_errors
def init_command(admin_email: str) -> None:
    """Migrate to the newest schema, load every questionnaire, create a first admin if none."""
    _keep_folders_private(settings())
    migrate(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo("database is at the newest migration")
    _compile_interface_catalogs()
    folder = settings().questionnaires_path
    files = questionnaire_files(folder)
    if files:
        load_files(files)
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


def _compile_interface_catalogs() -> None:
    """In a source checkout, compile the interface's catalogs that are missing or older than
    their text (`make install` does, but a checkout installed another way has none, and its
    pages would show the interface in English whatever language is asked for). An installed
    package carries them compiled."""
    if BUNDLED.is_dir():
        return
    from survey.message_catalogs import compile_catalogs, language_of

    try:
        compiled = compile_catalogs()
    except OSError as error:
        click.echo(f"interface translations could not be compiled ({error}): run `make install`")
        return
    if compiled:
        languages = ", ".join(sorted(language_of(path) for path in compiled))
        click.echo(f"interface translations compiled: {languages}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=lambda: min(4, 2 * (os.cpu_count() or 1)),
    type=click.IntRange(1, 64),
    help="Worker processes (default: 2 per core, at most 4).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    help="Requests each worker answers at once (default: 2; more do not answer more, see "
    "README, Performance).",
)
@click.option(
    "--export-worker/--no-export-worker",
    default=True,
    show_default=True,
    help="Also run a worker for the Exports page (off where `survey export-worker` runs apart).",
)
def serve_command(
    host: str, port: int, workers: int, threads: int | None, export_worker: bool
) -> None:
    """Serve the app with gunicorn, a production WSGI server, and run the exports asked for
    on the Exports page beside it."""
    from survey.export.supervisor import WorkerProcess
    from survey.serving import (
        THREADS,
        CannotListen,
        PortInUse,
        Server,
        check_port_free,
        gunicorn_settings,
    )

    try:
        check_port_free(host, port)
    except PortInUse as error:
        raise click.ClickException(
            f"cannot serve: {error}; stop what uses it or pick --port"
        ) from error
    except CannotListen as error:
        raise click.ClickException(
            f"cannot serve: {error}; give --host one of this machine's addresses"
        ) from error
    threads = threads or THREADS
    settings = gunicorn_settings(host, port, workers, threads)
    exporter = WorkerProcess() if export_worker else None
    if exporter is not None:
        # Started by the master once it listens, stopped when it stops.
        settings["when_ready"] = lambda _arbiter: exporter.start()
        settings["on_exit"] = lambda _arbiter: exporter.stop()
    click.echo(f"serving on http://{host}:{port} with {workers} workers of {threads} threads")
    if exporter is not None:
        click.echo("exports run in a worker beside the server (survey export-worker)")
    Server(settings, _served_app).run()


def _served_app() -> Flask:
    """The app as `survey serve` runs it, in each worker: its log lines redacted too, its
    templates compiled before its first request."""
    import logging

    from survey import create_app
    from survey.logs import redact_handlers
    from survey.rendering import compile_templates

    app = create_app()
    redact_handlers(app.logger, logging.getLogger())
    compile_templates(app)
    return app


@click.command("backup")
@click.argument("path")
@click.option(
    "--keep",
    type=int,
    help="With a folder: keep the KEEP newest backups made there, delete older ones.",
)
@with_appcontext
@database_errors
def backup_command(path: str, keep: int | None) -> None:
    """Write a consistent copy of the database to PATH, while the app keeps serving.

    PATH is a new file, or an existing folder in which a file named after the time
    (survey-YYYYmmddTHHMMSSZ.db, or .dump for PostgreSQL) is written.
    """
    from survey.backup import BackupError, backup, rotate

    if not path.strip():  # Path("") is the current folder: a backup would land there unasked
        raise click.ClickException("PATH is empty: give a new file or an existing folder")
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
