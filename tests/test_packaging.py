"""`pip install .` is a complete installation: a wheel built from the checkout, installed into a
fresh virtual environment, migrates, loads the shipped questionnaire and serves French pages,
run from a folder outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from survey.settings import PROJECT_ROOT
from tests import console

pytestmark = pytest.mark.slow

# A module left in the build folder by an earlier build, no longer in the checkout.
STALE_MODULE = "removed_since.py"
# Interface text of the welcome page in the French catalog (not from the questionnaire file).
FRENCH = ("Votre consentement", "Date limite de réponse")
# What a build of the checkout must not read or copy: tools' and runs' own folders.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "instance",
    "exports",
    "__pycache__",
    "*.mo",
    ".*cache",
)


def _check(command: list[str], **kwargs) -> str:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False, **kwargs
    )
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _build_wheel(work: Path) -> Path:
    # From a copy, so the build writes nothing into the checkout; with this environment's
    # setuptools and Babel (no isolated build environment to download).
    source = work / "source"
    shutil.copytree(PROJECT_ROOT, source, ignore=NOT_SOURCE)
    # What an earlier build of an older checkout left in its build folder (a module removed
    # since), as a checkout updated in place and installed again has.
    stale = source / "build" / "lib" / "survey" / STALE_MODULE
    stale.parent.mkdir(parents=True)
    stale.write_text("raise ImportError('a module removed from the checkout')\n")
    dist = work / "dist"
    _check(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(dist),
        ]
    )
    (wheel,) = dist.glob("survey-*.whl")
    return wheel


def _fresh_environment(work: Path, wheel: Path) -> Path:
    """A new virtual environment with the wheel installed and its dependencies taken from
    this one (a .pth file: its folder is appended to sys.path, after the wheel's own)."""
    venv = work / "venv"
    _check([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(
        _check(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).strip()
    )
    (site / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _check(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            str(wheel),
            "--no-deps",
            "--no-index",
            "--quiet",
            "--disable-pip-version-check",
        ]
    )
    return venv


def test_a_built_wheel_installs_a_complete_platform(tmp_path: Path):
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as built:
        assert f"survey/{STALE_MODULE}" not in built.namelist(), "a stale build's module"
    venv = _fresh_environment(tmp_path, wheel)
    python, survey = venv / "bin" / "python", venv / "bin" / "survey"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value for key, value in console.environment(elsewhere).items() if key != "PYTHONPATH"
    }

    imported = _check(
        [str(python), "-c", "import survey; print(survey.__file__)"], env=env, cwd=elsewhere
    )
    assert Path(imported.strip()).is_relative_to(venv), imported

    # Defaults of an installed package: nothing inside site-packages or the checkout.
    defaults = {
        key: value
        for key, value in env.items()
        if key not in ("SURVEY_INSTANCE_PATH", "SURVEY_EXPORTS_PATH")
    }
    defaults.update(SURVEY_SECRET_KEY="k", SURVEY_RESUME_KEY="r")
    shown = _check(
        [
            str(python),
            "-c",
            "from survey.settings import Settings; s = Settings.from_environment(); "
            "print(s.instance_path, s.exports_path, s.questionnaires_path, sep='\\n')",
        ],
        env=defaults,
        cwd=elsewhere,
    ).split("\n")
    instance = venv.resolve() / "var" / "survey-instance"
    assert [Path(line).resolve() for line in shown[:2]] == [instance, instance / "exports"]
    assert Path(shown[2]).resolve().is_relative_to(venv.resolve()), shown[2]

    initialised = console.run("init", env=env, cwd=elsewhere, survey=survey)
    assert initialised.returncode == 0, initialised.stdout + initialised.stderr
    assert "we-own-it" in initialised.stdout

    with console.serving(env, elsewhere, survey=survey) as port:
        status, page = console.get(port, "/s/we-own-it?lang=fr")
    assert status == 200
    for text in FRENCH:
        assert text in page, f"{text!r} is not on the French welcome page"
    assert not list(PROJECT_ROOT.glob("survey/_bundled")), "the build wrote into the checkout"
    assert os.listdir(elsewhere / "instance"), "the instance folder is the one asked for"
