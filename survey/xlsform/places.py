"""Where each part of a converted XLSForm came from: its sheet, row and name. The questionnaire's
checks find problems at paths of the converted data (`sections[0].questions[2].label`); with
these places they name the row the person wrote instead of a line of YAML they never saw
("survey sheet, row 14 (name: age): label: text missing in language 'fr'")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from survey.questionnaire.yaml_file import describe

# The key of the format → the column of the row it was read from (keys not listed have the
# column's name); a key given in the row's survey_keys is named as such.
_COLUMNS = {
    "survey": {
        "id": "name",
        "help": "hint",
        "intro": "hint",
        "title": "label",
        "filter_by": "choice_filter",
        "min": "parameters",
        "max": "parameters",
    },
    "choices": {"code": "name"},
}
_SETTINGS_COLUMNS = {("title",): "form_title", ("slug",): "form_id"}


@dataclass(frozen=True)
class Place:
    """A row of the workbook a part of the converted data came from."""

    sheet: str  # survey choices settings
    row: int
    name: str = ""
    list_name: str = ""  # a choice's list
    keys: frozenset[str] = frozenset()  # the keys its survey_keys cell gave

    def describe(self) -> str:
        if self.sheet == "choices":
            return f"choices sheet, row {self.row} (list: {self.list_name}, name: {self.name})"
        if self.name:
            return f"{self.sheet} sheet, row {self.row} (name: {self.name})"
        return f"{self.sheet} sheet, row {self.row}"

    def what(self, path: tuple[Any, ...]) -> str:
        """The part of the row at `path` (inside it): its column, or its survey_keys."""
        if not path:
            return ""
        if path[0] in self.keys:
            return f"survey_keys: {describe(path)}"
        if self.sheet == "settings":
            return _SETTINGS_COLUMNS.get(path, describe(path))
        if path[0] == "constraints" and len(path) >= 3 and isinstance(path[1], int):
            column = "constraint_message" if path[2] == "message" else "constraint"
            return describe((column, *path[3:]))
        column = _COLUMNS.get(self.sheet, {}).get(path[0], path[0])
        return describe((column, *path[1:]))


@dataclass(eq=False)
class FormPlaces:
    """The places of one conversion's data, by path (`survey.questionnaire.yaml_file.Places`)."""

    source: str  # the file, as problems name it
    at: dict[tuple[Any, ...], Place] = field(default_factory=dict)

    def where(self, path: tuple[Any, ...]) -> str:
        for cut in range(len(path), 0, -1):
            place = self.at.get(path[:cut])
            if place is not None:
                inside = path if place.sheet == "settings" else path[cut:]
                what = place.what(inside)
                return f"{self.source}: {place.describe()}" + (f": {what}" if what else "")
        whole = f"{self.source}: the form as a whole"
        return whole if path in ((), ("sections",)) else f"{whole}: {describe(path)}"


def places_of(
    source: str, data: dict[str, Any], placed: dict[int, tuple[Any, Place]], top: dict[str, Place]
) -> FormPlaces:
    """The path of every placed part of `data` (`placed`: id() of a section, question or choice
    mapping → it and its place; `top`: a top-level key → the settings row it came from)."""
    found = FormPlaces(source, {(key,): place for key, place in top.items() if key in data})
    _walk(data, (), placed, found.at)
    return found


def _walk(
    node: Any,
    path: tuple[Any, ...],
    placed: dict[int, tuple[Any, Place]],
    at: dict[tuple[Any, ...], Place],
) -> None:
    entry = placed.get(id(node))
    if entry is not None and entry[0] is node:
        at[path] = entry[1]
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    else:
        return
    for key, child in children:
        _walk(child, (*path, key), placed, at)
