"""Export files on disk (`survey export`): new names reserved in a folder, written under a
temporary name and moved into place whole."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from survey.export import build
from survey.export.model import Export, ExportError


def reserve(folder: Path, name: str) -> Path:
    """A new empty file in `folder` named `name` (with -2, -3 ... before the extension when
    that name is taken), created exclusively so two exports never share a file."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem, dot, extension = name.partition(".")
    for number in range(1, 1000):
        candidate = name if number == 1 else f"{stem}-{number}{dot}{extension}"
        try:
            descriptor = os.open(folder / candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.close(descriptor)
        return folder / candidate
    raise ExportError(f"too many exports named {name!r} in {folder}")


def remove(path: Path | None) -> None:
    """Delete `path` if there is one."""
    if path is not None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def write_whole(export: Export, final: Path) -> Path:
    """Write `export` next to `final` under a temporary name, then move it into place: a
    reader never sees half a file, and a failed export leaves nothing behind."""
    temporary = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")
    try:
        build.write(export, temporary, name=final.name)
        os.replace(temporary, final)
    except BaseException:
        remove(temporary)
        raise
    return final
