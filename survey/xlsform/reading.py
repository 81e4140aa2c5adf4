"""Reading an XLSForm (.xlsx) into the questionnaire format of questionnaires/FORMAT.md.

`read_xlsform(path)` gives a `Conversion`: `data`, the questionnaire as a dict ready to dump
(`yaml_text`), `left_out`, the rows it did not carry over, and `notes`, what it changed on the
way (names made into ids, metadata dropped, defaults chosen). A row the platform cannot carry
over (a repeat, a photo, an expression it has no words for) refuses the whole file with every
such row listed (XLSFormError); with `skip_unsupported` those rows are left out instead, and so
is every row whose relevant, constraint, calculation or choice filter names a row left out
(dropping the condition would show or accept what the form's author did not mean to).

The mapping, row by row, is the table in FORMAT.md, "XLSForm".
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pyxform import aliases
from pyxform.errors import PyXFormError
from pyxform.parsing.parameters import parse as parse_parameters
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL, RE_SELECT

from survey.xlsform import names
from survey.xlsform.from_xpath import Answer, ExpressionError, translate
from survey.xlsform.languages import language_code
from survey.xlsform.sheets import DEFAULT, Row, Workbook, WorkbookError, read_workbook
from survey.xlsform.yaml_dump import yaml_text

__all__ = ["Conversion", "LeftOut", "XLSFormError", "read_xlsform", "yaml_text"]

# XLSForm's types (with pyxform's aliases) that have a question type of the platform.
_TYPES = {
    **dict.fromkeys(("integer", "int", "q int", "add integer prompt"), "integer"),
    **dict.fromkeys(("decimal", "q decimal", "add decimal prompt"), "decimal"),
    **dict.fromkeys(("text", "string", "q string", "add text prompt"), "text"),
    **dict.fromkeys(("date", "q date", "add date prompt"), "date"),
    **dict.fromkeys(("note", "q note", "add note prompt"), "note"),
    **dict.fromkeys(
        ("acknowledge", "q acknowledge", "add acknowledge prompt", "trigger"), "acknowledge"
    ),
    **dict.fromkeys(
        ("geopoint", "q geopoint", "gps", "location", "q location", "add location prompt"),
        "geopoint",
    ),
    **dict.fromkeys(("calculate", "q calculate", "add calculate prompt"), "calculate"),
    "range": "scale",
}
# Rows about the device and the session rather than the respondent; the platform records the
# times it needs itself.
_METADATA = {"audit", "start-geopoint", "background-audio", "background-geopoint"}
_KIND_OF_TYPE = {
    "integer": "number",
    "decimal": "number",
    "scale": "number",
    "date": "date",
    "text": "text",
    "single": "single",
    "multiple": "multiple",
}
# Question keys that belong to a type (dropped when survey_keys gives the row another type).
_TYPE_KEYS = {
    "choices",
    "filter_by",
    "min",
    "max",
    "min_label",
    "max_label",
    "calculation",
    "max_length",
    "decimals",
    "max_choices",
}
# `column = ${question}`, and the form this platform writes, which also offers the choices that
# belong to no answer: `column = ${question} or column = ''`.
_CHOICE_FILTER = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*\$\{\s*([^}\s]+)\s*\}"
    r"(?:\s+or\s+\1\s*=\s*(?:''|\"\"))?\s*$"
)
_PIPED = re.compile(r"\$\{[^}]*\}")
# Markdown emphasis, which ODK and KoboToolbox show as bold or italics: `**strong**`,
# `__strong__`, `*emphasis*` (the markers hug the words, so `2 * 3 * 4` is left alone).
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*")
# Columns the reader reads (others are listed in a note as not carried over).
_READ_COLUMNS = {"type", "name", "label", "hint", "choice_filter", "parameters", "survey_keys"}
_READ_BIND = {
    "relevant",
    "constraint",
    "required",
    "jr:constraintMsg",
    "jr:requiredMsg",
    "calculate",
}
_QUIET_BIND = {"readonly"}  # read for calculations, meaningless otherwise

# Texts the reader writes itself, in the languages it has words in (others get the English).
_WORDS = {
    "other": {"en": "Other", "fr": "Autre", "es": "Otro"},
    "constraint": {
        "en": "This answer is not allowed.",
        "fr": "Cette réponse n'est pas acceptée.",
        "es": "Esta respuesta no está permitida.",
    },
    "consent": {
        "en": "I agree to take part in this survey.",
        "fr": "J'accepte de participer à cette enquête.",
        "es": "Acepto participar en esta encuesta.",
    },
}
OPEN_SCHEDULE = {"opens_at": None, "closes_at": None, "timezone": "UTC", "grace_minutes": 0}


class XLSFormError(ValueError):
    """An XLSForm that cannot be converted; `problems` holds one line for each reason."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LeftOut:
    """A row not carried over."""

    sheet: str
    row: int
    name: str
    type: str
    why: str

    def line(self, source: str) -> str:
        return (
            f"{source}: sheet {self.sheet}, row {self.row}, name {self.name!r}, "
            f"type {self.type!r}: {self.why}"
        )


