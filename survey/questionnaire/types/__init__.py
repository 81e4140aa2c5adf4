"""The question types, one module each: the one place that knows what a type means.

Adding a type: a module here with a `QuestionType` subclass (see `base`), its entry in `TYPES`,
a macro in `survey/respond/templates/respond/questions/`, and its messages in the catalogs
(`make translations`). The loader, the form reader, the review page, the error messages, the
exports and the validator all ask this registry (a type without an answer, `note`, says so with
`has_answer`; one that conditions may only ask `answered()` of, `geopoint`, with `compares_as`).
"""

from __future__ import annotations

from survey.questionnaire.model import Question
from survey.questionnaire.types import (
    acknowledge,
    calculate,
    country,
    date,
    decimal,
    email,
    geopoint,
    integer,
    matrix,
    multiple,
    note,
    scale,
    single,
    text,
)
from survey.questionnaire.types.base import QuestionType

TYPES: dict[str, QuestionType] = {
    kind.name: kind
    for kind in (
        integer.TYPE,
        decimal.TYPE,
        single.TYPE,
        multiple.TYPE,
        country.TYPE,
        matrix.TYPE,
        scale.TYPE,
        text.TYPE,
        text.LONG_TYPE,
        email.TYPE,
        date.TYPE,
        calculate.TYPE,
        note.TYPE,
        acknowledge.TYPE,
        geopoint.TYPE,
    )
}


def type_of(question: Question) -> QuestionType:
    """The type of a question (questions are only built with a registered type)."""
    return TYPES[question.type]
