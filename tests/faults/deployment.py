"""A deployment as README's "More than one server" describes it, on one machine: one
PostgreSQL, one Redis, two `survey serve` with instance folders of their own and the same
shared settings, `survey init` run once, and HAProxy in front with deploy/haproxy.cfg (its
addresses, ports and file paths changed, nothing else).

`running_deployment` starts it and stops every part at the end, whatever happened;
`Deployment.heal` brings back whatever a test stopped or killed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.deploy.site import DEPLOY, LOCAL_HOST, PASSWORD_LINE, SURVEY
from tests.faults.processes import AppServer, Balancer, Postgres, Redis, program
from tests.ports import free_port

SLUG = "we-own-it"
# gunicorn workers per server: more than one, so that each server is several processes.
WORKERS = 2


@dataclass
class Deployment:
    """The running parts, and what a test needs to reach and break them."""

    root: Path
    postgres: Postgres
    redis: Redis
    servers: tuple[AppServer, AppServer]
    balancer: Balancer
    settings: dict[str, str]
    admin_email: str
    admin_password: str

    @property
    def public_url(self) -> str:
        """Where people reach the survey: the balancer."""
        return self.balancer.url

    @property
    def server_urls(self) -> list[str]:
        return [server.url for server in self.servers]

    @property
    def database_url(self) -> str:
        return self.postgres.url()

    @property
    def resume_key(self) -> str:
        return self.settings["SURVEY_RESUME_KEY"]

    def survey(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """Run a `survey` command with the shared settings (from an instance folder of its
        own), as an operator would on any of the servers; it must succeed."""
        environment = {**self.settings, "SURVEY_INSTANCE_PATH": str(self.root / "commands")}
        result = subprocess.run(
            [str(SURVEY), *arguments], env=environment, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"survey {' '.join(arguments)}: {result.stderr}"
        return result

    def open_survey(self, *, reopen: bool = False) -> None:
        """The survey open for a month from now (after a close: reopened)."""
        closes = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
        self.survey("reopen" if reopen else "schedule", SLUG, "--closes-at", closes)

    def heal(self) -> None:
        """Every part running again and the balancer sending to both servers."""
        if not self.postgres.running:
            self.postgres.start()
        if not self.redis.running:
            self.redis.start()
        stopped = [server for server in self.servers if not server.running]
        for server in stopped:
            server.launch()
        for server in stopped:
            server.wait_until_healthy()
        self.balancer.wait_until({"app1": "UP", "app2": "UP"})


def shared_settings(postgres: Postgres, redis: Redis, public_url: str) -> dict[str, str]:
    """What every server has the same (README): database, keys, Redis, one trusted proxy;
    behind HTTPS, so Secure cookies."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SURVEY_")}
    environment.update(
        SURVEY_DATABASE_URL=postgres.url(),
        SURVEY_SECRET_KEY=secrets.token_hex(32),
        SURVEY_RESUME_KEY=secrets.token_hex(32),
        SURVEY_RATELIMIT_STORAGE_URL=redis.url,
        SURVEY_TRUSTED_PROXIES="1",
        SURVEY_SECURE_COOKIES="1",
        SURVEY_PUBLIC_URL=public_url,
    )
    return environment


def certificate(folder: Path) -> Path:
    """A self-signed certificate with its key in one PEM file, as HAProxy reads it (README
    makes the same one before certbot's)."""
    key, cert, pem = folder / "key.pem", folder / "cert.pem", folder / "survey.pem"
    result = subprocess.run(
        [program("openssl", "openssl"), "req", "-x509", "-nodes", "-days", "2"]
        + ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    pem.write_text(cert.read_text() + key.read_text())
    return pem


def balancer_config(folder: Path, server_ports: tuple[int, int], https_port: int) -> Path:
    """deploy/haproxy.cfg with this machine's ports and files in place of the example's
    addresses and paths; every one of them must still be in the file."""
    text = (DEPLOY / "haproxy.cfg").read_text()
    replacements = {
        "bind :80\n": f"bind {LOCAL_HOST}:{free_port()}\n",
        "bind :443 ssl crt /etc/haproxy/certs/survey.pem": (
            f"bind {LOCAL_HOST}:{https_port} ssl crt {certificate(folder)}"
        ),
        "/run/haproxy/admin.sock": str(folder / "admin.sock"),
        "10.0.0.2:8000": f"{LOCAL_HOST}:{server_ports[0]}",
        "10.0.0.3:8000": f"{LOCAL_HOST}:{server_ports[1]}",
        "127.0.0.1:8888": f"{LOCAL_HOST}:{free_port()}",
    }
    for example, here in replacements.items():
        assert example in text, f"deploy/haproxy.cfg no longer has {example!r}: see tests/faults"
        text = text.replace(example, here)
    if os.geteuid() != 0:  # only root may chroot and change user
        kept = text.splitlines(keepends=True)
        text = "".join(line for line in kept if line.split()[:1] not in (["chroot"], ["user"]))
        text = text.replace("\tgroup haproxy\n", "")
    config = folder / "haproxy.cfg"
    config.write_text(text)
    return config


def first_admin(settings: dict[str, str], root: Path) -> str:
    """`survey init`, once for all servers: migrations, the questionnaire, the first admin
    (whose password it prints)."""
    environment = {**settings, "SURVEY_INSTANCE_PATH": str(root / "commands")}
    result = subprocess.run(
        [str(SURVEY), "init"], env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    password = PASSWORD_LINE.search(result.stdout)
    assert password, f"survey init printed no first admin password:\n{result.stdout}"
    return password.group(1)


def _database(stack: ExitStack) -> Postgres:
    # The cluster's folder belongs to the user postgres: not under pytest's folders (root's only).
    folder = Path(tempfile.mkdtemp(prefix="survey-faults-postgres-"))
    stack.callback(shutil.rmtree, folder, ignore_errors=True)
    postgres = Postgres(folder)
    postgres.create()
    stack.callback(postgres.close)
    postgres.start()
    postgres.create_database("survey")
    return postgres


@contextmanager
def running_deployment(root: Path) -> Iterator[Deployment]:
    """Start every part; stop every part at the end, even when starting failed half-way."""
    if not SURVEY.exists():
        pytest.fail(f"the survey console script is not installed next to {SURVEY.parent}")
    with ExitStack() as stack:
        postgres = _database(stack)
        redis = Redis(root)
        stack.callback(redis.stop)
        redis.start()
        https_port = free_port()
        settings = shared_settings(postgres, redis, f"https://{LOCAL_HOST}:{https_port}")
        password = first_admin(settings, root)
        servers = (
            AppServer("app1", _folder(root / "app1"), settings, WORKERS),
            AppServer("app2", _folder(root / "app2"), settings, WORKERS),
        )
        ports = (servers[0].port, servers[1].port)
        balancer = Balancer(root, balancer_config(root, ports, https_port), https_port)
        deployment = Deployment(
            root, postgres, redis, servers, balancer, settings, "admin@example.org", password
        )
        for server in servers:
            stack.callback(server.kill)
            server.launch()
        deployment.open_survey()  # while the servers start
        for server in servers:
            server.wait_until_healthy()
        stack.callback(balancer.stop)
        balancer.start()
        deployment.heal()
        yield deployment


def _folder(path: Path) -> Path:
    path.mkdir(parents=True)
    return path
