"""A section's questions as its page shows them before anything is typed, rendered once per
language and questionnaire by each process.

Most section pages are shown blank: a person reaches each section once, and nothing is filled
in until they answer. The question widgets (respond/_questions.html) are a pure function of the
question, the values and errors shown, and the page's language (their macros are imported
without the page's context), so the blank ones are kept and the page puts them in as they are;
a page with values or errors renders its widgets afresh. That is most of the cost of building a
section page.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from flask import Flask, current_app
from flask.sansio.app import App
from markupsafe import Markup

from survey.i18n import current_language
from survey.questionnaire.schema import Section

# Sections of every survey and version a server shows, in each of its languages.
MOST_KEPT = 512
_EXTENSION = "survey_blank_forms"


class BlankForms:
    """The per-process cache: (section, language) -> its blank widgets, the least recently
    shown dropped first. Each entry keeps its section, so the section's id is never reused by
    another object while the entry lives."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._kept: OrderedDict[tuple[int, str], tuple[Section, Markup]] = OrderedDict()

    def widgets(self, app: Flask, section: Section) -> Markup:
        key = (id(section), current_language())
        with self._lock:
            found = self._kept.get(key)
            if found is not None and found[0] is section:
                self._kept.move_to_end(key)
                return found[1]
        macros = app.jinja_env.get_template("respond/_questions.html").module
        html = Markup("\n").join(
            macros.question_block(question, {}, {})  # type: ignore[attr-defined]
            for question in section.questions
        )
        with self._lock:
            self._kept[key] = (section, html)
            while len(self._kept) > MOST_KEPT:
                self._kept.popitem(last=False)
        return html


def install(app: App) -> None:
    app.extensions.setdefault(_EXTENSION, BlankForms())


def blank_widgets(section: Section) -> Markup:
    """For templates: the widgets of `section`'s questions, nothing typed, no error shown."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    forms: BlankForms = app.extensions[_EXTENSION]
    return forms.widgets(app, section)
