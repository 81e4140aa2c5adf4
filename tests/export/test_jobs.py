"""Export jobs: they know when their worker is gone (a heartbeat while they run), and they
write in the caller's transaction, never committing it themselves."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from survey.accounts import find_user
from survey.export import jobs, queue, worker
from survey.export.source import ExportOptions
from survey.models import AuditEvent, ExportJob
from survey.questionnaire_store import find_survey

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def job(state: str, *, created: timedelta, heartbeat: timedelta | None = None) -> ExportJob:
    return ExportJob(
        id="j" * 32,
        survey_id=1,
        created_by="a@example.org",
        options={},
        state=state,
        rows_done=0,
        created_at=NOW - created,
        heartbeat_at=None if heartbeat is None else NOW - heartbeat,
    )


@pytest.mark.parametrize(
    ("state", "created", "heartbeat", "lost"),
    [
        ("running", timedelta(hours=5), timedelta(seconds=30), False),  # long, but alive
        ("running", timedelta(minutes=10), timedelta(minutes=3), True),  # beats stopped
        ("queued", timedelta(seconds=20), None, False),  # its process is starting
        ("queued", timedelta(minutes=3), None, True),  # never picked up
        ("done", timedelta(days=3), timedelta(days=3), False),
        ("failed", timedelta(days=3), None, False),
    ],
)
def test_a_job_is_lost_when_its_process_stops_beating(state, created, heartbeat, lost):
    assert jobs.is_stale(job(state, created=created, heartbeat=heartbeat), NOW) is lost


def test_naive_times_from_sqlite_are_read_as_utc():
    naive = job("running", created=timedelta(minutes=5), heartbeat=timedelta(minutes=3))
    naive.heartbeat_at = naive.heartbeat_at.replace(tzinfo=None)
    assert jobs.is_stale(naive, NOW)


def test_the_heartbeat_beats_while_the_block_runs_and_stops_after(monkeypatch):
    monkeypatch.setattr(jobs, "HEARTBEAT_EVERY", timedelta(seconds=0.02))
    beats: list[float] = []
    before = threading.active_count()

    with worker._beating(lambda: beats.append(time.monotonic())):
        time.sleep(0.2)
    during = len(beats)
    time.sleep(0.1)

    assert during >= 3
    assert len(beats) == during  # none after the block
    assert threading.active_count() == before


def test_a_failing_beat_does_not_stop_the_next(monkeypatch):
    monkeypatch.setattr(jobs, "HEARTBEAT_EVERY", timedelta(seconds=0.02))
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database is locked")

    with worker._beating(flaky):
        time.sleep(0.15)

    assert len(calls) >= 3


class _RolledBack(Exception):
    pass


def test_job_functions_flush_and_leave_the_commit_to_the_caller(app, make_user, tmp_path):
    """One unit of work per request: what a job function adds goes when the caller rolls back."""
    db = app.extensions["survey_db"]
    email, _ = make_user("researcher", "r@example.org")
    with db.reading() as session:
        survey = find_survey(session, "we-own-it")
        actor = find_user(session, email)

    def export_events(session) -> list[AuditEvent]:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "export")))

    def nothing_kept() -> bool:
        with db.reading() as session:
            return session.scalars(select(ExportJob)).all() == [] and export_events(session) == []

    with pytest.raises(_RolledBack), db.writing() as session:
        job_id = jobs.create_job(session, survey, ExportOptions(), actor, NOW)
        assert session.get(ExportJob, job_id).state == "queued"
        assert [event.after["job"] for event in export_events(session)] == [job_id]
        raise _RolledBack
    with pytest.raises(_RolledBack), db.writing() as session:
        jobs.record_export(
            session, "we-own-it", ExportOptions(), rows=0, file_name="x.csv", actor=None, now=NOW
        )
        assert len(export_events(session)) == 1
        raise _RolledBack
    assert nothing_kept()

    with db.writing() as session:  # the caller commits once: the job and its audit together
        job_id = jobs.create_job(session, survey, ExportOptions(), actor, NOW)
    with pytest.raises(_RolledBack), db.writing() as session:
        assert queue.take(session, "worker:1", NOW).job_id == job_id
        assert queue.take(session, "worker:2", NOW) is None, "a job is taken once"
        raise _RolledBack
    with db.reading() as session:
        assert session.get(ExportJob, job_id).state == "queued"
        assert len(export_events(session)) == 1
