"""Running the installed `survey` console script as an operator does, in a folder of its own."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tests.ports import free_port

# The console script next to the interpreter running the tests (the project's virtualenv).
SURVEY = Path(sys.executable).with_name("survey")
# Variables of the developer's or CI's own environment that would point a run elsewhere.
_SETTINGS = (
    "SURVEY_DATABASE_URL",
    "SURVEY_SECRET_KEY",
    "SURVEY_RESUME_KEY",
    "SURVEY_QUESTIONNAIRES_PATH",
    "SURVEY_PUBLIC_URL",
    "SURVEY_TRUSTED_HOSTS",
)


def environment(folder: Path) -> dict[str, str]:
    """The environment of a run whose instance and exports folders are inside `folder`."""
    env = {key: value for key, value in os.environ.items() if key not in _SETTINGS}
    env.update(
        SURVEY_INSTANCE_PATH=str(folder / "instance"),
        SURVEY_EXPORTS_PATH=str(folder / "exports"),
        PYTHONUNBUFFERED="1",
    )
    return env


def _started_with(umask: int | None) -> dict[str, Any]:
    """Popen arguments that give the command the umask of an operator's shell."""
    return {} if umask is None else {"preexec_fn": lambda: os.umask(umask)}


def run(
    *args: str,
    env: dict[str, str],
    cwd: Path,
    survey: Path = SURVEY,
    umask: int | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`survey ARGS...`, its output captured as text."""
    return subprocess.run(
        [str(survey), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **_started_with(umask),
    )


def get(
    port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 10
) -> tuple[int, str]:
    """Status and body of GET `path` from a server on this machine (redirects not followed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@contextmanager
def serving(
    env: dict[str, str],
    cwd: Path,
    survey: Path = SURVEY,
    umask: int | None = None,
    stdout: IO[bytes] | int = subprocess.DEVNULL,
    stderr: IO[bytes] | int = subprocess.DEVNULL,
    options: tuple[str, ...] = ("--workers", "1"),
) -> Iterator[int]:
    """`survey serve` (one worker, unless `options` say otherwise) on a free port, answering;
    stopped (SIGTERM) at the end."""
    port = free_port()
    server = subprocess.Popen(
        [str(survey), "serve", "--port", str(port), *options],
        env=env,
        cwd=cwd,
        stdout=stdout,
        stderr=stderr,
        **_started_with(umask),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise AssertionError(f"survey serve stopped (exit {server.returncode})")
            try:
                if get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("survey serve did not answer within 30 s")
            time.sleep(0.2)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
