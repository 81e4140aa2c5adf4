"""The platform as an operator puts it online: `survey serve` behind a real Caddy with HTTPS
(deploy/Caddyfile.local, Caddy's internal certificates), both on free ports of 127.0.0.1,
driven by the system's Chromium (tests/chromium.py, as for tests/browser).

`site` starts them once per module and stops them at the end (terminate, then kill).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.deploy.site import (
    ADMIN_EMAIL,
    DEPLOY,
    LOCAL_HOST,
    PASSWORD_LINE,
    SURVEY,
    Site,
    caddy_environment,
    caddy_program,
    stop,
    wait_until_healthy,
)
from tests.ports import free_port


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    caddy = caddy_program()
    if not SURVEY.exists():
        pytest.fail(f"the survey console script is not installed next to {sys.executable}")
    root = tmp_path_factory.mktemp("deployment")
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    url = f"https://{LOCAL_HOST}:{https_port}"
    instance = root / "instance"
    app_env = {key: value for key, value in os.environ.items() if not key.startswith("SURVEY_")}
    app_env.update(
        HOME=str(root / "home"),  # gunicorn keeps a control socket there
        SURVEY_INSTANCE_PATH=str(instance),
        SURVEY_DATABASE_URL=f"sqlite:///{instance / 'survey.db'}",
        SURVEY_EXPORTS_PATH=str(root / "exports"),
        SURVEY_SECURE_COOKIES="1",
        SURVEY_TRUSTED_PROXIES="1",
        SURVEY_PUBLIC_URL=url,
    )
    init = subprocess.run(
        [str(SURVEY), "init"], env=app_env, capture_output=True, text=True, timeout=120
    )
    assert init.returncode == 0, init.stderr
    password = PASSWORD_LINE.search(init.stdout)
    assert password, f"survey init printed no first admin password:\n{init.stdout}"

    processes: list[subprocess.Popen[bytes]] = []
    app_log, caddy_log = root / "app.log", root / "caddy.log"
    try:
        with app_log.open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [str(SURVEY), "serve", "--host", LOCAL_HOST, "--port", str(app_port)]
                    + ["--workers", "2"],
                    env=app_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )
        caddy_env = caddy_environment(root / "caddy")
        caddy_env.update(
            SURVEY_CADDY_SITE=LOCAL_HOST,
            SURVEY_CADDY_BIND=LOCAL_HOST,
            SURVEY_CADDY_HTTP_PORT=str(http_port),
            SURVEY_CADDY_HTTPS_PORT=str(https_port),
            SURVEY_CADDY_UPSTREAM=f"{LOCAL_HOST}:{app_port}",
            SURVEY_CADDY_ADMIN="off",
        )
        with caddy_log.open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [caddy, "run", "--adapter", "caddyfile"]
                    + ["--config", str(DEPLOY / "Caddyfile.local")],
                    env=caddy_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )
        wait_until_healthy(f"http://{LOCAL_HOST}:{app_port}/healthz", processes[0], app_log)
        wait_until_healthy(f"{url}/healthz", processes[1], caddy_log)
        plain_url = f"http://{LOCAL_HOST}:{http_port}"
        yield Site(url, ADMIN_EMAIL, password.group(1), app_log, caddy_log, processes[0], plain_url)
    finally:
        for process in reversed(processes):
            stop(process)
