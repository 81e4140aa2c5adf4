"""Running exports: at once for the command line, in a detached process for the Exports page.

The command line calls `run_export`. The web page calls `create_job` (a row in export_jobs, and
the audit event) and `start_job_process`, which starts `survey export-run JOB_ID` in a process
of its own session: the request returns at once, and the export carries on if the page is
closed, the request ends or the web worker is recycled. `run_job` is what that process does:
it claims the job, records progress in short transactions of their own and finishes with the
file's name and size, or a one-line reason.

Files live in the exports folder under names made by `build.file_name` (survey slug, UTC time,
format; a counter when two exports share a second): never text a person typed. A job's file is
found only from its stored name, inside that folder.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select, text, update

from survey import audit
from survey.catalog import find_survey
from survey.db import Database, affected
from survey.export import build
from survey.export.source import ExportOptions
from survey.models import ExportJob, Survey, User, as_utc, utcnow
from survey.settings import Settings

ACTION = "export"
DELETE_ACTION = "export.delete"
ACTIVE_STATES = ("queued", "running")
LOG_NAME = "export-jobs.log"
MAX_ERROR_LENGTH = 300
# A running job's process beats every HEARTBEAT_EVERY; a job that has missed several beats, or
# was never picked up by its process, has lost it (killed, machine restarted) and is shown so.
HEARTBEAT_EVERY = timedelta(seconds=20)
LOST_AFTER = timedelta(minutes=2)
# Exports are heavy (a process each, reading every response): one at a time per person, and a
# few at once on the whole platform; a further request is refused with the reason.
MAX_RUNNING_PER_PERSON = 1
MAX_RUNNING = 3
# PostgreSQL advisory lock taken while a job is admitted (checked against the caps and added).
_ADMISSION_LOCK = (0x5355, 0x4558)

Progress = Callable[[int, int], None]


class JobError(ValueError):
    """A job that cannot be run or served as asked."""


# -- options -----------------------------------------------------------------------------------


def options_from(values: Mapping[str, Any]) -> ExportOptions:
    """Options as stored in a job row (`ExportOptions.describe()`), back as ExportOptions."""
    since = values.get("since")
    return ExportOptions(
        format=str(values.get("format") or "csv"),
        labels=bool(values.get("labels")),
        language=values.get("language") or None,
        include_partial=bool(values.get("include_partial")),
        include_screened_out=bool(values.get("include_screened_out")),
        since=datetime.fromisoformat(since) if since else None,
        channel=values.get("channel") or None,
        country=values.get("country") or None,
        with_personal_data=bool(values.get("with_personal_data")),
    )


def summary(values: Mapping[str, Any]) -> str:
    """The options of a job in a few words, for the list of exports."""
    parts = ["labels" if values.get("labels") else "codes"]
    if values.get("language"):
        parts[0] += f" ({values['language']})"
    if values.get("include_partial"):
        parts.append("with partial")
    if values.get("include_screened_out"):
        parts.append("with screened out")
    if values.get("since"):
        parts.append(f"since {values['since']}")
    if values.get("channel"):
        parts.append(f"channel {values['channel']}")
    if values.get("country"):
        parts.append(f"country {values['country']}")
    if values.get("with_personal_data"):
        parts.append("with personal data")
    return ", ".join(parts)


# -- files -------------------------------------------------------------------------------------


def _reserve(folder: Path, name: str) -> Path:
    """A new empty file in `folder` named `name` (with -2, -3 ... before the extension when
    that name is taken), created exclusively so two exports never share a file."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem, dot, extension = name.partition(".")
    for number in range(1, 1000):
        candidate = name if number == 1 else f"{stem}-{number}{dot}{extension}"
        try:
            descriptor = os.open(folder / candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.close(descriptor)
        return folder / candidate
    raise JobError(f"too many exports named {name!r} in {folder}")


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")


def _remove(path: Path | None) -> None:
    if path is not None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def job_file(exports_path: Path, file_name: str | None) -> Path | None:
    """The file of a job, from its stored name only, and only inside the exports folder."""
    if not file_name or "/" in file_name or "\\" in file_name or file_name.startswith("."):
        return None
    folder = exports_path.resolve()
    path = (folder / file_name).resolve()
    if path.parent != folder:
        return None
    return path


# -- the command line --------------------------------------------------------------------------


def run_export(
    app_db: Database,
    survey_slug: str,
    options: ExportOptions,
    path: Path,
    actor: User | None,
    now: datetime,
    progress: Progress | None = None,
) -> Path:
    """Write an export of `survey_slug` and return where it went.

    `path` is a file (replaced) or a folder (a new file named by `build.file_name` in it). The
    export is written to the audit log, with who and which options, before any row is written;
    rows are read in one reading session, so the file is one consistent snapshot.
    """
    final: Path | None = None
    reserved: Path | None = None
    temporary: Path | None = None
    try:
        with app_db.reading() as session:
            survey = find_survey(session, survey_slug)
            if survey is None:
                raise build.ExportError(
                    f"no survey {survey_slug!r}; see `survey questionnaire list`"
                )
            export = build.prepare(session, survey, options, now=now, progress=progress)
            if path.is_dir():
                final = reserved = _reserve(path, build.file_name(survey.slug, options.format, now))
            else:
                if not path.parent.is_dir():
                    raise build.ExportError(f"folder {str(path.parent)!r} does not exist")
                final = path
            with app_db.writing() as log:
                audit.record(
                    log,
                    actor=actor,
                    action=ACTION,
                    at=now,
                    target=f"survey:{survey_slug}",
                    after={
                        "options": options.describe(),
                        "rows": export.total,
                        "file": final.name,
                    },
                )
            temporary = _temporary(final)
            build.write(export, temporary)
        os.replace(temporary, final)
        temporary = None
        return final
    except BaseException:
        _remove(temporary)
        _remove(reserved)
        raise


# -- the Exports page --------------------------------------------------------------------------


def create_job(
    app_db: Database, survey: Survey, options: ExportOptions, actor: User, now: datetime
) -> str:
    """A queued job and its audit event, in one transaction; returns the job's id.

    JobError if the person already has an export running, or MAX_RUNNING run on the platform.
    """
    job_id = secrets.token_hex(16)
    with app_db.writing() as session:
        if session.get_bind().dialect.name == "postgresql":
            # Admissions one at a time (SQLite's writers already queue at BEGIN IMMEDIATE).
            namespace, key = _ADMISSION_LOCK
            session.execute(
                text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
                {"namespace": namespace, "key": key},
            )
        running = [
            job
            for job in session.scalars(select(ExportJob).where(ExportJob.state.in_(ACTIVE_STATES)))
            if not is_stale(job, now)
        ]
        if sum(1 for job in running if job.created_by_id == actor.id) >= MAX_RUNNING_PER_PERSON:
            raise JobError(
                "you already have an export running; wait for it to finish, then start the next"
            )
        if len(running) >= MAX_RUNNING:
            raise JobError(
                f"{len(running)} exports are running on the platform; try again in a few minutes"
            )
        session.add(
            ExportJob(
                id=job_id,
                survey_id=survey.id,
                created_by_id=actor.id,
                created_by=actor.email,
                options=options.describe(),
                state="queued",
                rows_done=0,
                created_at=now,
            )
        )
        audit.record(
            session,
            actor=actor,
            action=ACTION,
            at=now,
            target=f"survey:{survey.slug}",
            after={"job": job_id, "options": options.describe()},
        )
    return job_id


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else error.__class__.__name__
    if not isinstance(error, build.ExportError | JobError):
        text = f"{error.__class__.__name__}: {text}"
    return text[:MAX_ERROR_LENGTH]


def run_job(
    app_db: Database,
    exports_path: Path,
    job_id: str,
    clock: Callable[[], datetime] = utcnow,
) -> str:
    """Run a queued job to the end; returns its final state (done or failed).

    Only one process runs a job: it is claimed with a conditional update (queued -> running).
    """
    with app_db.writing() as session:
        claimed = affected(
            session.execute(
                update(ExportJob)
                .where(ExportJob.id == job_id, ExportJob.state == "queued")
                .values(state="running", heartbeat_at=clock())
            )
        )
    if not claimed:
        raise JobError(f"no queued export job {job_id!r}")

    def set_values(**values: Any) -> None:
        with app_db.writing() as session:
            session.execute(update(ExportJob).where(ExportJob.id == job_id).values(**values))

    def progress(done: int, total: int) -> None:
        set_values(rows_done=done, rows_total=total, heartbeat_at=clock())

    with _beating(lambda: set_values(heartbeat_at=clock())):
        return _run_claimed(app_db, exports_path, job_id, clock, set_values, progress)


@contextmanager
def _beating(beat: Callable[[], None]) -> Iterator[None]:
    """Call `beat` every HEARTBEAT_EVERY in a thread while the block runs (a file format that
    writes for a long time without a progress report still shows that its process is alive)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                beat()
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next one
                continue

    thread = threading.Thread(target=loop, name="export-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _run_claimed(
    app_db: Database,
    exports_path: Path,
    job_id: str,
    clock: Callable[[], datetime],
    set_values: Callable[..., None],
    progress: Progress,
) -> str:
    reserved: Path | None = None
    temporary: Path | None = None
    try:
        with app_db.reading() as session:
            job = session.get(ExportJob, job_id)
            survey = session.get(Survey, job.survey_id) if job is not None else None
            if job is None or survey is None:
                raise JobError("the survey of this export no longer exists")
            options = options_from(job.options)
            now = clock()
            export = build.prepare(session, survey, options, now=now, progress=progress)
            set_values(rows_total=export.total)
            reserved = _reserve(exports_path, build.file_name(survey.slug, options.format, now))
            temporary = _temporary(reserved)
            build.write(export, temporary)
        os.replace(temporary, reserved)
        temporary = None
        set_values(
            state="done",
            rows_done=export.total,
            file_name=reserved.name,
            size_bytes=reserved.stat().st_size,
            finished_at=clock(),
        )
        return "done"
    except Exception as error:  # noqa: BLE001 - any failure ends the job with its reason
        _remove(temporary)
        _remove(reserved)
        set_values(state="failed", error=_one_line(error), finished_at=clock())
        return "failed"


def delete_job(
    app_db: Database, exports_path: Path, job_id: str, actor: User, now: datetime
) -> None:
    """Remove a job's file and its row, and log it."""
    with app_db.writing() as session:
        job = session.get(ExportJob, job_id)
        if job is None:
            raise JobError(f"no export job {job_id!r}")
        if job.state in ACTIVE_STATES and not is_stale(job, now):
            raise JobError("this export is still running; delete it when it has finished")
        survey = session.get(Survey, job.survey_id)
        path = job_file(exports_path, job.file_name)
        audit.record(
            session,
            actor=actor,
            action=DELETE_ACTION,
            at=now,
            target=f"survey:{survey.slug if survey else job.survey_id}",
            before={
                "job": job.id,
                "created_by": job.created_by,
                "options": job.options,
                "file": job.file_name,
            },
        )
        session.delete(job)
    _remove(path)


def is_stale(job: ExportJob, now: datetime) -> bool:
    """A job queued or running whose process has gone: never picked up, or no heartbeat for
    LOST_AFTER."""
    if job.state not in ACTIVE_STATES:
        return False
    return now - as_utc(job.heartbeat_at or job.created_at) > LOST_AFTER


def jobs_of(app_db: Database, survey: Survey, made_by: int | None = None) -> list[ExportJob]:
    """The survey's export jobs, newest first; only those `made_by` a user when given."""
    query = select(ExportJob).where(ExportJob.survey_id == survey.id)
    if made_by is not None:
        query = query.where(ExportJob.created_by_id == made_by)
    with app_db.reading() as session:
        return list(session.scalars(query.order_by(ExportJob.created_at.desc(), ExportJob.id)))


# -- the background process --------------------------------------------------------------------


def child_environment(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a job's process: the app's own settings, stated explicitly, so the
    child uses the same database and folders even when they did not come from the environment."""
    env = dict(os.environ if base is None else base)
    env.update(
        SURVEY_DATABASE_URL=settings.database_url,
        SURVEY_SECRET_KEY=settings.secret_key,
        SURVEY_RESUME_KEY=settings.resume_key,
        SURVEY_INSTANCE_PATH=str(settings.instance_path.resolve()),
        SURVEY_EXPORTS_PATH=str(settings.exports_path.resolve()),
        SURVEY_QUESTIONNAIRES_PATH=str(settings.questionnaires_path.resolve()),
        SURVEY_RATELIMIT_STORAGE_URL=settings.ratelimit_storage_url,
    )
    return env


def start_job_process(app: Flask, job_id: str) -> subprocess.Popen[bytes]:
    """Start `survey export-run JOB_ID` detached from this request and this process.

    The child has a session of its own (no signal sent to the web server's process group
    reaches it) and no tie to the request; its errors go to a log in the instance folder.
    A thread of this process waits for it, so no finished child is left as a zombie.
    """
    settings: Settings = app.config["SURVEY_SETTINGS"]
    settings.instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.exports_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Private whatever the process's umask (an app started other than by `survey serve`).
    descriptor = os.open(
        settings.instance_path / LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
    )
    with os.fdopen(descriptor, "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "survey.cli", "export-run", job_id],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            # The instance folder exists (made above) wherever the package is installed.
            cwd=str(settings.instance_path),
            env=child_environment(settings),
            start_new_session=True,
            close_fds=True,
        )
    threading.Thread(target=child.wait, name=f"export-{job_id}", daemon=True).start()
    return child


def fail_job(app_db: Database, job_id: str, reason: str, now: datetime) -> None:
    """Mark a job that could not start as failed."""
    with app_db.writing() as session:
        session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.state.in_(ACTIVE_STATES))
            .values(state="failed", error=reason[:MAX_ERROR_LENGTH], finished_at=now)
        )
