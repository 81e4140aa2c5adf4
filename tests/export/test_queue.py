"""The queue of export jobs as workers see it: the oldest waiting job first, each taken by one
worker, taken again when its worker dies (once), a worker given up on cannot overwrite the one
that took over, and a finished file stored in pieces in the database with the job done."""

from __future__ import annotations

import csv
import io
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from survey.export import build, queue, worker
from survey.models import ExportChunk, ExportJob
from survey.questionnaire_store import find_survey
from tests.respondent import MEMBER_ANSWERS, Respondent

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
HERE = queue.worker_name().rpartition(":")[0]


def add_job(app: Flask, job_id: str, *, minutes_ago: int = 0, **values) -> None:
    with app.extensions["survey_db"].writing() as session:
        survey = find_survey(session, "we-own-it")
        session.add(
            ExportJob(
                **{
                    "id": job_id,
                    "survey_id": survey.id,
                    "created_by": "r@example.org",
                    "options": {"format": "csv"},
                    "state": "queued",
                    "rows_done": 0,
                    "created_at": NOW - timedelta(minutes=minutes_ago),
                    **values,
                }
            )
        )


def take(app: Flask, worker_name: str, now: datetime = NOW) -> queue.Claim | None:
    with app.extensions["survey_db"].writing() as session:
        return queue.take(session, worker_name, now)


def job(app: Flask, job_id: str) -> ExportJob:
    with app.extensions["survey_db"].reading() as session:
        found = session.get(ExportJob, job_id)
        assert found is not None
        return found


def stored(app: Flask, job_id: str) -> bytes:
    db = app.extensions["survey_db"]
    with db.reading() as session:
        count = queue.piece_count(session, job_id)
    return b"".join(queue.stream(db, job_id, count))


def dead_process_here() -> str:
    """The holder name of a process of this machine that has ended."""
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return f"{HERE}:{ended.stdout.strip()}"


def test_the_oldest_waiting_job_is_taken_first_and_each_only_once(app):
    add_job(app, "newer", minutes_ago=1)
    add_job(app, "older", minutes_ago=2)
    first, second = take(app, "a:1"), take(app, "b:2")
    assert (first.job_id, first.worker, first.attempt) == ("older", "a:1", 1)
    assert (second.job_id, second.worker) == ("newer", "b:2")
    assert take(app, "c:3") is None, "both are held by living workers"
    held = job(app, "older")
    assert (held.state, held.worker, held.attempts, held.heartbeat_at) == ("running", "a:1", 1, NOW)


def test_a_job_whose_worker_died_on_this_machine_is_taken_again_at_once(app):
    add_job(app, "j1", state="running", worker=dead_process_here(), attempts=1, heartbeat_at=NOW)
    claim = take(app, queue.worker_name())
    assert claim is not None and (claim.job_id, claim.attempt) == ("j1", 2)


def test_a_dead_process_id_under_this_host_name_on_another_machine_is_waited_for(app):
    """Two servers may have one host name (cloned from one image, or containers): a process
    id is only compared with this machine's processes when the boot and namespace agree."""
    pid = dead_process_here().rpartition(":")[2]  # no process here has it
    for holder in (f"{socket.gethostname()}:{pid}", f"{socket.gethostname()}/0a1b2c3d/1:{pid}"):
        add_job(app, holder, state="running", worker=holder, heartbeat_at=NOW)
    assert take(app, "a:1") is None, "beating on another machine: not taken"
    assert take(app, "a:1", NOW + timedelta(minutes=3)) is not None  # once it stops beating


def test_a_job_whose_worker_elsewhere_stopped_beating_is_taken_again(app):
    add_job(app, "j1", state="running", worker="elsewhere:1", attempts=1, heartbeat_at=NOW)
    assert take(app, "a:1", NOW + timedelta(seconds=30)) is None, "still beating recently"
    claim = take(app, "a:1", NOW + timedelta(minutes=3))
    assert claim is not None and claim.attempt == 2


def test_a_job_that_lost_its_worker_twice_fails_with_the_reason(app):
    add_job(app, "j1", state="running", worker=dead_process_here(), attempts=2, heartbeat_at=NOW)
    assert take(app, "a:1") is None
    failed = job(app, "j1")
    assert (failed.state, failed.error) == ("failed", queue.GAVE_UP)


