"""`survey backup`: a consistent copy of the database, taken while the app serves.

Given a folder, each backup is a new file named after its time (`survey-20270115T120000Z.db`
for SQLite, `.dump` for PostgreSQL's pg_dump custom format), and `rotate` keeps the newest of
those; files of any other name in the folder are never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

EXTENSIONS = {"sqlite": ".db", "postgresql": ".dump"}
# Names this command gives; the time sorts them oldest first.
BACKUP_NAME = re.compile(r"survey-(\d{8}T\d{6}Z)\.(?:db|dump)")


class BackupError(RuntimeError):
    """The copy could not be made; the message says why."""


def backup_name(dialect: str, now: datetime) -> str:
    """The file name of a backup made at `now` (aware) of a `dialect` database."""
    _check_supported(dialect)
    return f"survey-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{EXTENSIONS[dialect]}"


def _check_supported(dialect: str) -> None:
    if dialect not in EXTENSIONS:
        raise BackupError(f"backups of {dialect} databases are not supported")


def backup(engine: Engine, target: Path, now: datetime) -> Path:
    """Copy the database to `target` (a new file, or an existing folder to hold a new file
    named after `now`): SQLite's online backup, or pg_dump for PostgreSQL."""
    dialect = engine.dialect.name
    if target.is_dir():
        target = target / backup_name(dialect, now)
    else:
        _check_supported(dialect)
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")
    # Written under a hidden name and renamed when complete, so a backup cut short never
    # takes a backup's name (nor a place among the ones rotation keeps).
    partial = target.with_name(f".{target.name}.partial")
    try:
        # Readable by this user only, whatever the umask: a backup holds every answer.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise BackupError(f"cannot write in {target.parent}: {error.strerror}") from None
    try:
        if dialect == "sqlite":
            _sqlite(engine, partial)
        else:
            _postgres(engine, partial)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete the backups this command made in `folder` beyond the `keep` newest; returns the
    deleted files. Files of any other name are left alone."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    made = sorted(
        (path for path in folder.iterdir() if _is_backup(path)),
        key=lambda path: path.name.split(".")[0],
        reverse=True,
    )
    removed = made[keep:]
    for path in removed:
        path.unlink()
    return removed


def _is_backup(path: Path) -> bool:
    return BACKUP_NAME.fullmatch(path.name) is not None and path.is_file() and not path.is_symlink()


def _sqlite(engine: Engine, target: Path) -> None:
    # The backup API copies page by page inside a read transaction: writers keep going
    # (WAL) and the copy is a consistent snapshot.
    source = engine.raw_connection()
    try:
        with sqlite3.connect(target) as destination:
            source.driver_connection.backup(destination)  # type: ignore[union-attr]
        destination.close()
    finally:
        source.close()


def _postgres(engine: Engine, target: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not installed (Debian package postgresql-client)")
    url = make_url(engine.url).set(drivername="postgresql")
    # The password goes in the environment, not on the command line other users can list.
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    # pg_dump runs in one repeatable-read snapshot: consistent while the app writes.
    result = subprocess.run(
        [
            pg_dump,
            "--format=custom",
            "--no-owner",
            f"--file={target}",
            f"--dbname={url.set(password=None).render_as_string(hide_password=False)}",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    if result.returncode != 0:
        raise BackupError(_pg_dump_reason(result.stderr))


def _pg_dump_reason(stderr: str) -> str:
    """pg_dump's last error as one line: it writes one over several lines (the connection
    that failed, then a hint on a line of its own), after any warnings."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    errors = [number for number, line in enumerate(lines) if line.startswith("pg_dump: error:")]
    if not lines:
        return "pg_dump failed"
    reason = " ".join(lines[errors[-1] if errors else 0 :])
    return reason.removeprefix("pg_dump: error: ").removeprefix("pg_dump: ")
