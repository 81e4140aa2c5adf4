"""The background worker of the Exports page: a job runs in a process of its own.

The web request adds the job (survey.export.jobs.create_job), commits, and calls
`start_job_process`, which starts `survey export-run JOB_ID` in a session of its own: the
request returns at once, and the export carries on if the page is closed, the request ends or
the web worker is recycled. `run_job` is what that process does: it claims the job, records
progress and a heartbeat, and finishes with the file's name and size, or a one-line reason.
Each of those is a short transaction of its own, committed here, so every server sees it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask

from survey.db import Database
from survey.export import build, files, jobs
from survey.export.model import ReportProgress
from survey.models import ExportJob, Survey, utcnow
from survey.settings import Settings

LOG_NAME = "export-jobs.log"


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
        claimed = jobs.claim_job(session, job_id, clock())
    if not claimed:
        raise jobs.JobError(f"no queued export job {job_id!r}")

    def set_values(**values: Any) -> None:
        with app_db.writing() as session:
            jobs.update_job(session, job_id, **values)

    def progress(done: int, total: int) -> None:
        set_values(rows_done=done, rows_total=total, heartbeat_at=clock())

    with _beating(lambda: set_values(heartbeat_at=clock())):
        try:
            size, file_name, total = _write_job_file(app_db, exports_path, job_id, clock, progress)
        except Exception as error:  # noqa: BLE001 - any failure ends the job with its reason
            set_values(state="failed", error=jobs.one_line(error), finished_at=clock())
            return "failed"
    set_values(
        state="done",
        rows_done=total,
        file_name=file_name,
        size_bytes=size,
        finished_at=clock(),
    )
    return "done"


def _write_job_file(
    app_db: Database,
    exports_path: Path,
    job_id: str,
    clock: Callable[[], datetime],
    progress: ReportProgress,
) -> tuple[int, str, int]:
    """Write a claimed job's file from one reading session (one consistent snapshot);
    returns its size, its name and the number of rows."""
    reserved: Path | None = None
    try:
        with app_db.reading() as session:
            job = session.get(ExportJob, job_id)
            survey = session.get(Survey, job.survey_id) if job is not None else None
            if job is None or survey is None:
                raise jobs.JobError("the survey of this export no longer exists")
            options = jobs.options_from(job.options)
            now = clock()
            export = build.prepare(session, survey, options, now=now, progress=progress)
            progress(0, export.total)
            name = build.file_name(survey.slug, options.format, now)
            reserved = files.reserve(exports_path, name)
            files.write_whole(export, reserved)
        return reserved.stat().st_size, reserved.name, export.total
    except BaseException:
        files.remove(reserved)
        raise


@contextmanager
def _beating(beat: Callable[[], None]) -> Iterator[None]:
    """Call `beat` every HEARTBEAT_EVERY in a thread while the block runs (a file format that
    writes for a long time without a progress report still shows that its process is alive)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(jobs.HEARTBEAT_EVERY.total_seconds()):
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
    The job must be committed first: the child claims it from the database.
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
