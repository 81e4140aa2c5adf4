"""Reading a YAML file so that every problem can name its line: the parsed data, the line of
every key and item, keys given twice, and readers that report a wrong value instead of raising.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Any, Protocol

import yaml

from survey.questionnaire.model import Choice, Text

# libyaml's safe loader where PyYAML was built with it (several times faster), else PyYAML's.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_]*$")

Lines = dict[tuple[Any, ...], int]


class YamlError(ValueError):
    """Text that is not YAML (or holds a date that does not exist); the message says where."""


def parse(text: str, source_name: str) -> tuple[Any, Lines, list[tuple[tuple[Any, ...], int]]]:
    """The data of a YAML text, the line of every key and item, and the keys given twice."""
    try:
        document = yaml.compose(text, Loader=LOADER)
        data = yaml.load(text, Loader=LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        reason = getattr(error, "problem", None) or str(error)
        raise YamlError(f"{source_name}{where}: not valid YAML: {reason}") from None
    except ValueError as error:  # a date YAML reads itself that does not exist (2027-02-30)
        raise YamlError(f"{source_name}: not a real date: {error}") from None
    if document is None:
        return data, {}, []
    return data, _line_numbers(document), _duplicate_keys(document)


@functools.lru_cache(maxsize=64)
def fingerprint(text: str) -> str:
    """A hash of a file's meaning: layout, comments and key order do not change it (computed
    once per text: `survey init` loads every file at every start)."""
    data = yaml.load(text, Loader=LOADER)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _line_numbers(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """The line of every key and item, so problems can name where they are."""
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines.update(_line_numbers(value, (*path, key.value)))
            lines[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            lines.update(_line_numbers(value, (*path, index)))
    return lines


def _duplicate_keys(
    node: yaml.Node, path: tuple[Any, ...] = ()
) -> list[tuple[tuple[Any, ...], int]]:
    """Keys given twice in one mapping (YAML would silently keep only the last)."""
    found: list[tuple[tuple[Any, ...], int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.value in seen:
                found.append(((*path, key.value), key.start_mark.line + 1))
            seen.add(key.value)
            found.extend(_duplicate_keys(value, (*path, key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            found.extend(_duplicate_keys(value, (*path, index)))
    return found


class Places(Protocol):
    """Where each part of the data came from, when a person wrote something other than the
    YAML text (an XLSForm, converted): problems name that place instead of a line."""

    def where(self, path: tuple[Any, ...]) -> str:
        """The start of a problem's line about the data at `path` (file, place, what)."""
        ...

    def __hash__(self) -> int:  # a parsed text is kept by its text, name and places
        ...


def describe(path: tuple[Any, ...]) -> str:
    """A path of keys and indexes as the file writes it: `sections[0].questions[2].label`."""
    if not path:
        return "top level"
    parts = []
    for item in path:
        parts.append(f"[{item}]" if isinstance(item, int) else f".{item}")
    return "".join(parts).lstrip(".")


