"""The parts of a deployment as processes a test can start, stop, kill and restart: a private
PostgreSQL cluster, a Redis, `survey serve` and HAProxy, each on free ports of 127.0.0.1.

Every process here is started by the test and ended by it (by its own id, or its own process
group for `survey serve`); every wait is bounded.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unavailable
from tests.deploy.site import LOCAL_HOST, SURVEY, stop, wait_until_healthy
from tests.ports import free_port

STARTUP_SECONDS = 30
STOP_SECONDS = 15


def program(name: str, package: str) -> str:
    """A command of the system; skipped locally when missing, a failure in CI."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        unavailable(f"{name} is not installed (Debian package {package})")
    return str(found)


def postgres_bin() -> Path:
    """The newest PostgreSQL server programs installed (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not found:
        unavailable("PostgreSQL's initdb is not installed (Debian package postgresql)")
    return Path(found[-1]).parent


def _version(path: str) -> int:
    number = Path(path).parents[1].name
    return int(number) if number.isdigit() else 0


def wait_for(what: str, condition: Callable[[], bool], seconds: float = STARTUP_SECONDS) -> None:
    """Return once `condition()` holds; fail the test if it does not within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {seconds} s")


def answers_on(port: int) -> bool:
    """Whether something accepts connections on `port` of 127.0.0.1."""
    try:
        with socket.create_connection((LOCAL_HOST, port), timeout=1):
            return True
    except OSError:
        return False


class Postgres:
    """A throwaway PostgreSQL cluster of its own (fsync off) that a test may stop and restart
    without touching the PostgreSQL the rest of the suite uses. As root, it runs as the
    system user postgres (PostgreSQL refuses root)."""

    def __init__(self, folder: Path):
        self.bin = postgres_bin()
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = free_port()
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            self._as_owner = [program("runuser", "util-linux"), "-u", "postgres", "--"]
            owner = pwd.getpwnam("postgres")
            os.chown(folder, owner.pw_uid, owner.pw_gid)

    def url(self, database: str = "survey") -> str:
        return f"postgresql+psycopg://postgres@{LOCAL_HOST}:{self.port}/{database}"

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as_owner, *command],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.folder,
        )

    def _pg_ctl(self, *arguments: str) -> None:
        result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), *arguments)
        assert result.returncode == 0, f"pg_ctl {arguments}: {result.stderr}{self._log_tail()}"

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def create(self) -> None:
        """initdb, and the settings every start uses: this address and port only, no fsync."""
        result = self._run(
            str(self.bin / "initdb"),
            *("-D", str(self.data), "-U", "postgres", "-A", "trust"),
            *("--no-sync", "--encoding", "UTF8", "--locale", "C"),
        )
        assert result.returncode == 0, result.stderr
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\n"
                f"listen_addresses = '{LOCAL_HOST}'\n"
                f"unix_socket_directories = '{self.folder}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 200\n"
            )

    def create_database(self, name: str) -> None:
        where = ("-h", LOCAL_HOST, "-p", str(self.port), "-U", "postgres")
        result = self._run(str(self.bin / "createdb"), *where, name)
        assert result.returncode == 0, result.stderr

    def start(self) -> None:
        self._pg_ctl("-l", str(self.log), "-w", "-t", str(STARTUP_SECONDS), "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "-t", str(STOP_SECONDS), "stop")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: sessions cut, the server down for a moment, then back."""
        self._pg_ctl("-m", "fast", "-w", "-t", str(STARTUP_SECONDS), "restart")

    @property
    def running(self) -> bool:
        return self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "status").returncode == 0

    def close(self) -> None:
        """Stopped at once, whatever it was doing; its files are removed by the caller."""
        if self.data.exists() and self.running:
            self._pg_ctl("-m", "immediate", "-w", "-t", str(STOP_SECONDS), "stop")


