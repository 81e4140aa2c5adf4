"""The export worker as an operator runs it: `survey serve` starts one beside the web server,
starts another when it dies, and stops it when the server stops; `survey export-worker` runs
the queue on its own and ends cleanly on SIGTERM (what it does with a job it holds then is in
tests/export/test_queue.py)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.site import LOCAL_HOST, SURVEY, stop, wait_until_healthy
from tests.export.test_queue import add_job, job
from tests.faults.processes import wait_for
from tests.ports import free_port

WAIT_SECONDS = 20


def environment(root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SURVEY_")}
    instance = root / "instance"
    env.update(
        HOME=str(root),
        SURVEY_INSTANCE_PATH=str(instance),
        SURVEY_DATABASE_URL=f"sqlite:///{instance / 'survey.db'}",
    )
    return env


def export_workers_of(parent: int) -> list[int]:
    """The `survey export-worker` children of a process."""
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rpartition(")")[2].split()
            command = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"export-worker" in command:
            found.append(int(status.parent.name))
    return found


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    env = environment(tmp_path)
    subprocess.run([str(SURVEY), "init"], env=env, check=True, capture_output=True, timeout=120)
    port, log = free_port(), tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(SURVEY), "serve", "--host", LOCAL_HOST, "--port", str(port), "--workers", "1"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(f"http://{LOCAL_HOST}:{port}/healthz", server, log)
        yield server, log
    finally:
        stop(server)


def test_serve_keeps_an_export_worker_running_and_stops_it_with_the_server(served):
    server, log = served
    wait_for("export worker", lambda: len(export_workers_of(server.pid)) == 1, WAIT_SECONDS)
    [first] = export_workers_of(server.pid)
    os.kill(first, signal.SIGKILL)
    wait_for(
        "export worker started again",
        lambda: [pid for pid in export_workers_of(server.pid) if pid != first],
        WAIT_SECONDS,
    )
    [second] = export_workers_of(server.pid)
    stop(server)
    assert server.returncode == 0, log.read_text()
    wait_for("end of the export worker", lambda: not Path(f"/proc/{second}").exists(), WAIT_SECONDS)


def test_export_worker_runs_the_queue_and_ends_cleanly_on_sigterm(app, real_commits, tmp_path):
    add_job(app, "j1")
    env = {**environment(tmp_path), "SURVEY_DATABASE_URL": app.extensions["survey_db"].url}
    worker = subprocess.Popen(
        [str(SURVEY), "export-worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_for("export done by the worker", lambda: job(app, "j1").state == "done", WAIT_SECONDS)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=WAIT_SECONDS)
    finally:
        stop(worker)
    assert worker.returncode == 0, output
    assert b"export worker: stopped" in output
    assert job(app, "j1").worker.endswith(f":{worker.pid}")
