"""What the logs may hold: never a resume code, a password or an email address.

`redact(text)` takes them out of any text (a request line, a path, a query, a referer, a log
message); `RedactingLogger` applies it to the access log of `survey serve` (gunicorn) and
`RedactingFilter` to log records of the app's own loggers.
"""

from __future__ import annotations

import functools
import logging
import re
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger
from gunicorn.glogging import SafeAtoms

REDACTED = "[redacted]"

# Separators percent-encoded (/ ? = & #): a URL inside ?next= has its own path and query.
_SEPARATOR_HEX = "2[Ff]|3[FfDd]|2[36]"
_AFTER_ENCODED_SEPARATOR = "(?<=%2[Ff])|(?<=%3[FfDd])|(?<=%2[36])"
# A character of a path segment, encoded or not: a segment ends at a separator.
_SEGMENT_CHAR = rf"(?:[^/?#&;=\s\"'%]|%(?!{_SEPARATOR_HEX})[0-9A-Fa-f]{{2}})"
# A character of a query value: it ends at the next parameter (& or %26) or the URL's end.
_VALUE_CHAR = r"(?:[^&#;\s\"'%]|%(?!2[36])[0-9A-Fa-f]{2})"
# Whatever follows /resume/ in a path is a code (in any form: case, hyphens, a typo).
_RESUME_PATH = re.compile(rf"((?:/|%2[Ff])resume(?:/|%2[Ff])){_SEGMENT_CHAR}+", re.IGNORECASE)
# The value of a query parameter named code, resume_code, password, new_password, ...
_SECRET_PARAMETER = re.compile(
    rf"((?:^|[?&;\s]|%3[Ff]|%26)[\w.-]*(?:code|password)(?:=|%3[Dd])){_VALUE_CHAR}*",
    re.IGNORECASE,
)
# A resume code written out anywhere: three groups of four letters and digits. Crockford's
# alphabet leaves out U; people may type I, L and O, which it reads as 1, 1 and 0.
_CODE_GROUP = "[0-9A-TV-Z]{4}"
_RESUME_CODE = re.compile(
    rf"(?:{_AFTER_ENCODED_SEPARATOR}|(?<![0-9A-Z-]))"
    rf"{_CODE_GROUP}(?:-|%2[Dd]){_CODE_GROUP}(?:-|%2[Dd]){_CODE_GROUP}(?![0-9A-Z-])",
    re.IGNORECASE,
)
# An email address, its @ (or any other character) percent-encoded or not. A match starts only
# where a run of such characters does, so a long line is read once, not once per character.
_EMAIL_CHAR = rf"(?:[\w.+'-]|%(?!{_SEPARATOR_HEX})[0-9A-Fa-f]{{2}})"
_EMAIL = re.compile(
    rf"(?:{_AFTER_ENCODED_SEPARATOR}|(?<![\w.+'%-])){_EMAIL_CHAR}+(?:@|%40)[\w-]+(?:\.[\w-]+)+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with every resume code, password and email address replaced by [redacted]."""
    text = _RESUME_PATH.sub(rf"\g<1>{REDACTED}", text)
    text = _SECRET_PARAMETER.sub(rf"\g<1>{REDACTED}", text)
    text = _RESUME_CODE.sub(REDACTED, text)
    return _EMAIL.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Redacts a record's message, its arguments merged in, and its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def redact_handlers(*loggers: logging.Logger) -> None:
    """Put the redacting filter on every handler of `loggers` (once each): a handler's filter
    also sees the records that reach it from child loggers, which a logger's own does not."""
    for logger in loggers:
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


class _RedactedAtoms(SafeAtoms):
    """gunicorn's atoms of an access log line, each text redacted (then its quotes escaped, as
    gunicorn does) when the line's format reads it: every one the format names, and only those
    (a request has some fifty, headers and environ included; a line shows four)."""

    def __init__(self, atoms: dict[str, Any]):
        dict.__init__(self, atoms)

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return redact(value).replace('"', '\\"') if isinstance(value, str) else value


def _light_atoms(resp: Any, environ: dict[str, Any], took: timedelta) -> dict[str, Any]:
    """gunicorn's atoms of the request line, status, size and time, made as gunicorn makes them."""
    status = resp.status
    sent = getattr(resp, "sent", None)
    return {
        "r": f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}",
        "s": status.split(None, 1)[0] if isinstance(status, str) else status,
        "m": environ.get("REQUEST_METHOD"),
        "U": environ.get("PATH_INFO"),
        "q": environ.get("QUERY_STRING"),
        "H": environ.get("SERVER_PROTOCOL"),
        "b": str(sent) if sent is not None else "-",
        "B": sent,
        "T": took.seconds,
        "D": took.seconds * 1_000_000 + took.microseconds,
        "M": took.seconds * 1000 + took.microseconds // 1000,
        "L": f"{took.seconds}.{took.microseconds:06d}",
    }


_LISTENING = "Listening at: %s (%s)"  # as gunicorn's arbiter words it
_LIGHT = frozenset(("r", "s", "m", "U", "q", "H", "b", "B", "T", "D", "M", "L"))


@functools.cache
def _named_atoms(line_format: str) -> frozenset[str]:
    """The atoms a line format names, as %(name)s."""
    return frozenset(re.findall(r"%\(([^)]*)\)", line_format))


class RedactingLogger(GunicornLogger):
    """gunicorn's logger, with every text of an access log line and every message redacted."""

    # The request line, path, query and referer, and the headers and environ values a format
    # may name ({referer}i, {raw_uri}e, ...): any of them, so none is missed.
    atoms_wrapper_class = _RedactedAtoms

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> Any:
        """Only the few atoms of `survey serve`'s line (request, status, size, time) when its
        format names no others: gunicorn makes some fifty for every request (each header and
        environ value, the time formatted), a few percent of a page's time."""
        if _named_atoms(self.cfg.access_log_format) <= _LIGHT:
            return _light_atoms(resp, environ, request_time)
        return super().atoms(resp, req, environ, request_time)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """gunicorn's line saying where it listens names the address. The workers open their
        sockets themselves (`reuse_port`), so gunicorn itself, which opens none, names none
        ("Listening at:  (1234)")."""
        if msg == _LISTENING and args and not args[0]:
            addresses = ",".join(str(address) for address in self.cfg.bind)
            args = (f"{addresses} (a socket for each worker)", *args[1:])
        super().info(msg, *args, **kwargs)

    def setup(self, cfg: Any) -> None:
        """The error log's messages are redacted as they are written. An access log line is
        made of atoms redacted already (`atoms_wrapper_class`) and the format's own text:
        redacting the line again cost every request as much as making it."""
        super().setup(cfg)
        redact_handlers(self.error_log)
