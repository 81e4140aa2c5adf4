"""The files of deploy/ are what their programs accept: Caddy's configurations, the systemd
units, and the example settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from survey.settings import Settings
from tests.conftest import unavailable
from tests.deploy.site import DEPLOY, caddy_environment, caddy_program
from tests.faults.deployment import balancer_config
from tests.faults.processes import program

UNITS = ["survey.service", "survey-backup.service", "survey-backup.timer"]
INSTALLED_SURVEY = "/opt/survey/venv/bin/survey"


@pytest.mark.parametrize("name", ["Caddyfile", "Caddyfile.local", "Caddyfile.servers"])
def test_caddy_accepts_the_configuration(name, tmp_path):
    result = subprocess.run(
        [caddy_program(), "validate", "--adapter", "caddyfile", "--config", str(DEPLOY / name)],
        env=caddy_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def test_haproxy_accepts_its_configuration_without_a_warning(tmp_path):
    # Ports and file paths of this machine in place of the example's (as tests/faults runs it).
    config = balancer_config(tmp_path, (8001, 8002), 8443)
    result = subprocess.run(
        [program("haproxy", "haproxy"), "-c", "-f", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def test_systemd_accepts_the_units(tmp_path):
    systemd_analyze = shutil.which("systemd-analyze")
    if systemd_analyze is None:
        unavailable("systemd-analyze is not installed (Debian package systemd)")
    # The units name the installed command; here it is this checkout's.
    survey = str(Path(sys.executable).with_name("survey"))
    for name in UNITS:
        text = (DEPLOY / name).read_text()
        (tmp_path / name).write_text(text.replace(INSTALLED_SURVEY, survey))
    result = subprocess.run(
        [systemd_analyze, "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 on an unknown option or a bad value too, but names it: nothing may be said.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_example_settings_are_what_an_https_server_needs(tmp_path):
    environment = {}
    for line in (DEPLOY / "survey.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            environment[name] = value.replace("/var/lib/survey", str(tmp_path))
    settings = Settings.from_environment(environment)
    assert settings.secure_cookies
    assert settings.trusted_proxies == 1
    assert settings.public_url == "https://survey.example.org"
    assert settings.ratelimit_storage_url == "redis://127.0.0.1:6379/0"
    assert settings.database_url == f"sqlite:///{tmp_path}/survey.db"
    assert settings.instance_path == tmp_path
    assert settings.exports_path == tmp_path / "exports"
    assert settings.questionnaires_path == Path("/opt/survey/src/questionnaires")