class Redis:
    """A Redis that keeps nothing on disk, which a test may stop and start again."""

    def __init__(self, folder: Path):
        self.program = program("redis-server", "redis-server")
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOCAL_HOST}:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                [self.program, "--port", str(self.port), "--bind", LOCAL_HOST]
                + ["--save", "", "--appendonly", "no", "--dir", str(self.folder)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_for("redis-server answers", lambda: answers_on(self.port))

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def forget_everything(self) -> None:
        """FLUSHALL: every rate-limit count starts again from zero."""
        with self._client() as client:
            client.flushall()

    def counted(self, *words: str) -> int:
        """The rate-limit count stored under the one key naming all these words (0: none)."""
        with self._client() as client:
            keys = [
                key
                for key in client.scan_iter(match="LIMITS:*", count=1000)
                if all(word in key.decode() for word in words)
            ]
            assert len(keys) <= 1, keys
            return int(client.get(keys[0]) or 0) if keys else 0

    @contextmanager
    def _client(self) -> Iterator[Any]:
        import redis

        client = redis.Redis(host=LOCAL_HOST, port=self.port, socket_timeout=5)
        try:
            yield client
        finally:
            client.close()


class AppServer:
    """`survey serve` with its own instance folder. Its process group (gunicorn's master and
    workers) is what `kill` ends, as a machine that dies would."""

    def __init__(self, name: str, folder: Path, environment: dict[str, str], workers: int):
        self.name = name
        self.folder = folder
        self.port = free_port()
        self.workers = workers
        self.log = folder / "serve.log"
        self.environment = {
            **environment,
            "HOME": str(folder / "home"),  # gunicorn keeps a control socket there
            "SURVEY_INSTANCE_PATH": str(folder / "instance"),
            "SURVEY_EXPORTS_PATH": str(folder / "exports"),
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOCAL_HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.launch()
        self.wait_until_healthy()

    def launch(self) -> None:
        """Start `survey serve`, in a process group of its own, without waiting for it."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SURVEY), "serve", "--host", LOCAL_HOST, "--port", str(self.port)]
                + ["--workers", str(self.workers)],
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_until_healthy(self) -> None:
        assert self.process is not None
        wait_until_healthy(f"{self.url}/healthz", self.process, self.log)

    def _signal_group(self, number: signal.Signals) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, number)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL to master and workers at once: no request finishes, nothing is cleaned up."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        """SIGTERM (gunicorn finishes what is in flight), SIGKILL if that takes too long."""
        if self.process is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        # Workers left behind by a master that died first are in the same group.
        self.kill()


class Balancer:
    """HAProxy in the foreground (-db) with a configuration made from deploy/haproxy.cfg."""

    def __init__(self, folder: Path, config: Path, https_port: int):
        self.program = program("haproxy", "haproxy")
        self.folder = folder
        self.config = config
        self.https_port = https_port
        # The configuration's `stats socket` (tests/faults/deployment.py puts it here).
        self.stats_socket = folder / "admin.sock"
        self.log = folder / "haproxy.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://{LOCAL_HOST}:{self.https_port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [self.program, "-db", "-f", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_for("haproxy listens", lambda: answers_on(self.https_port))

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def server_states(self) -> dict[str, str]:
        """What the balancer thinks of each app server now: {"app1": "UP", "app2": "DOWN", ...}
        (from `show stat` on its stats socket)."""
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(5)
            connection.connect(str(self.stats_socket))
            connection.sendall(b"show stat\n")
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        rows = csv.DictReader(io.StringIO(b"".join(chunks).decode().lstrip("# ")))
        return {
            row["svname"]: row["status"]
            for row in rows
            if row["pxname"] == "survey" and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def wait_until(self, states: dict[str, str], seconds: float = STARTUP_SECONDS) -> None:
        """Wait until the balancer sees each named server in the given state."""

        def reached() -> bool:
            now = self.server_states()
            return all(now.get(name) == state for name, state in states.items())

        wait_for(f"haproxy sees {states}", reached, seconds)
