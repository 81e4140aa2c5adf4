"""Background export jobs know when their process is gone: a heartbeat while they run."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from survey.export import jobs, worker
from survey.models import ExportJob

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