def test_a_worker_given_up_on_cannot_touch_the_job_it_lost(app):
    db = app.extensions["survey_db"]
    add_job(app, "j1")
    slow = take(app, "slow:1")
    later = NOW + timedelta(minutes=3)  # no heartbeat since: another worker takes it over
    fast = take(app, "fast:2", later)
    assert fast is not None and fast.attempt == 2
    with pytest.raises(queue.JobLost), db.writing() as session:
        queue.report(session, slow, rows_done=5)
    with pytest.raises(queue.JobLost), db.writing() as session:
        queue.finish(session, slow, [b"half"], file_name="x.csv", rows=1, now=later)
    with db.writing() as session:
        queue.fail(session, slow, "too late", later)
    assert job(app, "j1").state == "running" and stored(app, "j1") == b""
    with db.writing() as session:
        queue.finish(session, fast, [b"a,b\n", b"1,2\n"], file_name="x.csv", rows=1, now=later)
    done = job(app, "j1")
    assert (done.state, done.size_bytes, done.file_name) == ("done", 8, "x.csv")
    assert stored(app, "j1") == b"a,b\n1,2\n"


def test_a_released_job_waits_again_as_if_never_taken(app):
    add_job(app, "j1")
    claim = take(app, "a:1")
    with app.extensions["survey_db"].writing() as session:
        queue.release(session, claim)
    back = job(app, "j1")
    assert (back.state, back.worker, back.attempts) == ("queued", None, 0)
    assert take(app, "b:2").attempt == 1


def test_the_worker_stores_the_file_in_pieces_and_marks_the_job_done(app, monkeypatch):
    for _ in range(2):
        person = Respondent(app.test_client())
        assert person.start().status_code == 302
        person.answer_all(MEMBER_ANSWERS)
        assert person.submit().status_code == 302
    monkeypatch.setattr(queue, "CHUNK_BYTES", 100)
    add_job(app, "j1")
    assert worker.run_next(app.extensions["survey_db"], lambda: NOW) == "done"
    assert worker.run_next(app.extensions["survey_db"], lambda: NOW) is None, "nothing waits"
    done = job(app, "j1")
    with app.extensions["survey_db"].reading() as session:
        sizes = list(
            session.scalars(
                select(ExportChunk.data)
                .where(ExportChunk.job_id == "j1")
                .order_by(ExportChunk.number)
            )
        )
    assert len(sizes) > 2 and all(len(piece) == 100 for piece in sizes[:-1])
    content = stored(app, "j1")
    assert done.size_bytes == len(content) and done.rows_done == 2
    assert done.file_name == build.file_name("we-own-it", "csv", NOW)
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [row["country"] for row in rows] == ["AR", "AR"]


def test_a_failing_export_ends_failed_with_a_one_line_reason(app):
    add_job(app, "j1")
    with app.extensions["survey_db"].writing() as session:
        session.execute(update(ExportJob).values(options={"format": "csv", "language": "xx"}))
    assert worker.run_next(app.extensions["survey_db"], lambda: NOW) == "failed"
    failed = job(app, "j1")
    assert failed.state == "failed" and failed.error and "\n" not in failed.error
    assert stored(app, "j1") == b""


def test_a_worker_asked_to_stop_puts_its_job_back(app, monkeypatch):
    """A signal arriving while the file is written (survey.cli.export: SIGTERM, Ctrl-C)."""

    def interrupted(*_args, **_kwargs) -> None:
        raise worker.WorkerStopped("SIGTERM")

    monkeypatch.setattr(build, "write", interrupted)
    add_job(app, "j1")
    with pytest.raises(worker.WorkerStopped):
        worker.run_next(app.extensions["survey_db"], lambda: NOW)
    back = job(app, "j1")
    assert (back.state, back.attempts) == ("queued", 0) and stored(app, "j1") == b""


def test_workers_racing_for_the_queue_take_each_job_once(app, real_commits):
    for number in range(8):
        add_job(app, f"j{number}", minutes_ago=number)
    taken: list[str] = []
    start = threading.Barrier(3)

    def drain(name: str) -> None:
        start.wait()
        while (claim := take(app, name)) is not None:
            taken.append(claim.job_id)

    threads = [threading.Thread(target=drain, args=(f"w:{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(taken) == sorted(f"j{number}" for number in range(8))


def test_an_idle_worker_finds_nothing_to_take_by_reading(app):
    """A worker reads whether anything is free before it takes a write transaction: a job
    held by a worker still beating is not, a job waiting or whose worker went quiet is."""
    add_job(app, "held", state="running", worker="elsewhere:1", attempts=1, heartbeat_at=NOW)
    db = app.extensions["survey_db"]
    with db.reading() as session:
        assert not queue.any_to_take(session, NOW)
        assert queue.any_to_take(session, NOW + timedelta(minutes=3)), "its worker went quiet"
    add_job(app, "waiting")
    with db.reading() as session:
        assert queue.any_to_take(session, NOW)
