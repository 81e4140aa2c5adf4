"""Walking an XLSForm's survey rows in order into sections: a top-level group becomes a
section, a nested group adds its relevant to the questions inside it, questions outside any
group go into parts, a matrix group becomes one question, and the rows inside a group or repeat
left out are left out with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from survey.xlsform import names
from survey.xlsform.from_xpath import Answer
from survey.xlsform.read_expressions import expression
from survey.xlsform.read_questions import question_row
from survey.xlsform.read_settings import form_title, texts
from survey.xlsform.read_state import Generated, Item, ReaderState, RowError
from survey.xlsform.sheets import Row

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


@dataclass
class _Frame:
    """An open group or repeat while the rows are walked."""

    item: Item | None
    kind: str  # root group repeat
    section: dict[str, Any] | None = None  # a top-level group's section
    conditions: tuple[str, ...] = ()  # relevant of enclosing nested groups
    leave: str | None = None  # why the rows inside are left out
    silent: bool = False  # rows inside belong to a matrix question: skipped without a word
    matrix: dict[str, Any] | None = None  # that matrix question


def read_sections(state: ReaderState) -> None:
    """Fill `state.sections` from the classified rows (their ids assigned)."""
    _Walk(state).walk()


class _Walk:
    def __init__(self, state: ReaderState):
        self.state = state
        self.section_names = names.Names()
        self.part: dict[str, Any] | None = None  # the part questions outside groups go into
        self.parts = 0
        self.stack = [_Frame(None, "root")]
        self.previous: tuple[Item, dict[str, Any]] | None = None  # the row before, a question
        self.last: Item | None = None  # the row before, whatever it is

    def walk(self) -> None:
        for item in self.state.items:
            self.visit(item)
        if len(self.stack) > 1:
            opened = self.stack[-1].item
            assert opened is not None
            self.state.problems.append(
                f"{self.state.source}: sheet survey, row {opened.row.number}, name "
                f"{opened.name!r}: '{opened.type_text}' has no matching end"
            )

    def visit(self, item: Item) -> None:
        state, frame = self.state, self.stack[-1]
        if item.kind == "skip":
            self.skipped(item)
        if item.kind in ("blank", "skip"):
            return
        self.previous, self.last = None, item
        if item.kind in ("end_group", "end_repeat"):
            self.close(item)
            return
        if frame.silent:
            if item.kind in ("begin_group", "begin_repeat"):
                self.stack.append(_Frame(item, "group", silent=True))
            return
        if frame.leave is not None:
            self.inside_left_out(item, frame.leave)
            return
        if item.kind in ("question", "begin_group"):
            state.ignored_columns.update(_unread_columns(item.row))
        if item.kind == "begin_repeat":
            state.leave(item, str(item.unsupported))
            self.stack.append(_Frame(item, "repeat", leave=_inside(item)))
        elif item.kind == "begin_group":
            self.stack.append(self.open_group(item))
        elif item.kind == "metadata":
            state.metadata[item.name] = item.type_text
            state.notes.append(
                f"survey row {item.row.number}: {item.name!r} ({item.type_text}) is metadata "
                "of the device or session; it is dropped (the platform records its own times)"
            )
        else:
            question = question_row(state, item, frame.conditions)
            if question is not None:
                self.place(question)
                self.previous = (item, question)

    def skipped(self, item: Item) -> None:
        """A row the writer made for a question: its "Please specify" text right after the
        question's row, or a row of the matrix group it is in."""
        if any(frame.leave is not None for frame in self.stack):
            return
        words = item.type_text.split()
        if len(words) == 2 and words[0].startswith("select_"):  # a matrix's scale, say:
            self.state.used_lists.add(words[1])  # its question carries it
        matrix = next((frame for frame in reversed(self.stack) if frame.matrix), None)
        if matrix is not None and matrix.item is not None and matrix.matrix is not None:
            self.state.generated.append(Generated(item, matrix.item, matrix.matrix))
        elif self.previous is not None:
            self.state.generated.append(Generated(item, *self.previous))
        elif self.last is None or self.last.name not in self.state.gone:
            # (after a question left out, it goes with it: the rows left out are listed)
            self.state.orphans.append(item)

    def inside_left_out(self, item: Item, why: str) -> None:
        if item.kind in ("begin_group", "begin_repeat"):
            kind = "group" if item.kind == "begin_group" else "repeat"
            self.stack.append(_Frame(item, kind, leave=_inside(item)))
        if item.kind == "metadata":
            return
        if item.unsupported:
            self.state.leave(item, item.unsupported)
        else:
            self.state.leave(item, why)

    def close(self, item: Item) -> None:
        kind = "group" if item.kind == "end_group" else "repeat"
        if len(self.stack) == 1 or self.stack[-1].kind != kind:
            open_kind = "nothing" if len(self.stack) == 1 else f"a {self.stack[-1].kind}"
            self.state.problems.append(
                f"{self.state.source}: sheet survey, row {item.row.number}: "
                f"'{item.type_text}' closes {open_kind}"
            )
            return
        frame = self.stack.pop()
        if frame.section is not None:
            self.part = None

    def open_group(self, item: Item) -> _Frame:
        state, frame = self.state, self.stack[-1]
        if item.is_matrix:
            question = self.matrix(item)
            self.place(question)
            return _Frame(item, "group", silent=True, matrix=question)
        try:
            relevant = expression(state, item, ("bind", "relevant"), "relevant")
        except RowError as error:
            state.leave(item, error.why)
            return _Frame(item, "group", leave=_inside(item))
        if item.unsupported:
            state.leave(item, item.unsupported)
            return _Frame(item, "group", leave=_inside(item))
        if frame.kind != "root":
            conditions = frame.conditions + ((relevant,) if relevant else ())
            return _Frame(item, "group", conditions=conditions)
        section: dict[str, Any] = {
            "id": self.section_names.unique(names.section_id(item.name)),
            "title": texts(state, item.row.get("label")) or form_title(state),
        }
        intro = texts(state, item.row.get("hint"))
        if intro:
            section["intro"] = intro
        if relevant:
            section["relevant"] = relevant
        section.update(item.keys)
        section["questions"] = []
        state.sections.append(section)
        state.place(section, state.row_place(item))
        self.part = None
        return _Frame(item, "group", section=section)

    def matrix(self, item: Item) -> dict[str, Any]:
        """A group the writer made of one matrix question: its survey_keys are the question."""
        question = {"id": self.state.id_of(item), **item.keys}
        self.state.place(question, self.state.row_place(item))
        self.state.kept[item.name] = Answer(question["id"], "other")
        # Its rows were written as questions `<id>__<row>` that conditions name; each is the
        # row `id.row` here, answered with a scale point (a whole number).
        for row in question.get("rows") or []:
            if isinstance(row, dict) and "code" in row:
                name = f"{item.name}__{row['code']}"
                self.state.kept[name] = Answer(f"{question['id']}.{row['code']}", "number")
        return question

    def place(self, question: dict[str, Any]) -> None:
        """Add a question to the innermost section open, else to the current part."""
        section = next((frame.section for frame in reversed(self.stack) if frame.section), None)
        if section is None:
            if self.part is None:
                self.parts += 1
                self.part = {
                    "id": self.section_names.unique(f"part_{self.parts}"),
                    "title": form_title(self.state),
                    "questions": [],
                }
                self.state.sections.append(self.part)
            section = self.part
        section["questions"].append(question)


def _inside(item: Item) -> str:
    """Why the rows inside a group or repeat left out are left out too."""
    kind = "group" if item.kind == "begin_group" else "repeat"
    return f"inside {kind} {item.name!r}, which is left out"


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
