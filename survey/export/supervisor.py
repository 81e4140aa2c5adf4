"""The export worker that `survey serve` runs beside its web workers, so one command serves
the survey and runs its exports.

The web server's master process starts `survey export-worker` as a child once it is ready,
starts it again if it ends (killed, out of memory), at most once every RESTART_AFTER, and stops
it when the server stops. The child watches its parent too: if the master is killed outright,
the worker ends on its own instead of running on unattended. A job the worker was running when
it died is taken again by the next worker (survey.export.queue).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Mapping

log = logging.getLogger(__name__)
RESTART_AFTER = 2.0
STOP_WAIT_SECONDS = 10.0


class WorkerProcess:
    """One `survey export-worker` child, kept running until `stop`."""

    def __init__(self, env: Mapping[str, str] | None = None):
        self._env = dict(os.environ if env is None else env)
        self._stopping = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        """Start the child and a thread that starts it again whenever it ends."""
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="export-worker", daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self._child = subprocess.Popen(
                [sys.executable, "-m", "survey.cli", "export-worker", "--parent", str(os.getpid())],
                stdin=subprocess.DEVNULL,
                env=self._env,
                close_fds=True,
            )
            log.info("export worker started (pid %s)", self._child.pid)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            child = self._child
            code = child.wait() if child is not None else None
            if self._stopping.wait(RESTART_AFTER):
                return  # the server is stopping: the worker was stopped on purpose
            log.warning("export worker ended (exit %s); starting another", code)
            self._spawn()

    def stop(self) -> None:
        """Stop the child (SIGTERM, then SIGKILL after STOP_WAIT_SECONDS) and do not restart it."""
        self._stopping.set()
        with self._lock:
            child = self._child
        if child is None or child.poll() is not None:
            return
        child.terminate()
        try:
            child.wait(STOP_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
