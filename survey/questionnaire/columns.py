"""Export columns (variables) as question types declare them. Pure: no Flask, no database.

A question type (`survey.questionnaire.types`) says which columns its question makes; the
export (`survey.export.flatten`) fills them, and each format writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.model import Text

# Measurement levels as SPSS names them.
NOMINAL, ORDINAL, SCALE = "nominal", "ordinal", "scale"

YES_NO: tuple[tuple[Any, Text], ...] = ((0, {"en": N_("No")}), (1, {"en": N_("Yes")}))


@dataclass(frozen=True)
class Column:
    """One exported variable and everything the codebook and the typed formats need.

    `kind` is the question type that made it, or one of the shapes the row builder fills
    differently: `meta` (about the response), `dummy` (one choice of a list answer, 0/1),
    `other` (a "Please specify" text). A column with a `part` holds that key of a map answer
    (a matrix row, a point's latitude).
    """

    name: str
    kind: str
    label: Text
    question_id: str | None = None
    value_labels: tuple[tuple[Any, Text], ...] = ()  # (code, label) for choice-like columns
    numbers: Mapping[Any, int] = field(default_factory=dict)  # code -> stable number
    missing_codes: tuple[int, ...] = ()  # numbers declared `missing: true` in the questionnaire
    measure: str = NOMINAL
    numeric: bool = False  # stored as numbers in every format
    decimals: int = 0  # digits after the decimal point of a numeric column
    personal: bool = False
    relevance: str | None = None
    boolean: bool = False  # 0/1 in every mode, labels included
    part: str | None = None  # the key of a map answer this column holds
    # How a value is named in label mode when it has no value labels (a country's name).
    value_name: Callable[[Any, str], str] | None = field(default=None, compare=False)

    @property
    def is_categorical(self) -> bool:
        return bool(self.value_labels)


class QuestionFields(TypedDict):
    """What every column of one question shares."""

    question_id: str
    personal: bool
    relevance: str | None


def in_pattern(label: Text, pattern: str) -> Text:
    """A question's label put into a pattern of the interface catalogs ("%(question)s
    (latitude)"), in each language of the label."""
    return {
        language: gettext_in(language, pattern) % {"question": text}
        for language, text in label.items()
    }


def joined(first: Text, second: Text) -> Text:
    """A question's label and a row's or choice's label: "Question: row"."""
    return {language: f"{text}: {second.get(language, '')}" for language, text in first.items()}
