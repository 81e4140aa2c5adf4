"""The `survey` command line (also `flask --app survey ...`): one module per group of
commands, gathered here.

    instance.py        init, serve, backup (and the migrations)
    questionnaires.py  questionnaire validate | stamp | load | list
    users.py           user add
    schedule.py        schedule, close, reopen
    respondents.py     withdraw
    export.py          export, export-worker (runs the exports of the Exports page)
"""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from survey.cli.export import export_command, export_worker_command
from survey.cli.instance import (
    alembic_config,
    backup_command,
    init_command,
    migrate,
    serve_command,
)
from survey.cli.questionnaires import questionnaire_group
from survey.cli.respondents import withdraw_command
from survey.cli.schedule import close_command, reopen_command, schedule_command
from survey.cli.users import user_group
from survey.settings import SettingsError

__all__ = ["alembic_config", "cli", "main", "migrate", "register_commands"]


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
        export_worker_command,
    ):
        app.cli.add_command(command)


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
