"""What the XLSForm reader holds while it reads one file, shared by the read_* modules: the
survey rows as classified, the questions kept so far, the rows left out, and the problems and
notes for the person converting."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from survey.xlsform import names
from survey.xlsform.from_xpath import Answer
from survey.xlsform.places import Place
from survey.xlsform.sheets import Row, Workbook


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


@dataclass(eq=False)
class Item:
    """A row of the survey sheet, classified."""

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


@dataclass(eq=False)
class Generated:
    """A row the platform's writer made for a question (`{"skip": true}`: its "Please specify"
    text, a matrix row), skipped because it is made again from that question."""

    item: Item
    owner: Item  # the question's row (a matrix: its group's row)
    question: dict[str, Any]  # the question as read


class RowError(Exception):
    """A row that cannot be carried over, and why."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


@dataclass(eq=False)
class ReaderState:
    """One file being read; each read_* module fills in its part."""

    path: Path
    book: Workbook
    skip_unsupported: bool
    problems: list[str] = field(default_factory=list)  # the file as a whole: always refused
    warnings: list[str] = field(default_factory=list)  # carried over, but maybe not as meant
    left_out: list[LeftOut] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fallback_languages: set[str] = field(default_factory=set)
    ignored_columns: set[str] = field(default_factory=set)
    emphasis_dropped: bool = False
    title_text: str = ""
    languages: dict[str, str] = field(default_factory=dict)  # language name → code, default first
    lists: dict[str, list[tuple[Row, str, str]]] = field(default_factory=dict)  # (row, name, code)
    used_lists: set[str] = field(default_factory=set)
    coded_lists: set[str] = field(default_factory=set)  # whose codes a carried question keeps
    renamed_codes: dict[str, list[str]] = field(default_factory=dict)  # list: 'A' → 'a', ...
    items: list[Item] = field(default_factory=list)
    by_name: dict[str, Item] = field(default_factory=dict)
    ids: dict[int, str] = field(default_factory=dict)  # id() of a question's item → its id
    sections: list[dict[str, Any]] = field(default_factory=list)
    kept: dict[str, Answer] = field(default_factory=dict)
    gone: dict[str, str] = field(default_factory=dict)  # names of rows left out → why
    metadata: dict[str, str] = field(default_factory=dict)  # names of metadata rows → their type
    current: tuple[str, Answer] | None = None
    generated: list[Generated] = field(default_factory=list)
    orphans: list[Item] = field(default_factory=list)  # skip rows of no question kept
    # id() of each section, question and choice mapping made → it and the row it came from
    placed: dict[int, tuple[Any, Place]] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return str(self.path)

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(self.languages.values()))

    def id_of(self, item: Item) -> str:
        return self.ids.get(id(item)) or names.question_id(item.name)

    def place(self, made: dict[str, Any], place: Place) -> None:
        """Remember the row a section, question or choice of the data came from."""
        self.placed[id(made)] = (made, place)

    def row_place(self, item: Item) -> Place:
        return Place("survey", item.row.number, item.name, keys=frozenset(item.keys))

    def leave(self, item: Item, why: str) -> None:
        self.left_out.append(LeftOut("survey", item.row.number, item.name, item.type_text, why))
        if item.name:
            self.gone.setdefault(item.name, why)
