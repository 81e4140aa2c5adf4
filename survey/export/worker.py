"""The export worker: takes jobs of the Exports page from the queue and runs them, one at a
time, as long as it runs.

`survey serve` starts one worker process beside its web workers (survey.export.supervisor);
`survey export-worker` runs one on its own. Any number of workers, on any number of servers,
share the queue (survey.export.queue). For a job, a worker writes the file into a private
temporary folder of its own, then stores it in the database in the transaction that marks the
job done, so every server can offer it; progress and a heartbeat are short transactions of
their own, so every server sees them.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from survey.db import Database
from survey.export import build, jobs, queue
from survey.export.queue import Claim, JobLost
from survey.models import ExportJob, Survey, utcnow

log = logging.getLogger(__name__)
# How long an idle worker waits before it looks at the queue again.
POLL_SECONDS = 1.0


class WorkerStopped(BaseException):
    """The worker is asked to stop (a signal): its job goes back to the queue, and it ends."""


def run_next(
    db: Database, clock: Callable[[], datetime] = utcnow, worker: str | None = None
) -> str | None:
    """Take the next job and run it to the end; its final state (done, failed, or lost when
    another worker took it over), or None when no job waits."""
    with db.reading() as session:
        waiting = queue.any_to_take(session, clock())
    if not waiting:
        return None
    with db.writing() as session:
        claim = queue.take(session, worker or queue.worker_name(), clock())
    if claim is None:
        return None
    return run_claimed(db, claim, clock)


def run_claimed(db: Database, claim: Claim, clock: Callable[[], datetime] = utcnow) -> str:
    """Run a job this worker holds; returns its final state."""

    def report(**values: object) -> None:
        with db.writing() as session:
            queue.report(session, claim, **values)

    def progress(done: int, total: int) -> None:
        report(rows_done=done, rows_total=total, heartbeat_at=clock())

    try:
        with _beating(lambda: report(heartbeat_at=clock())):
            with tempfile.TemporaryDirectory(prefix="survey-export-") as folder:
                name, rows, path = _write_file(db, claim.job_id, Path(folder), clock, progress)
                with db.writing() as session, path.open("rb") as source:
                    pieces = iter(lambda: source.read(queue.CHUNK_BYTES), b"")
                    queue.finish(session, claim, pieces, file_name=name, rows=rows, now=clock())
    except JobLost:
        log.warning("export job %s was taken over by another worker", claim.job_id)
        return "lost"
    except (WorkerStopped, KeyboardInterrupt):
        with db.writing() as session:
            queue.release(session, claim)
        log.info("export job %s put back in the queue: the worker is stopping", claim.job_id)
        raise
    except Exception as error:  # noqa: BLE001 - any failure ends the job with its reason
        log.warning("export job %s failed: %s", claim.job_id, jobs.one_line(error))
        with db.writing() as session:
            queue.fail(session, claim, jobs.one_line(error), clock())
        return "failed"
    log.info("export job %s done", claim.job_id)
    return "done"


def _write_file(
    db: Database,
    job_id: str,
    folder: Path,
    clock: Callable[[], datetime],
    progress: Callable[[int, int], None],
) -> tuple[str, int, Path]:
    """Write a held job's file into `folder` from one snapshot (`Database.snapshot`: its
    counts and rows agree whatever is saved meanwhile); returns its name, its number of rows
    and where it is."""
    with db.snapshot() as session:
        job = session.get(ExportJob, job_id)
        survey = session.get(Survey, job.survey_id) if job is not None else None
        if job is None or survey is None:
            raise jobs.JobError("the survey of this export no longer exists")
        options = jobs.options_from(job.options)
        now = clock()
        export = build.prepare(session, survey, options, now=now, progress=progress)
        progress(0, export.total)
        name = build.file_name(survey.slug, options.format, now)
        path = folder / name
        build.write(export, path, name=name)
    return name, export.total, path


@contextmanager
def _beating(beat: Callable[[], None]) -> Iterator[None]:
    """Call `beat` every HEARTBEAT_EVERY in a thread while the block runs (a file format that
    writes for a long time without a progress report still shows that its worker is alive)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(jobs.HEARTBEAT_EVERY.total_seconds()):
            try:
                beat()
            except JobLost:
                return
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next one
                continue

    thread = threading.Thread(target=loop, name="export-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def work(
    db: Database,
    stop: threading.Event,
    *,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], datetime] = utcnow,
    parent: int | None = None,
) -> None:
    """Run jobs until `stop` is set (or, given `parent`, until that process is gone: a worker
    started by `survey serve` ends with it). A database that does not answer is waited for."""
    worker = queue.worker_name()
    while not stop.is_set() and (parent is None or os.getppid() == parent):
        try:
            ran = run_next(db, clock, worker)
        except DBAPIError as error:
            log.warning("export worker: the database does not answer (%s)", error.orig)
            ran = None
        if ran is None:
            stop.wait(poll_seconds)
