"""An XLSForm's settings sheet (title, slug, consent version, survey_keys) and the languages of
its texts: each language column's code, a cell as the format's language map, and the texts the
reader writes itself in those languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from difflib import get_close_matches
from typing import Any

from survey.message_catalogs import N_, catalog_languages, gettext_in
from survey.xlsform import names
from survey.xlsform.languages import language_code
from survey.xlsform.read_rows import either, survey_keys
from survey.xlsform.read_state import ReaderState
from survey.xlsform.sheets import DEFAULT, Row

# Markdown emphasis, which ODK and KoboToolbox show as bold or italics: `**strong**`,
# `__strong__`, `*emphasis*` (the markers hug the words, so `2 * 3 * 4` is left alone).
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*")

# Texts the reader writes itself, translated from the interface catalogs in each language of
# the form that has one (English in the others, and a note says so).
_WORDS = {
    # TRANSLATORS: the choice added to an imported XLSForm's list for answers not in it.
    "other": N_("Other"),
    # TRANSLATORS: shown when an imported XLSForm's constraint refuses an answer and the form
    # gives no message of its own.
    "constraint": N_("This answer is not allowed."),
    # TRANSLATORS: the consent box of a survey imported from an XLSForm.
    "consent": N_("I agree to take part in this survey."),
}

# -- the settings sheet ------------------------------------------------------------------------


def settings_values(state: ReaderState) -> dict[str, Any]:
    row = state.book.settings
    return dict(row.values) if row is not None else {}


def title(state: ReaderState, settings: dict[str, Any]) -> str:
    title = settings.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    misspelt = get_close_matches("form_title", [str(key) for key in settings], n=1, cutoff=0.8)
    fallback = settings.get("id_string") or state.path.stem
    how = "form_id" if settings.get("id_string") else "the file name"
    if misspelt:
        state.notes.append(
            f"settings: no form_title ({misspelt[0]!r} looks like a misspelling of it and is "
            f"not read); the title is taken from {how}: {fallback!r}"
        )
    else:
        state.notes.append(f"settings: no form_title; the title is taken from {how}: {fallback!r}")
    return str(fallback).strip()


def form_title(state: ReaderState) -> dict[str, str]:
    """The form's title in every language (it has one text only)."""
    return {code: state.title_text for code in state.codes}


def slug(state: ReaderState, settings: dict[str, Any]) -> str:
    form_id = settings.get("id_string")
    made = names.slug(str(form_id)) if form_id else ""
    if not made:
        made = names.slug(state.path.stem) or "form"
        state.notes.append(f"settings: no form_id; the slug is made from the file name: {made!r}")
    elif made != form_id:
        state.notes.append(f"settings: form_id {form_id!r} becomes the slug {made!r}")
    return made


def version(state: ReaderState, settings: dict[str, Any]) -> str:
    version = str(settings.get("version") or "").strip()
    if version:
        return version
    state.notes.append("settings: no version; the consent version is '1'")
    return "1"


def settings_keys(state: ReaderState) -> dict[str, Any]:
    row = state.book.settings
    if row is None:
        return {}
    try:
        return survey_keys(row)
    except ValueError as error:
        state.problems.append(f"{state.source}: sheet settings, row {row.number}: {error}")
        return {}


# -- languages ---------------------------------------------------------------------------------


def read_languages(state: ReaderState, default_name: Any) -> dict[str, str]:
    """Each language name of the columns (and `default`) → its code, default first."""
    seen: dict[str, None] = {}
    for row in [*state.book.survey, *state.book.choices]:
        for text in _texts_of(row):
            if isinstance(text, dict):
                seen.update(dict.fromkeys(str(key) for key in text))
            elif text is not None:
                seen[DEFAULT] = None
    default_code = None
    if default_name:
        default_code = language_code(str(default_name))
        if default_code is None:
            state.problems.append(
                f"{state.source}: sheet settings: default_language {default_name!r} has no "
                "known language code; write it as 'Name (code)', e.g. 'English (en)'"
            )
    codes: dict[str, str] = {}
    for name in seen:
        if name == DEFAULT:
            codes[name] = default_code or "en"
            if not default_code and len(seen) > 1:
                state.notes.append("texts in columns without a language are taken as English (en)")
            continue
        code = language_code(name)
        if code is None:
            state.problems.append(
                f"{state.source}: language {name!r} (in columns such as label::{name}) has no "
                "known language code; write it as 'Name (code)', e.g. 'English (en)'"
            )
            continue
        codes[name] = code
    if not codes:
        codes[DEFAULT] = default_code or "en"
    first = default_code if default_code in codes.values() else next(iter(codes.values()))
    return dict(sorted(codes.items(), key=lambda item: item[1] != first))


def texts(state: ReaderState, value: Any) -> dict[str, str] | None:
    """A text of the sheets (one string, or per language) as the format's language map."""
    if value is None:
        return None
    by_code: dict[str, str] = {}
    items = value.items() if isinstance(value, dict) else [(DEFAULT, value)]
    for name, text in items:
        code = state.languages.get(str(name))
        if code is not None and str(text).strip():
            by_code.setdefault(code, _plain(state, str(text).strip()))
    ordered = {code: by_code[code] for code in state.codes if code in by_code}
    return ordered or None


def _plain(state: ReaderState, text: str) -> str:
    """`text` without Markdown emphasis markers (noted once for the whole form)."""
    plain = _EMPHASIS.sub(lambda match: match.group(2) or match.group(3), text)
    state.emphasis_dropped |= plain != text
    return plain


def words(state: ReaderState, key: str) -> dict[str, str]:
    """One of the texts the reader writes itself, in every language of the form."""
    message = _WORDS[key]
    catalogs = catalog_languages()
    for code in state.codes:
        if code not in catalogs:
            state.fallback_languages.add(code)
    return {code: gettext_in(code, message) for code in state.codes}


def _texts_of(row: Row) -> Iterator[Any]:
    """The translatable cells of a row (label, hint, messages), as grouped by sheets.py."""
    yield row.get("label")
    yield row.get("hint")
    yield either(row, "jr:constraintMsg")
    yield either(row, "jr:requiredMsg")
