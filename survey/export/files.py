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
        candidate = folder / (name if number == 1 else f"{stem}-{number}{dot}{extension}")
        try:
            _create(candidate)
        except FileExistsError:
            continue
        except OSError as error:
            raise _cannot_write(candidate, error) from error
        return candidate
    raise ExportError(f"too many exports named {name!r} in {folder}")


def _create(path: Path) -> None:
    """A new empty file at `path`, readable by its owner only; FileExistsError if taken."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _cannot_write(path: Path, error: OSError, temporary: Path | None = None) -> ExportError:
    """The refusal of an export that could not be written at `path`, naming that path (never
    `temporary`, the file it was being written to first)."""
    reason = error.strerror or str(error)
    if temporary is not None:
        reason = reason.replace(str(temporary), str(path))
    return ExportError(f"cannot write {str(path)!r}: {reason}")


def remove(path: Path | None) -> None:
    """Delete `path` if there is one."""
    if path is not None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def write_whole(export: Export, final: Path) -> Path:
    """Write `export` next to `final` under a temporary name, then move it into place: a
    reader never sees half a file, and a failed export leaves nothing behind. A place that
    takes no file, or an OSError while writing, is an ExportError naming `final`."""
    temporary = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")
    try:
        # Made here, before any writer runs: a folder that takes no new file is refused in
        # our words, not in each library's (some raise their own errors, naming this file).
        _create(temporary)
    except OSError as error:
        raise _cannot_write(final, error, temporary) from error
    try:
        build.write(export, temporary, name=final.name)
        os.replace(temporary, final)
    except OSError as error:
        remove(temporary)
        raise _cannot_write(final, error, temporary) from error
    except BaseException:
        remove(temporary)
        raise
    return final