class FileReader:
    """Reads values of a parsed file, collecting every problem (with its line, or its place in
    the file the data came from) instead of stopping at the first."""

    def __init__(self, source_name: str, lines: Lines, places: Places | None = None):
        self.source_name = source_name
        self.lines = lines
        self.places = places
        self.problems: list[str] = []
        self.languages: tuple[str, ...] = ("en",)

    # -- reporting ---------------------------------------------------------------------------

    def problem(self, path: tuple[Any, ...], message: str) -> None:
        if self.places is not None:
            self.problems.append(f"{self.places.where(path)}: {message}")
            return
        line = None
        for cut in range(len(path), -1, -1):
            line = self.lines.get(path[:cut])
            if line is not None:
                break
        where = f"{self.source_name}:{line}" if line else self.source_name
        self.problems.append(f"{where}: {describe(path)}: {message}")

    def describe(self, path: tuple[Any, ...]) -> str:
        return describe(path)

    # -- small readers -----------------------------------------------------------------------

    def mapping(self, value: Any, path: tuple[Any, ...], allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, "must be a mapping of keys to values")
            return {}
        for key in value:
            if key not in allowed:
                self.problem((*path, key), f"unknown key {key!r}")
        return value

    def text(self, value: Any, path: tuple[Any, ...], required: bool = True) -> Text | None:
        if value is None:
            if required:
                self.problem(path, "missing text")
            return None
        if not isinstance(value, dict):
            self.problem(path, "must be a map of language to text, e.g. {en: ...}")
            return None
        result: dict[str, str] = {}
        for language, text in value.items():
            if language not in self.languages:
                self.problem((*path, language), f"language {language!r} is not in `languages`")
            elif text is not None and not isinstance(text, str):
                self.problem((*path, language), f"must be text; put {text!r} in quotes")
            elif not isinstance(text, str) or not text.strip():
                self.problem((*path, language), "empty text")
            else:
                result[language] = text.strip()
        for language in self.languages:
            if language not in value:
                self.problem(path, f"text missing in language {language!r}")
        return result

    def integer(self, value: Any, path: tuple[Any, ...]) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, f"must be a whole number, not {value!r}")
            return None
        return int(value)

    def boolean(self, value: Any, path: tuple[Any, ...]) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.problem(path, f"must be true or false, not {value!r}")
            return False
        return value

    def identifier(self, value: Any, path: tuple[Any, ...], what: str) -> str | None:
        if not isinstance(value, str) or not _ID.match(value):
            self.problem(path, f"{what} id {value!r} must match [a-z][a-z0-9_]*")
            return None
        return value

    def parent(self, value: Any, path: tuple[Any, ...]) -> str | None:
        """A choice's `parent`: a code of the question its list follows (checked there)."""
        if value is None:
            return None
        if not isinstance(value, str) or not _CODE.match(value):
            self.problem(path, f"parent {value!r} must be a code, matching [a-z0-9][a-z0-9_]*")
            return None
        return value

    def choices(
        self,
        value: Any,
        path: tuple[Any, ...],
        extra: frozenset[str] = frozenset(),
        *,
        numbered: bool = False,
    ) -> tuple[Choice, ...]:
        """Coded items (choices, matrix rows or scale points): `extra` keys besides code, label
        and number; `numbered`: the codes are whole numbers, each its own number by default."""
        if not isinstance(value, list) or not value:
            self.problem(path, "must be a non-empty list")
            return ()
        allowed = {"code", "label", "number", *extra}
        result: list[Choice] = []
        seen_codes: set[Any] = set()
        seen_numbers: set[int] = set()
        for index, raw in enumerate(value, start=1):
            item_path = (*path, index - 1)
            data = self.mapping(raw, item_path, allowed)
            code = data.get("code")
            if numbered:
                if isinstance(code, bool) or not isinstance(code, int):
                    self.problem((*item_path, "code"), f"scale codes are whole numbers: {code!r}")
                    continue
            elif not isinstance(code, str) or not _CODE.match(code):
                self.problem((*item_path, "code"), f"code {code!r} must match [a-z0-9][a-z0-9_]*")
                continue
            if code in seen_codes:
                self.problem((*item_path, "code"), f"duplicate code {code!r}")
            seen_codes.add(code)
            number = data.get("number", code if numbered else index)
            checked = self.integer(number, (*item_path, "number"))
            number = index if checked is None else checked
            if number in seen_numbers:
                self.problem((*item_path, "number"), f"duplicate number {number}")
            seen_numbers.add(number)
            result.append(
                Choice(
                    code=code,
                    label=self.text(data.get("label"), (*item_path, "label")) or {},
                    number=number,
                    other=self.boolean(data.get("other"), (*item_path, "other")),
                    exclusive=self.boolean(data.get("exclusive"), (*item_path, "exclusive")),
                    missing=self.boolean(data.get("missing"), (*item_path, "missing")),
                    parent=self.parent(data.get("parent"), (*item_path, "parent")),
                )
            )
        return tuple(result)
