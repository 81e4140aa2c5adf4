"""Variable names as SPSS and Stata accept them: short enough, not reserved, never twice."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from survey.export.flatten import Column

SPSS_NAME_BYTES = 64
STATA_NAME_CHARACTERS = 32
SPSS_RESERVED = frozenset(
    {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}
)
STATA_RESERVED = frozenset(
    {
        "_all",
        "_b",
        "byte",
        "_coef",
        "_cons",
        "double",
        "float",
        "if",
        "in",
        "int",
        "long",
        "_n",
        "_pi",
        "_pred",
        "_rc",
        "_skip",
        "strl",
        "using",
        "with",
    }
)
_STATA_STR = re.compile(r"^str[0-9]+$")
NAME_RULE = (
    "At most 64 bytes in SPSS; in Stata 32 characters, 29 for a variable with value labels. "
    "A variable name that fits is kept as it is. A longer one is cut to the limit "
    "less 5 and ends in '_' and the first 4 hex digits of the SHA-1 of the full name (the same "
    "full name always gives the same written name). A reserved word gets a trailing '_'. "
    "If the result is already taken, it ends in _2, _3, ... instead (first free, in column order)."
)


def _spss_length(name: str) -> int:
    return len(name.encode("utf-8"))


def _spss_reserved(name: str) -> bool:
    return name.lower() in SPSS_RESERVED


def _stata_reserved(name: str) -> bool:
    lowered = name.lower()
    return lowered in STATA_RESERVED or bool(_STATA_STR.match(lowered))


def cut(name: str, limit: int, length: Callable[[str], int]) -> str:
    """`name` shortened from the end until its `length` is at most `limit`."""
    while length(name) > limit:
        name = name[:-1]
    return name


def names_in_file(
    names: Sequence[str],
    *,
    limit: int,
    length: Callable[[str], int] = len,
    reserved: Callable[[str], bool] = lambda name: False,
    limits: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """Each variable name -> the name written to a file whose names are at most `limit` long
    (`limits`: a smaller limit for some names).

    Deterministic: names that fit are kept; a longer name is cut to `limit - 5` and given
    "_" + the first 4 hex digits of the SHA-1 of the full name; a reserved word gets a trailing
    "_"; a name already taken (compared case-insensitively) is cut further and ends in _2, _3...
    """
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        limit_here = (limits or {}).get(name, limit)
        candidate = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if not candidate or not candidate[0].isalpha():
            candidate = "v" + candidate
        if length(candidate) > limit_here:
            digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:4]
            candidate = cut(candidate, limit_here - 5, length) + "_" + digest
        if reserved(candidate):
            candidate = cut(candidate, limit_here - 1, length) + "_"
        base, counter = candidate, 1
        while candidate.lower() in taken or reserved(candidate):
            counter += 1
            suffix = f"_{counter}"
            candidate = cut(base, limit_here - len(suffix), length) + suffix
        taken.add(candidate.lower())
        result[name] = candidate
    return result


def spss_names(columns: Iterable[Column]) -> dict[str, str]:
    return names_in_file(
        [column.name for column in columns],
        limit=SPSS_NAME_BYTES,
        length=_spss_length,
        reserved=_spss_reserved,
    )


def stata_names(columns: Iterable[Column]) -> dict[str, str]:
    """Stata names: 32 characters, but 29 for a variable with value labels, because pyreadstat
    names its value-label set after the variable followed by a counter (0, 1, ... 999) and
    Stata allows 32 characters in a label name too."""
    columns = list(columns)
    labelled = [column.name for column in columns if column.is_categorical]
    labelled_limit = STATA_NAME_CHARACTERS - max(3, len(str(len(labelled) - 1)))
    return names_in_file(
        [column.name for column in columns],
        limit=STATA_NAME_CHARACTERS,
        reserved=_stata_reserved,
        limits={name: labelled_limit for name in labelled},
    )
