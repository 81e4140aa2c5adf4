"""`survey backup`: a consistent copy of the database, taken while the app serves."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """The copy could not be made; the message says why."""


def backup(engine: Engine, target: Path) -> Path:
    """Copy the database to `target`: SQLite's online backup, or pg_dump for PostgreSQL."""
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")
    if engine.dialect.name == "sqlite":
        _sqlite(engine, target)
    elif engine.dialect.name == "postgresql":
        _postgres(engine, target)
    else:
        raise BackupError(f"backups of {engine.dialect.name} databases are not supported")
    return target


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
    # pg_dump runs in one repeatable-read snapshot: consistent while the app writes.
    result = subprocess.run(
        [
            pg_dump,
            "--format=custom",
            "--no-owner",
            f"--file={target}",
            f"--dbname={url.render_as_string(hide_password=False)}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        reason = (result.stderr.strip().splitlines() or ["pg_dump failed"])[-1]
        raise BackupError(reason)
