"""Fault tests: a whole deployment of real processes (tests/faults/deployment.py), broken on
purpose while people answer.

`deployment` starts it once for the folder; `faults` hands it to one test with the rate-limit
counts emptied, and afterwards brings back whatever the test stopped or killed, so the next
test finds every part running. A new fault test only needs `faults`:

    def test_something(faults):
        person = through_balancer(faults)      # or on_server(faults, 0, "198.51.100.7")
        faults.servers[0].kill()                # .stop(), .start(); faults.postgres.restart(),
        ...                                     # .stop(), .start(); faults.redis.stop(), .start()

`faults.public_url` (the balancer), `faults.server_urls`, `faults.database_url`, and
`faults.survey("export", ...)` (a `survey` command with the shared settings) are the rest.

Every test here is marked for one pytest-xdist group (pyproject's `--dist loadgroup`), so one
worker runs them all against one deployment. (pytest 9.2 with pytest-xdist 3.8 loses the
grouping, pytest-dev/pytest-xdist#1386: each worker that gets one of these tests then starts a
deployment of its own, on ports and folders of its own: slower, as correct.)

They need PostgreSQL's server programs, Redis, HAProxy and openssl, and run when
SURVEY_TEST_DATABASE_URL is set (as the PostgreSQL tests do); otherwise they are skipped, and
under CI=true they fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import POSTGRES_URL, unavailable
from tests.faults.deployment import Deployment, running_deployment
from tests.faults.processes import postgres_bin, program

FAULTS = [pytest.mark.xdist_group("faults"), pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if not POSTGRES_URL:
        unavailable("SURVEY_TEST_DATABASE_URL is not set")
    postgres_bin()
    for name, package in [
        ("redis-server", "redis-server"),
        ("haproxy", "haproxy"),
        ("openssl", "openssl"),
    ]:
        program(name, package)
    with running_deployment(tmp_path_factory.mktemp("deployment")) as running:
        yield running


@pytest.fixture
def faults(deployment: Deployment) -> Iterator[Deployment]:
    """The deployment, every part running and no rate-limit count left from earlier tests;
    made whole again after the test."""
    deployment.heal()
    deployment.redis.forget_everything()
    yield deployment
    deployment.heal()
