"""Every file the platform writes is readable by its own user only (0600, folders 0700), even
when started from a shell whose umask would make them world-readable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests import console

pytestmark = pytest.mark.slow
# A usual shell's umask: what it makes is readable by everyone.
SHELL_UMASK = 0o022


def _survey(*args: str, env: dict[str, str], cwd: Path) -> str:
    result = console.run(*args, env=env, cwd=cwd, umask=SHELL_UMASK)
    assert result.returncode == 0, result.stderr
    return result.stdout


def wider_than_private(*folders: Path) -> list[str]:
    """Each file not 0600 and each folder not 0700 in `folders` (and the folders themselves)."""
    found = []
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            expected = 0o700 if path.is_dir() else 0o600
            if mode != expected:
                found.append(f"{path.relative_to(folder.parent)}: {mode:o}")
    return found


def test_files_and_folders_written_by_survey_commands_are_private(tmp_path: Path):
    env = console.environment(tmp_path)
    instance, exports = tmp_path / "instance", tmp_path / "exports"

    _survey("init", env=env, cwd=tmp_path)
    printed = _survey("export", "we-own-it", "--format", "csv", env=env, cwd=tmp_path)
    exported = Path(printed.strip())
    _survey("backup", str(instance / "backup.db"), env=env, cwd=tmp_path)

    assert exported.parent == exports and exported.is_file()
    assert {"survey.db", "secret_key", "backup.db"} <= {path.name for path in instance.iterdir()}
    assert wider_than_private(instance, exports) == []


def test_the_database_files_of_a_serving_app_are_private(tmp_path: Path):
    env = console.environment(tmp_path)
    instance = tmp_path / "instance"
    _survey("init", env=env, cwd=tmp_path)
    with console.serving(env, tmp_path, umask=SHELL_UMASK) as port:
        assert console.get(port, "/s/we-own-it")[0] == 200
        # While the app holds its connections, SQLite keeps its write-ahead log and index.
        names = {path.name for path in instance.iterdir()}
        assert {"survey.db-wal", "survey.db-shm"} <= names, names
        assert wider_than_private(instance) == []


def test_init_narrows_folders_left_wide_by_an_earlier_version(tmp_path: Path):
    env = console.environment(tmp_path)
    instance, exports = tmp_path / "instance", tmp_path / "exports"
    for folder in (instance, exports):
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)

    _survey("init", env=env, cwd=tmp_path)

    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE(exports.stat().st_mode) == 0o700