@dataclass
class Conversion:
    data: dict[str, Any]
    left_out: list[LeftOut]
    notes: list[str]
    source: str  # the file's name, for the YAML's header

    def yaml_text(self) -> str:
        return yaml_text(self.data, self.source)


def read_xlsform(path: str | Path, *, skip_unsupported: bool = False) -> Conversion:
    """Convert an XLSForm file; XLSFormError lists every row that cannot be carried over (with
    `skip_unsupported`: only problems with the file as a whole)."""
    path = Path(path)
    try:
        book = read_workbook(path)
    except WorkbookError as error:
        raise XLSFormError([f"{path}: {error}"]) from None
    return _Reader(path, book, skip_unsupported).convert()


# -- the rows of the survey sheet ------------------------------------------------------------


@dataclass(eq=False)
class _Item:
    row: Row
    type_text: str
    kind: str  # blank begin_group end_group begin_repeat end_repeat question metadata skip
    name: str = ""
    question_type: str | None = None  # the platform's type of a question row
    list_name: str | None = None
    or_other: bool = False
    unsupported: str | None = None  # why the row itself cannot be carried over
    keys: dict[str, Any] = field(default_factory=dict)  # its survey_keys

    @property
    def is_matrix(self) -> bool:
        return self.kind == "begin_group" and self.keys.get("type") == "matrix"


@dataclass
class _Frame:
    """An open group or repeat while the rows are walked."""

    item: _Item | None
    kind: str  # root group repeat
    section: dict[str, Any] | None = None  # a top-level group's section
    conditions: tuple[str, ...] = ()  # relevant of enclosing nested groups
    leave: str | None = None  # why the rows inside are left out
    silent: bool = False  # rows inside belong to a matrix question: skipped without a word


class _RowError(Exception):
    """A row that cannot be carried over: `direct` when the row itself is the reason, not a
    row it refers to that is left out."""

    def __init__(self, why: str, *, direct: bool = True):
        super().__init__(why)
        self.why = why
        self.direct = direct


