"""Reading an XLSForm (.xlsx) into the questionnaire format of questionnaires/FORMAT.md.

`read_xlsform(path)` gives a `Conversion`: `data`, the questionnaire as a dict ready to dump
(`yaml_text`), `left_out`, the rows it did not carry over, `notes`, what it changed on the
way (names made into ids, metadata dropped, defaults chosen), `warnings`, edits it could not
carry over (in a row the platform wrote and makes again from its question: read_generated), and
`places`, the sheet and row of each part (for the problems the questionnaire's checks find). A
row the platform cannot carry over (a repeat, a photo, an expression it has no words for)
refuses the whole file with every such row listed (XLSFormError); with `skip_unsupported`
those rows are left out instead, and so is every row whose relevant, constraint, calculation or
choice filter names a row left out (dropping the condition would show or accept what the form's
author did not mean to).

The mapping, row by row, is the table in FORMAT.md, "XLSForm".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from survey.xlsform import read_choices, read_rows, read_settings
from survey.xlsform.places import FormPlaces, Place, places_of
from survey.xlsform.read_generated import check_generated
from survey.xlsform.read_sections import read_sections
from survey.xlsform.read_state import LeftOut, ReaderState
from survey.xlsform.sheets import WorkbookError, read_workbook
from survey.xlsform.yaml_dump import yaml_text

__all__ = ["Conversion", "LeftOut", "XLSFormError", "read_xlsform", "yaml_text"]

OPEN_SCHEDULE = {"opens_at": None, "closes_at": None, "timezone": "UTC", "grace_minutes": 0}


class XLSFormError(ValueError):
    """An XLSForm that cannot be converted; `problems` holds one line for each reason."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Conversion:
    data: dict[str, Any]
    left_out: list[LeftOut]
    notes: list[str]
    source: str  # the file's name, for the YAML's header
    # the sheet and row of each part of `data`, for the problems the questionnaire's checks
    # find in it (`load_text(..., places=conversion.places)`)
    places: FormPlaces
    warnings: list[str]  # whole lines, the file named: what was read but is not carried over

    def yaml_text(self) -> str:
        return yaml_text(self.data, self.source)


def read_xlsform(path: str | Path, *, skip_unsupported: bool = False) -> Conversion:
    """Convert an XLSForm file; XLSFormError lists every row that cannot be carried over, as
    `skip_unsupported` leaves them out (with it: only problems with the file as a whole)."""
    path = Path(path)
    try:
        book = read_workbook(path)
    except WorkbookError as error:
        raise XLSFormError([f"{path}: {error}"]) from None
    return _convert(ReaderState(path, book, skip_unsupported))


def _convert(state: ReaderState) -> Conversion:
    settings = read_settings.settings_values(state)
    settings_keys = read_settings.settings_keys(state)
    state.title_text = read_settings.title(state, settings)
    state.languages = read_settings.read_languages(state, settings.get("default_language"))
    if state.problems:
        raise XLSFormError(state.problems)
    read_choices.read_lists(state)
    state.items = read_rows.classify(state)
    read_rows.assign_ids(state)
    read_sections(state)
    if state.problems or (state.left_out and not state.skip_unsupported):
        # Every row it cannot carry over, as `skip_unsupported` lists them: the rows inside a
        # repeat or a question left out are rows of the form that would be lost too.
        source = str(state.source)
        raise XLSFormError(state.problems + [row.line(source) for row in state.left_out])
    sections = [section for section in state.sections if section["questions"]]
    if not sections:
        raise XLSFormError([f"{state.source}: no question could be carried over"])
    data: dict[str, Any] = {
        "slug": read_settings.slug(state, settings),
        "languages": list(state.languages.values()),
        "title": read_settings.form_title(state),
        "schedule": dict(OPEN_SCHEDULE),
        "consent": {
            "version": read_settings.version(state, settings),
            "label": read_settings.words(state, "consent"),
        },
        "sections": sections,
    }
    data.update(settings_keys)
    check_generated(state, data)
    _closing_notes(state, settings_keys)
    places = places_of(state.source, data, state.placed, _settings_places(state, settings_keys))
    return Conversion(data, state.left_out, state.notes, state.path.name, places, state.warnings)


def _settings_places(state: ReaderState, settings_keys: dict[str, Any]) -> dict[str, Place]:
    """The top-level keys the settings row gave: in its survey_keys, or its title and id."""
    row = state.book.settings
    if row is None:
        return {}
    place = Place("settings", row.number, keys=frozenset(settings_keys))
    given = {"title": row.get("title"), "slug": row.get("id_string")}
    return {
        **{key: place for key, value in given.items() if value is not None},
        **dict.fromkeys(settings_keys, place),
    }


def _closing_notes(state: ReaderState, settings_keys: dict[str, Any]) -> None:
    """The notes about the form as a whole, after its rows."""
    if "schedule" not in settings_keys:  # (the platform's own forms carry theirs)
        state.notes.append(
            "schedule: open as soon as it is loaded, with no closing time (UTC); set it with "
            "`survey schedule` before sharing the survey"
        )
    read_choices.renamed_codes(state)
    read_choices.unused_lists(state)
    if state.ignored_columns:
        columns = ", ".join(sorted(state.ignored_columns))
        state.notes.append(f"columns not carried over (the platform does not use them): {columns}")
    if state.emphasis_dropped:
        state.notes.append(
            "texts: Markdown emphasis (**bold**, *italics*) is dropped and its words kept; "
            "the platform shows texts as plain text"
        )
    if state.fallback_languages:
        missing = ", ".join(sorted(state.fallback_languages))
        state.notes.append(
            f"texts the reader wrote itself (consent, 'Other', constraint messages) are in "
            f"English for {missing}: translate them"
        )
