"""Running the platform as an operator puts it online, for tests: `survey serve` (the installed
console script) and Caddy (`caddy run`), as processes on free ports of 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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


def status_of(url: str, timeout: float = 5) -> int:
    """The HTTP status a GET of `url` ends with."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=unverified_tls()) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def upload_status(url: str, size: int) -> int:
    """The status of a form POST of `size` bytes to an https `url`, as a browser reads it: a
    server may answer and close before the whole body is sent, so sending stops quietly then."""
    parts = urlsplit(url)
    connection = http.client.HTTPSConnection(
        parts.hostname or LOCAL_HOST, parts.port, context=unverified_tls(), timeout=20
    )
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Content-Length", str(size))
        connection.endheaders()
        chunk = b"x" * 65_536
        try:
            for start in range(0, size, len(chunk)):
                connection.send(chunk[: size - start])
        except OSError:
            pass
        return connection.getresponse().status
    finally:
        connection.close()


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
    plain_url: str  # Caddy's plain HTTP port, which sends people to `url`
