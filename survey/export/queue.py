"""The queue of export jobs, as the workers see it: take the next job, report progress, store
the finished file, or fail with a reason.

Jobs wait in `export_jobs` (added by the Exports page, survey.export.jobs.create_job). Any
server's worker takes the oldest waiting one: on PostgreSQL with `SELECT … FOR UPDATE SKIP
LOCKED`, so two workers never take the same row and neither waits for the other; on SQLite the
write transaction (BEGIN IMMEDIATE) already lets one worker in at a time. A job whose worker
has gone (it stopped beating for LOST_AFTER, or it was a process of this machine that no longer
exists) is taken again, up to MAX_ATTEMPTS times in all, then marked failed.

A worker changes its job only while it still holds it (same worker name and attempt): a worker
that was given up on and comes back finds its job gone (`JobLost`) instead of overwriting the
work of the one that took it over. The finished file is stored in the same transaction that
marks the job done: a job is never done without its whole file, and a file is never offered
for a job that is not done.

Every function flushes and leaves the commit to the caller (the worker's short transactions).
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from survey.db import Database, affected
from survey.export.jobs import ACTIVE_STATES, MAX_ERROR_LENGTH, is_stale
from survey.models import ExportChunk, ExportJob

# A job is taken at most this many times: the second time its worker dies with it (the
# machine ran out of memory, say), it is marked failed rather than taken for ever.
MAX_ATTEMPTS = 2
# Files are stored and sent in pieces of this size: memory stays flat whatever the file.
CHUNK_BYTES = 1024 * 1024
GAVE_UP = (
    "the export stopped twice before it finished (its worker was stopped); "
    "start it again, or ask an admin to check the server"
)


class JobLost(RuntimeError):
    """The worker no longer holds its job: taken over by another worker, or deleted."""


@dataclass(frozen=True)
class Claim:
    """A job held by a worker: which job, which worker, which attempt."""

    job_id: str
    worker: str
    attempt: int


def worker_name() -> str:
    """This process as a job's holder: where its process id means something, and that id."""
    return f"{_process_space()}:{os.getpid()}"


@functools.cache
def _process_space() -> str:
    """The host name, and where the kernel gives them, this boot of it and the processes'
    namespace: process ids of two holders can be compared only when all three agree. A host
    name alone is not enough: two servers cloned from one image, or two containers, can have
    the same name, and one would take the other's running job for a dead one of its own."""
    parts = [socket.gethostname()]
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8])
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    except OSError:  # no /proc (not Linux): the host name alone, as before
        pass
    return "/".join(parts)


def _gone_from_this_machine(holder: str | None) -> bool:
    """Whether `holder` was a process of this machine that no longer exists (no need to wait
    for its heartbeat to stop: it was killed, and its job can be taken at once)."""
    space, _, pid = (holder or "").rpartition(":")
    if space != _process_space() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _free(job: ExportJob, now: datetime) -> bool:
    """Whether a worker may take `job`: waiting, or its worker has gone."""
    return job.state == "queued" or is_stale(job, now) or _gone_from_this_machine(job.worker)


def any_to_take(session: Session, now: datetime) -> bool:
    """Whether a job waits, or has lost its worker: read first, so an idle worker looking at
    the queue every second takes no write lock (SQLite has one for the whole database)."""
    active = session.scalars(select(ExportJob).where(ExportJob.state.in_(ACTIVE_STATES)))
    return any(_free(job, now) for job in active)


def take(session: Session, worker: str, now: datetime) -> Claim | None:
    """The oldest job waiting, or whose worker has gone, now held by `worker`; None if none."""
    waiting = (
        select(ExportJob)
        .where(ExportJob.state.in_(ACTIVE_STATES))
        .order_by(ExportJob.created_at, ExportJob.id)
        .with_for_update(skip_locked=True)
    )
    for job in session.scalars(waiting):
        if not _free(job, now):
            continue  # running, and its worker is alive
        if job.attempts >= MAX_ATTEMPTS:
            job.state, job.error, job.finished_at = "failed", GAVE_UP, now
            continue
        job.state, job.worker, job.heartbeat_at = "running", worker, now
        job.attempts += 1
        job.rows_done, job.rows_total = 0, None
        session.flush()
        return Claim(job.id, worker, job.attempts)
    session.flush()
    return None


def _held(claim: Claim) -> Any:
    return (
        (ExportJob.id == claim.job_id)
        & (ExportJob.state == "running")
        & (ExportJob.worker == claim.worker)
        & (ExportJob.attempts == claim.attempt)
    )


def report(session: Session, claim: Claim, **values: Any) -> None:
    """Set columns of a held job (progress, heartbeat); JobLost if it is held no more."""
    if not affected(session.execute(update(ExportJob).where(_held(claim)).values(**values))):
        raise JobLost(f"export job {claim.job_id} is no longer held by {claim.worker}")


def finish(
    session: Session,
    claim: Claim,
    pieces: Iterable[bytes],
    *,
    file_name: str,
    rows: int,
    now: datetime,
) -> int:
    """Store the file's pieces and mark the job done, in the caller's one transaction; returns
    the file's size. JobLost (and nothing stored, once the caller rolls back) if the job is
    held no more."""
    report(session, claim, heartbeat_at=now)
    session.execute(delete(ExportChunk).where(ExportChunk.job_id == claim.job_id))
    size = 0
    for number, data in enumerate(pieces):
        session.execute(insert(ExportChunk).values(job_id=claim.job_id, number=number, data=data))
        size += len(data)
    report(
        session,
        claim,
        state="done",
        rows_done=rows,
        file_name=file_name,
        size_bytes=size,
        finished_at=now,
    )
    return size


def fail(session: Session, claim: Claim, reason: str, now: datetime) -> None:
    """Mark a held job failed with a one-line reason (nothing if it is held no more)."""
    session.execute(
        update(ExportJob)
        .where(_held(claim))
        .values(state="failed", error=reason[:MAX_ERROR_LENGTH], finished_at=now)
    )


def release(session: Session, claim: Claim) -> None:
    """Put a held job back in the queue, as if never taken (its worker is stopping)."""
    session.execute(
        update(ExportJob)
        .where(_held(claim))
        .values(state="queued", worker=None, attempts=claim.attempt - 1, rows_done=0)
    )


def piece_count(session: Session, job_id: str) -> int:
    """How many pieces a job's stored file has."""
    return (
        session.scalar(
            select(func.count()).select_from(ExportChunk).where(ExportChunk.job_id == job_id)
        )
        or 0
    )


def stream(db: Database, job_id: str, count: int) -> Iterator[bytes]:
    """A stored file, a piece at a time, each read in a short transaction of its own (a slow
    download holds no transaction open). Ends early if the job is deleted meanwhile: the
    response's length then tells the browser the download is incomplete."""
    for number in range(count):
        with db.reading() as session:
            data = session.scalar(
                select(ExportChunk.data).where(
                    ExportChunk.job_id == job_id, ExportChunk.number == number
                )
            )
        if data is None:
            return
        yield data
