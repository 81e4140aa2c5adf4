"""Running the installed `survey` console script as an operator does, in a folder of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

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


def run(
    *args: str, env: dict[str, str], cwd: Path, survey: Path = SURVEY, timeout: float = 120
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
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
