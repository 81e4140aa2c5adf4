"""`survey export`: a survey's responses written to a file at once; `survey export-worker`:
runs the exports asked for on the Exports page (survey.export.worker)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from survey import channels, current_time, get_db, schedule_changes
from survey.cli.common import database_errors, settings
from survey.export import build, files, formats, jobs
from survey.export.model import ExportError
from survey.export.source import ExportOptions
from survey.models import Survey
from survey.questionnaire.countries import COUNTRY_CODES
from survey.questionnaire_store import find_survey


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


def _installed_format(name: str | None) -> str:
    if not name:
        raise click.ClickException("choose a format with --format, e.g. --format csv")
    available = [item.name for item in formats.installed()]
    if name not in available:
        raise click.ClickException(f"format {name!r} is not one of: {', '.join(available)}")
    return name


def _country_code(country: str | None) -> str | None:
    if country is None:
        return None
    code = country.strip().upper()
    if code not in COUNTRY_CODES:
        raise click.ClickException(
            f"{country!r} is not a country's two-letter code (ISO 3166-1), e.g. AR"
        )
    return code


def _channel(channel: str | None) -> str | None:
    if not channel:
        return None
    try:
        return channels.tags([channel])[0]
    except channels.ChannelError as error:
        raise click.ClickException(str(error)) from None


def _options(survey: Survey, given: dict[str, Any]) -> ExportOptions:
    """The command's flags as ExportOptions; --since read in the survey's time zone."""
    since = given["since"]
    try:
        since_time = (
            schedule_changes.parse_time(since, survey.timezone) if since is not None else None
        )
    except schedule_changes.ScheduleError as error:
        raise click.ClickException(f"--since: {error}") from None
    return ExportOptions(
        format=_installed_format(given["export_format"]),
        labels=given["labels"],
        language=given["language"] or None,
        include_partial=given["include_partial"],
        include_screened_out=given["include_screened_out"],
        since=since_time,
        channel=_channel(given["channel"]),
        country=_country_code(given["country"]),
        with_personal_data=given["with_personal_data"],
        leave_out_flagged=given["leave_out_flagged"],
    )


def _destination(output: str | None) -> tuple[Path, bool]:
    """Where `--output` points, and whether that is a folder to make a new file in (else the
    file itself). A trailing slash says "a folder": one that does not exist is refused, as a
    file's missing folder is, rather than taken for the name of a file to write."""
    if output is None:
        return settings().exports_path, True
    path = Path(output)
    if path.is_dir():
        return path, True
    if output.endswith(("/", os.sep)):
        if path.exists():
            raise ExportError(f"{str(path)!r} is not a folder")
        raise ExportError(f"folder {str(path)!r} does not exist")
    if not path.parent.is_dir():
        raise ExportError(f"folder {str(path.parent)!r} does not exist")
    return path, False


def _export(slug: str, given: dict[str, Any], output: str | None, progress: Any) -> Path:
    """Write the export and return its path. Counts and rows come from one snapshot
    (`Database.snapshot`: they agree whatever is saved meanwhile); the audit event is
    committed, in a transaction of its own, before any row is written, and the file appears
    whole or not at all."""
    db, now = get_db(), current_time()
    reserved: Path | None = None
    try:
        with db.snapshot() as reading:
            survey = find_survey(reading, slug)
            if survey is None:
                raise click.ClickException(f"no survey {slug!r}; see `survey questionnaire list`")
            options = _options(survey, given)
            export = build.prepare(reading, survey, options, now=now, progress=progress)
            final, is_folder = _destination(output)
            if is_folder:
                final = reserved = files.reserve(
                    final, build.file_name(survey.slug, options.format, now)
                )
            with db.writing() as session:
                jobs.record_export(
                    session,
                    slug,
                    options,
                    rows=export.total,
                    file_name=final.name,
                    actor=None,
                    now=now,
                )
            return files.write_whole(export, final)
    except BaseException:
        files.remove(reserved)
        raise


@click.command("export")
@click.argument("slug")
@click.option(
    "--format",
    "export_format",
    help=f"{', '.join(formats.names())} (the formats installed).",
)
@click.option(
    "--output",
    # Kept as typed (a Path drops a trailing slash, which says "a folder").
    type=click.Path(),
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
    "--leave-out-flagged",
    is_flag=True,
    help="Leave out responses flagged as speeders or straightliners (see the codebook).",
)
@click.option(
    "--with-personal-data", is_flag=True, help="Add personal data (email); written to the log."
)
@with_appcontext
@database_errors
def export_command(slug: str, output: str | None, **given: Any) -> None:
    """Write a survey's responses to a file and print its path."""
    _installed_format(given["export_format"])
    _country_code(given["country"])
    bar = _ProgressBar() if sys.stdout.isatty() else None
    try:
        path = _export(slug, given, output, bar)
    except (ExportError, OSError) as error:
        raise click.ClickException(str(error).strip().splitlines()[0]) from None
    finally:
        if bar is not None:
            bar.close()
    click.echo(str(path))


@contextmanager
def _stopped_by_signals() -> Iterator[threading.Event]:
    """An event set, and the worker's job put back in the queue, on SIGTERM or SIGINT (a
    server stopping, Ctrl-C): the next worker runs it again from the start."""
    from survey.export.worker import WorkerStopped

    stop = threading.Event()

    def handler(number: int, _frame: Any) -> None:
        stop.set()
        raise WorkerStopped(signal.Signals(number).name)

    previous = {
        number: signal.signal(number, handler) for number in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield stop
    except WorkerStopped:
        pass
    finally:
        for number, action in previous.items():
            signal.signal(number, action)


@click.command("export-worker")
@click.option(
    "--parent",
    type=int,
    hidden=True,
    help="End when this process ends (how `survey serve` starts its worker).",
)
@with_appcontext
def export_worker_command(parent: int | None) -> None:
    """Run the exports asked for on the Exports page, one at a time, until stopped.

    `survey serve` starts one beside the web server; run this where exports should run on a
    machine of their own (any number of workers, on any server, share the queue).
    """
    from survey.export.worker import work

    click.echo("export worker: waiting for exports")
    with _stopped_by_signals() as stop:
        work(get_db(), stop, clock=current_time, parent=parent)
    click.echo("export worker: stopped")
