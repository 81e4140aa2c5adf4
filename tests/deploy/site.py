"""Running the platform as an operator puts it online, for tests: `survey serve` (the installed
console script) and Caddy (`caddy run`), as processes on free ports of 127.0.0.1."""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import unavailable

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
LOCAL_HOST = "127.0.0.1"
SURVEY = Path(sys.executable).with_name("survey")
ADMIN_EMAIL = "admin@example.org"
PASSWORD_LINE = re.compile(r"^password \(shown once, change it after signing in\): (\S+)$", re.M)
STARTUP_SECONDS = 30


def caddy_program() -> str:
    """The `caddy` command (Debian package caddy); skipped locally, a failure in CI."""
    caddy = shutil.which("caddy")
    if caddy is None:
        unavailable("caddy is not installed (Debian package caddy)")
    return str(caddy)


def caddy_environment(home: Path) -> dict[str, str]:
    """An environment in which Caddy keeps its certificates and state under `home`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SURVEY_")}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCAL_HOST, 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started, and kill it if it does not end within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def unverified_tls() -> ssl.SSLContext:
    """Caddy's internal certificate authority is not trusted by this machine, on purpose."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def status_of(url: str, data: bytes | None = None, timeout: float = 5) -> int:
    """The HTTP status a GET (or, with `data`, a POST) of `url` ends with."""
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=unverified_tls()) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} did not start:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if status_of(url, timeout=2) == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {STARTUP_SECONDS} s")


@dataclass
class Site:
    """The running deployment: its public address, the first admin, the logs, and the app's
    process (a test may stop it to see what Caddy does without it)."""

    url: str
    admin_email: str
    admin_password: str
    app_log: Path
    caddy_log: Path
    app: subprocess.Popen[bytes]