class _Reader:
    def __init__(self, path: Path, book: Workbook, skip_unsupported: bool):
        self.path = path
        self.source = str(path)
        self.book = book
        self.skip_unsupported = skip_unsupported
        self.problems: list[str] = []  # the file as a whole: always refused
        self.row_problems: list[str] = []  # rows that cannot be carried over
        self.left_out: list[LeftOut] = []
        self.notes: list[str] = []
        self.fallback_languages: set[str] = set()
        self.ignored_columns: set[str] = set()
        self.kept: dict[str, Answer] = {}
        self.gone: dict[str, str] = {}  # names of rows left out → why
        self.metadata: dict[str, str] = {}  # names of metadata rows → their type
        self.current: tuple[str, Answer] | None = None
        self.emphasis_dropped = False

    # -- the whole file ------------------------------------------------------------------------

    def convert(self) -> Conversion:
        settings = self.settings_values()
        settings_keys = self.settings_keys()
        self.title_text = self.title(settings)
        self.languages = self.read_languages(settings.get("default_language"))
        if self.problems:
            raise XLSFormError(self.problems)
        self.read_choices()
        self.items = self.classify()
        self.assign_ids()
        self.sections: list[dict[str, Any]] = []
        self.walk()
        if self.problems or (self.row_problems and not self.skip_unsupported):
            raise XLSFormError(self.problems + self.row_problems)
        sections = [section for section in self.sections if section["questions"]]
        if not sections:
            raise XLSFormError([f"{self.source}: no question could be carried over"])
        data: dict[str, Any] = {
            "slug": self.slug(settings),
            "languages": list(self.languages.values()),
            "title": {code: self.title_text for code in self.codes},
            "schedule": dict(OPEN_SCHEDULE),
            "consent": {"version": self.version(settings), "label": self.words("consent")},
            "sections": sections,
        }
        data.update(settings_keys)
        self.notes.append(
            "schedule: open as soon as it is loaded, with no closing time (UTC); set it with "
            "`survey schedule` before sharing the survey"
        )
        self.unused_lists()
        if self.ignored_columns:
            columns = ", ".join(sorted(self.ignored_columns))
            self.notes.append(
                f"columns not carried over (the platform does not use them): {columns}"
            )
        if self.emphasis_dropped:
            self.notes.append(
                "texts: Markdown emphasis (**bold**, *italics*) is dropped and its words kept; "
                "the platform shows texts as plain text"
            )
        if self.fallback_languages:
            missing = ", ".join(sorted(self.fallback_languages))
            self.notes.append(
                f"texts the reader wrote itself (consent, 'Other', constraint messages) are in "
                f"English for {missing}: translate them"
            )
        return Conversion(data, self.left_out, self.notes, self.path.name)

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(self.languages.values()))

    def settings_values(self) -> dict[str, Any]:
        row = self.book.settings
        return dict(row.values) if row is not None else {}

    def title(self, settings: dict[str, Any]) -> str:
        title = settings.get("title")
        if isinstance(title, str) and title.strip():
            return title.strip()
        misspelt = get_close_matches("form_title", [str(key) for key in settings], n=1, cutoff=0.8)
        fallback = settings.get("id_string") or self.path.stem
        how = "form_id" if settings.get("id_string") else "the file name"
        if misspelt:
            self.notes.append(
                f"settings: no form_title ({misspelt[0]!r} looks like a misspelling of it and is "
                f"not read); the title is taken from {how}: {fallback!r}"
            )
        else:
            self.notes.append(
                f"settings: no form_title; the title is taken from {how}: {fallback!r}"
            )
        return str(fallback).strip()

    def slug(self, settings: dict[str, Any]) -> str:
        form_id = settings.get("id_string")
        made = names.slug(str(form_id)) if form_id else ""
        if not made:
            made = names.slug(self.path.stem) or "form"
            self.notes.append(
                f"settings: no form_id; the slug is made from the file name: {made!r}"
            )
        elif made != form_id:
            self.notes.append(f"settings: form_id {form_id!r} becomes the slug {made!r}")
        return made

    def version(self, settings: dict[str, Any]) -> str:
        version = str(settings.get("version") or "").strip()
        if version:
            return version
        self.notes.append("settings: no version; the consent version is '1'")
        return "1"

    def settings_keys(self) -> dict[str, Any]:
        row = self.book.settings
        if row is None:
            return {}
        try:
            return _survey_keys(row)
        except ValueError as error:
            self.problems.append(f"{self.source}: sheet settings, row {row.number}: {error}")
            return {}

    # -- languages -----------------------------------------------------------------------------

    def read_languages(self, default_name: Any) -> dict[str, str]:
        """Each language name of the columns (and `default`) → its code, default first."""
        seen: dict[str, None] = {}
        for row in [*self.book.survey, *self.book.choices]:
            for text in _texts_of(row):
                if isinstance(text, dict):
                    seen.update(dict.fromkeys(str(key) for key in text))
                elif text is not None:
                    seen[DEFAULT] = None
        default_code = None
        if default_name:
            default_code = language_code(str(default_name))
            if default_code is None:
                self.problems.append(
                    f"{self.source}: sheet settings: default_language {default_name!r} has no "
                    "known language code; write it as 'Name (code)', e.g. 'English (en)'"
                )
        codes: dict[str, str] = {}
        for name in seen:
            if name == DEFAULT:
                codes[name] = default_code or "en"
                if not default_code and len(seen) > 1:
                    self.notes.append(
                        "texts in columns without a language are taken as English (en)"
                    )
                continue
            code = language_code(name)
            if code is None:
                self.problems.append(
                    f"{self.source}: language {name!r} (in columns such as label::{name}) has no "
                    "known language code; write it as 'Name (code)', e.g. 'English (en)'"
                )
                continue
            codes[name] = code
        if not codes:
            codes[DEFAULT] = default_code or "en"
        first = default_code if default_code in codes.values() else next(iter(codes.values()))
        return dict(sorted(codes.items(), key=lambda item: item[1] != first))

    def texts(self, value: Any) -> dict[str, str] | None:
        """A text of the sheets (one string, or per language) as the format's language map."""
        if value is None:
            return None
        by_code: dict[str, str] = {}
        items = value.items() if isinstance(value, dict) else [(DEFAULT, value)]
        for name, text in items:
            code = self.languages.get(str(name))
            if code is not None and str(text).strip():
                by_code.setdefault(code, self.plain(str(text).strip()))
        ordered = {code: by_code[code] for code in self.codes if code in by_code}
        return ordered or None

    def plain(self, text: str) -> str:
        """`text` without Markdown emphasis markers (noted once for the whole form)."""
        plain = _EMPHASIS.sub(lambda match: match.group(2) or match.group(3), text)
        self.emphasis_dropped |= plain != text
        return plain

    def words(self, key: str) -> dict[str, str]:
        known = _WORDS[key]
        for code in self.codes:
            if code not in known:
                self.fallback_languages.add(code)
        return {code: known.get(code, known["en"]) for code in self.codes}

    # -- choices -------------------------------------------------------------------------------

    def read_choices(self) -> None:
        """Each list's choices in order: (row, name, code), with codes valid and unique."""
        self.lists: dict[str, list[tuple[Row, str, str]]] = {}
        self.used_lists: set[str] = set()
        renamed: dict[str, list[str]] = {}
        taken: dict[str, names.Names] = {}
        for row in self.book.choices:
            list_name, name = row.get("list name"), row.get("name")
            if list_name is None and name is None:
                continue
            if list_name is None or name is None:
                self.notes.append(
                    f"sheet choices, row {row.number}: no "
                    f"{'list_name' if list_name is None else 'name'}; the row is ignored"
                )
                continue
            list_name, name = str(list_name), str(name)
            code = taken.setdefault(list_name, names.Names()).unique(names.choice_code(name))
            if code != name:
                renamed.setdefault(list_name, []).append(f"{name!r} → {code!r}")
            self.lists.setdefault(list_name, []).append((row, name, code))
        for list_name, changes in renamed.items():
            self.notes.append(f"choice list {list_name!r}: codes {', '.join(changes)}")

    def choice_codes(self, list_name: str) -> dict[str, str]:
        return {name: code for _, name, code in self.lists.get(list_name, [])}

    def unused_lists(self) -> None:
        for list_name, choices in self.lists.items():
            if list_name not in self.used_lists:
                rows = ", ".join(str(row.number) for row, _, _ in choices[:5])
                more = ", ..." if len(choices) > 5 else ""
                self.notes.append(
                    f"choice list {list_name!r} (sheet choices, rows {rows}{more}) is used by no "
                    "question carried over; it is not carried over"
                )

    # -- classifying the survey rows -----------------------------------------------------------

    def classify(self) -> list[_Item]:
        return [self.classify_row(row) for row in self.book.survey]

    def classify_row(self, row: Row) -> _Item:
        type_text = " ".join(str(row.get("type") or "").split())
        name = str(row.get("name") or "").strip()
        item = _Item(row, type_text, "question", name)
        try:
            item.keys = _survey_keys(row)
        except ValueError as error:
            item.unsupported = str(error)
        if item.keys.get("skip") is True:
            item.kind = "skip"
            return item
        if not type_text:
            if not row.values or not (name or row.get("label")):
                item.kind = "blank"
            else:
                item.unsupported = item.unsupported or "the row has no type"
            return item
        begin, end = RE_BEGIN_CONTROL.search(type_text), RE_END_CONTROL.search(type_text)
        if end:
            item.kind = "end_group" if aliases.control[end["type"]] == "group" else "end_repeat"
            return item
        if begin:
            control = aliases.control[begin["type"]]
            item.kind = "begin_group" if control == "group" else "begin_repeat"
            item.name = name or f"group_{row.number}"
            if control != "group":
                item.unsupported = "repeats are not supported"
            return item
        if not name:
            if _TYPES.get(type_text) == "note":
                item.name = f"note_{row.number}"
                self.notes.append(
                    f"survey row {row.number}: a note without a name is named {item.name!r}"
                )
            else:
                item.unsupported = item.unsupported or "the row has no name"
                return item
        self.classify_type(item, type_text)
        return item

    def classify_type(self, item: _Item, type_text: str) -> None:
        select = RE_SELECT.search(type_text)
        if select:
            command = select["select_command"]
            if command in aliases.select_from_file:
                item.unsupported = "choices from a file are not supported"
            elif aliases.select[command] == "select one external":
                item.unsupported = "external choices are not supported"
            elif command == "rank":
                item.unsupported = "rank questions are not supported"
            elif select["list_name"] not in self.lists:
                item.unsupported = (
                    f"choice list {select['list_name']!r} is not on the choices sheet"
                )
            else:
                item.question_type = (
                    "single" if aliases.select[command] == "select one" else "multiple"
                )
                item.list_name = select["list_name"]
                item.or_other = select["specify_other"] is not None
            return
        known = QUESTION_TYPE_DICT.get(type_text) or QUESTION_TYPE_DICT.get(type_text.lower())
        platform_type = _TYPES.get(type_text) or _TYPES.get(type_text.lower())
        if platform_type:
            item.question_type = platform_type
        elif type_text in _METADATA or (known and "jr:preload" in known.get("bind", {})):
            item.kind = "metadata"
        elif type_text.startswith(("select_one", "select_multiple", "select one", "select all")):
            item.unsupported = f"type {type_text!r} is not a select with a choice list"
        elif known is not None or type_text in ("xml-external", "csv-external"):
            item.unsupported = f"{type_text} questions are not supported"
        else:
            item.unsupported = f"unknown type {type_text!r}"

    # -- ids -----------------------------------------------------------------------------------

    def assign_ids(self) -> None:
        """Every question row's id: valid, unique ignoring case, clear of the export columns
        the platform adds (`<geopoint>_latitude`, `<question>_other`); renamings noted."""
        questions = [item for item in self.items if item.kind == "question" and item.name]
        self.by_name: dict[str, _Item] = {}
        for item in self.items:
            if item.name and item.kind in ("question", "metadata", "begin_group"):
                self.by_name.setdefault(item.name, item)
        taken = names.Names(conditions=True)
        for item in questions:
            base = names.question_id(item.name)
            if item.question_type == "geopoint":
                taken.reserve(f"{base}_latitude")
                taken.reserve(f"{base}_longitude")
            if item.or_other:
                taken.reserve(f"{base}_other")
        self.ids: dict[int, str] = {}
        for item in [*questions, *(i for i in self.items if i.is_matrix)]:
            wanted = item.keys.get("id") if isinstance(item.keys.get("id"), str) else None
            if wanted:
                taken.reserve(wanted)
                self.ids[id(item)] = wanted
                continue
            base = names.question_id(item.name)
            given = base if taken.free(base) else taken.unique(base)
            taken.reserve(given)
            self.ids[id(item)] = given
            if given != item.name and item.unsupported is None:
                self.notes.append(f"survey row {item.row.number}: {item.name!r} is now {given!r}")

    def id_of(self, item: _Item) -> str:
        return self.ids.get(id(item)) or names.question_id(item.name)

    # -- walking the rows ----------------------------------------------------------------------

    def walk(self) -> None:
        self.section_names = names.Names()
        self.part: dict[str, Any] | None = None
        self.parts = 0
        stack = [_Frame(None, "root")]
        for item in self.items:
            frame = stack[-1]
            if item.kind in ("blank", "skip"):
                continue
            if item.kind in ("end_group", "end_repeat"):
                self.close(stack, item)
                continue
            if frame.silent:
                if item.kind in ("begin_group", "begin_repeat"):
                    stack.append(_Frame(item, "group", silent=True))
                continue
            if frame.leave is not None:
                self.inside_left_out(stack, item, frame.leave)
                continue
            if item.kind in ("question", "begin_group"):
                self.ignored_columns.update(_unread_columns(item.row))
            if item.kind == "begin_repeat":
                self.leave(item, str(item.unsupported), direct=True)
                stack.append(_Frame(item, "repeat", leave=_inside(item)))
            elif item.kind == "begin_group":
                stack.append(self.open_group(item, stack))
            elif item.kind == "metadata":
                self.metadata[item.name] = item.type_text
                self.notes.append(
                    f"survey row {item.row.number}: {item.name!r} ({item.type_text}) is metadata "
                    "of the device or session; it is dropped (the platform records its own times)"
                )
            else:
                self.question_row(item, stack)
        if len(stack) > 1:
            opened = stack[-1].item
            assert opened is not None
            self.problems.append(
                f"{self.source}: sheet survey, row {opened.row.number}, name {opened.name!r}: "
                f"'{opened.type_text}' has no matching end"
            )

    def inside_left_out(self, stack: list[_Frame], item: _Item, why: str) -> None:
        if item.kind in ("begin_group", "begin_repeat"):
            kind = "group" if item.kind == "begin_group" else "repeat"
            stack.append(_Frame(item, kind, leave=_inside(item)))
        if item.kind == "metadata":
            return
        if item.unsupported:
            self.leave(item, item.unsupported, direct=True)
        else:
            self.leave(item, why, direct=False)

    def close(self, stack: list[_Frame], item: _Item) -> None:
        kind = "group" if item.kind == "end_group" else "repeat"
        if len(stack) == 1 or stack[-1].kind != kind:
            open_kind = "nothing" if len(stack) == 1 else f"a {stack[-1].kind}"
            self.problems.append(
                f"{self.source}: sheet survey, row {item.row.number}: '{item.type_text}' "
                f"closes {open_kind}"
            )
            return
        frame = stack.pop()
        if frame.section is not None:
            self.part = None

    def leave(self, item: _Item, why: str, *, direct: bool) -> None:
        self.left_out.append(LeftOut("survey", item.row.number, item.name, item.type_text, why))
        if item.name:
            self.gone.setdefault(item.name, why)
        if direct:
            self.row_problems.append(
                f"{self.source}: sheet survey, row {item.row.number}, name {item.name!r}, "
                f"type {item.type_text!r}: {why}"
            )

    # -- groups --------------------------------------------------------------------------------

    def open_group(self, item: _Item, stack: list[_Frame]) -> _Frame:
        frame = stack[-1]
        if item.is_matrix:
            self.place(self.matrix(item), stack)
            return _Frame(item, "group", silent=True)
        try:
            relevant = self.expression(item, ("bind", "relevant"), "relevant")
        except _RowError as error:
            self.leave(item, error.why, direct=error.direct)
            return _Frame(item, "group", leave=_inside(item))
        if item.unsupported:
            self.leave(item, item.unsupported, direct=True)
            return _Frame(item, "group", leave=_inside(item))
        if frame.kind != "root":
            conditions = frame.conditions + ((relevant,) if relevant else ())
            return _Frame(item, "group", conditions=conditions)
        section: dict[str, Any] = {
            "id": self.section_names.unique(names.section_id(item.name)),
            "title": self.texts(item.row.get("label")) or self.form_title(),
        }
        intro = self.texts(item.row.get("hint"))
        if intro:
            section["intro"] = intro
        if relevant:
            section["relevant"] = relevant
        section.update(item.keys)
        section["questions"] = []
        self.sections.append(section)
        self.part = None
        return _Frame(item, "group", section=section)

    def form_title(self) -> dict[str, str]:
        return {code: self.title_text for code in self.codes}

    def matrix(self, item: _Item) -> dict[str, Any]:
        """A group the writer made of one matrix question: its survey_keys are the question."""
        question = {"id": self.id_of(item), **item.keys}
        self.kept[item.name] = Answer(question["id"], "other")
        # Its rows were written as questions `<id>__<row>` that conditions name; each is the
        # row `id.row` here, answered with a scale point (a whole number).
        for row in question.get("rows") or []:
            if isinstance(row, dict) and "code" in row:
                name = f"{item.name}__{row['code']}"
                self.kept[name] = Answer(f"{question['id']}.{row['code']}", "number")
        return question

    def place(self, question: dict[str, Any], stack: list[_Frame]) -> None:
        section = next((frame.section for frame in reversed(stack) if frame.section), None)
        if section is None:
            if self.part is None:
                self.parts += 1
                self.part = {
                    "id": self.section_names.unique(f"part_{self.parts}"),
                    "title": self.form_title(),
                    "questions": [],
                }
                self.sections.append(self.part)
            section = self.part
        section["questions"].append(question)

    # -- questions -----------------------------------------------------------------------------

    def question_row(self, item: _Item, stack: list[_Frame]) -> None:
        if item.unsupported:
            self.leave(item, item.unsupported, direct=True)
            return
        try:
            question = self.question(item, stack[-1].conditions)
        except _RowError as error:
            self.leave(item, error.why, direct=error.direct)
            return
        finally:
            self.current = None
        self.kept[item.name] = self.answer_of(item, question)
        self.place(question, stack)

    def answer_of(self, item: _Item, question: dict[str, Any]) -> Answer:
        kind = _KIND_OF_TYPE.get(str(question.get("type")), "other")
        codes = {}
        if kind in ("single", "multiple") and item.list_name:
            codes = self.choice_codes(item.list_name)
            if item.or_other:
                codes.setdefault("other", "other")
        return Answer(question["id"], kind, codes)

    def question(self, item: _Item, conditions: tuple[str, ...]) -> dict[str, Any]:
        row = item.row
        question_type = str(item.question_type)
        calculation = row.get("bind", "calculate")
        computed = question_type == "calculate" or (
            calculation is not None and aliases.yes_no.get(str(row.get("bind", "readonly"))) is True
        )
        question: dict[str, Any] = {"id": self.id_of(item), "type": question_type}
        if computed and question_type != "calculate":
            self.notes.append(
                f"survey row {row.number}: {item.name!r} is worked out from other answers "
                "(read_only with a calculation): it becomes a calculate question"
                + (" and its choices are not carried over" if item.list_name else "")
            )
            question["type"] = "calculate"
        elif calculation is not None and question_type != "calculate":
            self.notes.append(
                f"survey row {row.number}: {item.name!r} has a calculation but is not read_only: "
                "the calculation (a default people could change) is not carried over"
            )
        self.text_keys(item, question, computed)
        relevant = self.expression(item, ("bind", "relevant"), "relevant")
        combined = _all_of([*conditions, *([relevant] if relevant else [])])
        if combined:
            question["relevant"] = combined
        if computed:
            if calculation is None:
                raise _RowError("a calculate row needs a calculation")
            question["calculation"] = self.expression(item, ("bind", "calculate"), "calculation")
            dropped = [key for key in ("constraint", "required") if row.get("bind", key)]
            if dropped:
                self.notes.append(
                    f"survey row {row.number}: {item.name!r} is never asked, so its "
                    f"{' and '.join(dropped)} cannot be checked with anyone: not carried over"
                )
        else:
            self.type_keys(item, question)
            self.current = (item.name, self.answer_of(item, question))
            constraint = self.expression(item, ("bind", "constraint"), "constraint")
            if constraint and question["type"] != "note":
                message = self.texts(_either(row, "jr:constraintMsg")) or self.words("constraint")
                question["constraints"] = [{"check": constraint, "message": message}]
        return self.merged(item, question)

    def text_keys(self, item: _Item, question: dict[str, Any], computed: bool) -> None:
        row = item.row
        label = self.texts(row.get("label"))
        if label:
            question["label"] = label
        help_text = self.texts(row.get("hint"))
        if help_text and not computed:
            question["help"] = help_text
        texts = [row.get("label"), row.get("hint"), _either(row, "jr:constraintMsg")]
        piped = sorted({match for text in texts for match in _PIPED.findall(_joined(text))})
        if piped:
            self.notes.append(
                f"survey row {row.number}: the texts of {item.name!r} show "
                f"{', '.join(piped)} as written (answers inside texts are not supported)"
            )
        if computed or question["type"] in ("note",):
            return
        required = row.get("bind", "required")
        if required is not None:
            flag = aliases.yes_no.get(str(required).strip())
            if flag is None:
                raise _RowError(f"required expressions ({required!r}) are not supported")
            if flag:
                question["required"] = True
                message = self.texts(_either(row, "jr:requiredMsg"))
                if message:
                    question["required_message"] = message

    def type_keys(self, item: _Item, question: dict[str, Any]) -> None:
        if item.question_type == "scale":
            question.update(self.scale(item))
        if item.list_name is not None:
            question.update(self.choices(item))

    def scale(self, item: _Item) -> dict[str, Any]:
        raw = str(item.row.get("parameters") or "")
        try:
            parameters = parse_parameters(raw, item.row.number)
        except PyXFormError:
            raise _RowError(f"parameters {raw!r} cannot be read") from None
        values = {"start": "1", "end": "10", "step": "1", **parameters}
        try:
            start, end, step = (int(values[key]) for key in ("start", "end", "step"))
        except ValueError:
            start = end = step = 0
        if step != 1 or start >= end:
            raise _RowError(
                "only ranges of whole numbers from start up to end in steps of 1 are supported "
                f"({raw!r})"
            )
        return {"min": start, "max": end}

    def choices(self, item: _Item) -> dict[str, Any]:
        list_name = str(item.list_name)
        self.used_lists.add(list_name)
        keys: dict[str, Any] = {}
        parents: dict[str, str] | None = None
        column = None
        choice_filter = item.row.get("choice_filter")
        if choice_filter:
            column, parent_name = self.choice_filter(item, str(choice_filter))
            parent = self.kept[parent_name]
            keys["filter_by"] = parent.id
            parents = dict(parent.codes)
        choices: list[dict[str, Any]] = []
        for row, _name, code in self.lists[list_name]:
            choice: dict[str, Any] = {"code": code}
            label = self.texts(row.get("label"))
            if label:
                choice["label"] = label
            if parents is not None and column is not None and row.get(column) is not None:
                value = str(row.get(column))
                if value not in parents:
                    self.notes.append(
                        f"sheet choices, row {row.number}: choice {code!r} of {item.name!r} "
                        f"belongs to {value!r}, which is no choice of {keys['filter_by']!r}: it "
                        "could never be offered and is not carried over"
                    )
                    continue
                choice["parent"] = parents[value]
            try:
                row_keys = _survey_keys(row)
            except ValueError as error:
                raise _RowError(f"choices row {row.number}: {error}") from None
            if row_keys.get("skip") is True:
                continue
            choice.update(row_keys)
            choices.append(choice)
        if item.or_other:
            existing = next((choice for choice in choices if choice["code"] == "other"), None)
            if existing is not None:
                existing["other"] = True
            else:
                choices.append({"code": "other", "label": self.words("other"), "other": True})
        keys["choices"] = choices
        return keys

    def choice_filter(self, item: _Item, text: str) -> tuple[str, str]:
        """The choices column and the earlier single question of `column = ${question}`."""
        match = _CHOICE_FILTER.match(text)
        if match is None:
            raise _RowError(
                f"choice_filter {text!r} is not supported: only `column = ${{question}}` is"
            )
        column, parent_name = match.groups()
        self.check_names(item, {parent_name}, "choice_filter", inclusive=False)
        parent = self.kept[parent_name]
        if parent.kind != "single":
            raise _RowError(f"choice_filter: {parent_name!r} is not a select_one question")
        if not any(row.get(column) is not None for row, _, _ in self.lists[str(item.list_name)]):
            raise _RowError(f"choice_filter: the choices sheet has no column {column!r} for it")
        return column, parent_name

    def merged(self, item: _Item, question: dict[str, Any]) -> dict[str, Any]:
        """The row's survey_keys over what was read from it (another type drops the keys that
        belonged to the one read)."""
        if not item.keys:
            return question
        new_type = item.keys.get("type")
        if new_type is not None and new_type != question.get("type"):
            question = {key: value for key, value in question.items() if key not in _TYPE_KEYS}
        question.update(item.keys)
        return question

    # -- expressions ---------------------------------------------------------------------------

    def expression(self, item: _Item, path: tuple[str, ...], what: str) -> str | None:
        source = item.row.get(*path)
        if source is None or not str(source).strip():
            return None
        own = item.name if what == "constraint" else None
        try:
            translation = translate(str(source), self.lookup, own=own)
        except ExpressionError as error:
            raise _RowError(f"{what} {_short(str(source))}: {error}") from None
        self.check_names(item, translation.names, what, inclusive=what == "constraint")
        return translation.text

    def lookup(self, name: str) -> Answer | None:
        if self.current is not None and name == self.current[0]:
            return self.current[1]
        if name in self.kept:
            return self.kept[name]
        if self.metadata.get(name) == "today":
            return Answer("today()", "date")
        item = self.by_name.get(name)
        if item is None:
            return None
        return Answer(self.id_of(item), _KIND_OF_TYPE.get(str(item.question_type), "other"))

    def check_names(
        self, item: _Item, used: set[str] | frozenset[str], what: str, *, inclusive: bool
    ) -> None:
        """Every name an expression uses is a question kept, and asked before it."""
        for name in sorted(used):
            if name in self.gone:
                raise _RowError(f"{what} refers to {name!r}, which is left out", direct=False)
            if self.metadata.get(name) == "today":
                continue
            if name in self.metadata:
                raise _RowError(
                    f"{what} refers to {name!r} ({self.metadata[name]}), metadata the platform "
                    "does not keep"
                )
            if name in self.kept and name != item.name:
                continue
            if inclusive and name == item.name:
                continue
            if name == item.name:
                raise _RowError(f"{what} refers to the question itself")
            if name in self.by_name and self.by_name[name].kind == "begin_group":
                raise _RowError(f"{what} refers to the group {name!r}")
            raise _RowError(
                f"{what} refers to {name!r}, which comes later in the form (conditions may only "
                "use questions asked before)"
            )


