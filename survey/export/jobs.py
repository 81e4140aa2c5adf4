"""Export jobs as the Exports page and the command line see them, and the audit of exports,
in the caller's transaction.

Every function here takes a session, adds or changes rows and flushes; none commits. The
caller is one unit of work and commits once: the web request (`create_job`, `delete_job`) or
the command line (`record_export`). The workers' side of a job (taking it, its progress, its
stored file) is survey.export.queue.

A job's file is stored in the database (`export_chunks`) under a name made by
`build.file_name` (survey slug, UTC time, format): never text a person typed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from survey import audit
from survey.export.model import ExportError
from survey.export.source import ExportOptions
from survey.models import ExportJob, Survey, User, as_utc

ACTION = "export"
DELETE_ACTION = "export.delete"
ACTIVE_STATES = ("queued", "running")
MAX_ERROR_LENGTH = 300
# A running job's worker beats every HEARTBEAT_EVERY (survey.export.worker); a job that has
# missed several beats has lost its worker (killed, machine restarted) and is taken again by
# another (survey.export.queue); one waiting that long has found no worker, and is shown so.
HEARTBEAT_EVERY = timedelta(seconds=20)
LOST_AFTER = timedelta(minutes=2)
# Exports are heavy (each reads every response): one at a time per person, and a few waiting or
# running on the whole platform; a further request is refused with the reason.
MAX_RUNNING_PER_PERSON = 1
MAX_RUNNING = 3
# PostgreSQL advisory lock taken while a job is admitted (checked against the caps and added).
_ADMISSION_LOCK = (0x5355, 0x4558)


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
        leave_out_flagged=bool(values.get("leave_out_flagged")),
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
    if values.get("leave_out_flagged"):
        parts.append("flagged left out")
    if values.get("with_personal_data"):
        parts.append("with personal data")
    return ", ".join(parts)


# -- the command line --------------------------------------------------------------------------


def record_export(
    session: Session,
    survey_slug: str,
    options: ExportOptions,
    *,
    rows: int,
    file_name: str,
    actor: User | None,
    now: datetime,
) -> None:
    """The audit event of an export written at once (who, which options, how many rows)."""
    audit.record(
        session,
        actor=actor,
        action=ACTION,
        at=now,
        target=f"survey:{survey_slug}",
        after={"options": options.describe(), "rows": rows, "file": file_name},
    )
    session.flush()


# -- the Exports page --------------------------------------------------------------------------


def _admit(session: Session, actor: User, now: datetime) -> None:
    """JobError if `actor` already has an export running, or MAX_RUNNING run on the platform."""
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


def create_job(
    session: Session, survey: Survey, options: ExportOptions, actor: User, now: datetime
) -> str:
    """A queued job and its audit event; returns the job's id.

    JobError if the person already has an export running, or MAX_RUNNING run on the platform.
    Once the caller commits, a worker of any server takes it (survey.export.queue.take).
    """
    _admit(session, actor, now)
    job_id = secrets.token_hex(16)
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
    session.flush()
    return job_id


def delete_job(session: Session, job_id: str, actor: User, now: datetime) -> None:
    """Remove a job's row and its stored file, and log it."""
    job = session.get(ExportJob, job_id)
    if job is None:
        raise JobError(f"no export job {job_id!r}")
    if job.state in ACTIVE_STATES and not is_stale(job, now):
        raise JobError("this export is still running; delete it when it has finished")
    survey = session.get(Survey, job.survey_id)
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
    session.delete(job)  # its file's pieces go with it (ON DELETE CASCADE)
    session.flush()


def is_stale(job: ExportJob, now: datetime) -> bool:
    """A job queued or running that no worker has shown signs of for LOST_AFTER: never taken,
    or no heartbeat from its worker."""
    if job.state not in ACTIVE_STATES:
        return False
    return now - as_utc(job.heartbeat_at or job.created_at) > LOST_AFTER


def jobs_of(session: Session, survey: Survey, made_by: int | None = None) -> list[ExportJob]:
    """The survey's export jobs, newest first; only those `made_by` a user when given."""
    query = select(ExportJob).where(ExportJob.survey_id == survey.id)
    if made_by is not None:
        query = query.where(ExportJob.created_by_id == made_by)
    return list(session.scalars(query.order_by(ExportJob.created_at.desc(), ExportJob.id)))


# -- a failed job's reason --------------------------------------------------------------------


def one_line(error: BaseException) -> str:
    """The reason a job failed, as the list of exports shows it."""
    lines = str(error).strip().splitlines()
    reason = lines[0] if lines else error.__class__.__name__
    if not isinstance(error, ExportError | JobError):
        reason = f"{error.__class__.__name__}: {reason}"
    return reason[:MAX_ERROR_LENGTH]
