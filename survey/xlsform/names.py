"""XLSForm names as the questionnaire format's names: question ids, section ids, choice codes and
the survey's slug, made valid and unique (ignoring case, as SPSS and Stata do)."""

from __future__ import annotations

import keyword
import re

from survey.questionnaire.conditions import CURRENT_YEAR

# Names a condition cannot use as a question id: Python's words (conditions are read with its
# grammar) and the names conditions already give a meaning.
_TAKEN_BY_CONDITIONS = {
    *keyword.kwlist,
    CURRENT_YEAR,
    "answered",
    "today",
    "regex",
    "count_selected",
    "string_length",
}


def question_id(name: str) -> str:
    """`b2.2.4` → `b2_2_4`, `_device_date` → `device_date`: `[A-Za-z][A-Za-z0-9_]*`."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", name).lstrip("_")
    if not text:
        return "q"
    return text if text[0].isalpha() else f"q_{text}"


def section_id(name: str) -> str:
    """A group's name as a section id: `[a-z][a-z0-9_]*`."""
    return question_id(name).lower()


def choice_code(name: str) -> str:
    """`brong ahafo` → `brong_ahafo`, `Yes` → `yes`: `[a-z0-9][a-z0-9_]*`."""
    text = re.sub(r"[^a-z0-9_]", "_", name.strip().lower()).lstrip("_")
    return text or "choice"


def slug(text: str) -> str:
    """`Eth_fsom_final` → `eth-fsom-final`: lower-case letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Names:
    """Hands out names unique ignoring case: a name already given gets `_2`, `_3`, ..."""

    def __init__(self, *, conditions: bool = False):
        self.taken: set[str] = set()
        # Python is case-sensitive: `None` cannot be an id, `none` can.
        self.words = _TAKEN_BY_CONDITIONS if conditions else set()

    def reserve(self, name: str) -> None:
        self.taken.add(name.casefold())

    def free(self, name: str) -> bool:
        return name.casefold() not in self.taken and name not in self.words

    def unique(self, name: str) -> str:
        candidate, number = name, 1
        while not self.free(candidate):
            number += 1
            candidate = f"{name}_{number}"
        self.taken.add(candidate.casefold())
        return candidate