def _inside(item: _Item) -> str:
    """Why the rows inside a group or repeat left out are left out too."""
    kind = "group" if item.kind == "begin_group" else "repeat"
    return f"inside {kind} {item.name!r}, which is left out"


def _survey_keys(row: Row) -> dict[str, Any]:
    """The row's `survey_keys` cell: a JSON object of keys in the platform's format."""
    raw = row.get("survey_keys")
    if raw is None or not str(raw).strip():
        return {}
    try:
        value = json.loads(str(raw))
    except ValueError as error:
        raise ValueError(f"survey_keys is not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise ValueError("survey_keys must be a JSON object of keys and values")
    return value


def _unread_columns(row: Row) -> set[str]:
    """The columns of a row the reader does not read, as the form's author wrote them."""
    found = set()
    for key, value in row.values.items():
        if key == "bind" and isinstance(value, dict):
            found |= {f"bind::{sub}" for sub in value if sub not in _READ_BIND | _QUIET_BIND}
        elif key == "control" and isinstance(value, dict):
            found |= {"repeat_count" if sub == "jr:count" else sub for sub in value}
        elif key not in _READ_COLUMNS and not key.startswith("jr:"):
            found.add(key)
    return found


def _texts_of(row: Row) -> Iterator[Any]:
    """The translatable cells of a row (label, hint, messages), as grouped by sheets.py."""
    yield row.get("label")
    yield row.get("hint")
    yield _either(row, "jr:constraintMsg")
    yield _either(row, "jr:requiredMsg")


def _either(row: Row, key: str) -> Any:
    """A bind column written `constraint_message` (under bind) or `jr:constraintMsg` (alone)."""
    value = row.get("bind", key)
    return value if value is not None else row.get(key)


def _joined(text: Any) -> str:
    if isinstance(text, dict):
        return " ".join(str(value) for value in text.values())
    return "" if text is None else str(text)


def _all_of(conditions: list[str]) -> str | None:
    """Conditions that must all hold, as one; parentheses only where `and` needs them."""
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return " and ".join(c if _binds_tighter_than_and(c) else f"({c})" for c in conditions)


def _binds_tighter_than_and(condition: str) -> bool:
    node = ast.parse(condition, mode="eval").body
    return not (
        isinstance(node, ast.IfExp)
        or (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or))
    )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 80 else text[:80] + "…")
