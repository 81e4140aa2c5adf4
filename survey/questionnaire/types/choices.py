"""What `single` and `multiple` share: coded `choices`, one of which may carry a "Please specify"
text (`other: true`), exported as `<question>_other`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.columns import Column, QuestionFields, in_pattern
from survey.questionnaire.flow import other_selected
from survey.questionnaire.model import Cascade, Choice, Question
from survey.questionnaire.types.base import (
    CODE,
    FormData,
    Path,
    Problem,
    QuestionType,
    Reader,
    first,
    pick,
    unsafe,
)

OTHER_MAX_LENGTH = 200
OTHER_LABEL = N_("%(question)s (other, please specify)")


def read_other(question: Question, form: FormData, codes: list[Any]) -> list[Problem]:
    """The problems of the "Please specify" text of a picked `other` choice."""
    if not other_selected(question, codes):
        return []
    text = first(form, question.other_field).strip()
    if not text:
        return [Problem(question.other_field, "other_required")]
    if len(text) > OTHER_MAX_LENGTH:
        return [Problem(question.other_field, "too_long", {"max": OTHER_MAX_LENGTH})]
    return unsafe(question.other_field, text, lines=False)


def _cascade(
    reader: Reader, value: Any, choices: tuple[Choice, ...], path: Path, position: int
) -> Cascade | None:
    """The earlier single-choice question a list follows; every `parent` must be one of its
    codes."""
    from survey.questionnaire.types import type_of  # the registry imports this module

    parent = reader.earlier_question(value, (*path, "filter_by"), position)
    if parent is None:
        return None
    if type_of(parent).compares_as != CODE:
        reader.problem((*path, "filter_by"), f"{value!r} must be a question with one answer")
        return None
    codes = {str(code) for code in parent.codes()}
    for index, choice in enumerate(choices):
        if choice.parent is not None and choice.parent not in codes:
            reader.problem(
                (*path, "choices", index, "parent"),
                f"{choice.parent!r} is not a code of {value!r}",
            )
    return Cascade(parent.id, parent.section_id, parent.choices)


class ChoiceType(QuestionType):
    """A question answered by picking among its own coded choices."""

    keys = frozenset({"choices", "filter_by"})
    # What a choice may say besides code, label, number.
    choice_keys = frozenset({"other", "parent"})
    compares_as = CODE
    required_message = N_("Select an answer.")

    def build(
        self, reader: Reader, data: Mapping[str, Any], path: Path, position: int
    ) -> dict[str, Any]:
        choices = reader.choices(data.get("choices"), (*path, "choices"), self.choice_keys)
        cascade = None
        if data.get("filter_by") is not None:
            cascade = _cascade(reader, data["filter_by"], choices, path, position)
        elif any(choice.parent is not None for choice in choices):
            reader.problem(
                (*path, "choices"), "a choice has a `parent` but there is no `filter_by`"
            )
        return {"choices": choices, "cascade": cascade}

    def condition_codes(self, question: Question, row: str | None) -> set[Any] | None:
        return {choice.code for choice in question.choices}

    def form_fields(self, question: Question, value: Any) -> dict[str, list[str]]:
        codes = value if isinstance(value, list) else [value]
        return {question.id: [str(code) for code in codes]}

    def anchors(self, question: Question, answers: Mapping[str, Any]) -> dict[str, str]:
        # The first choice the page shows: a list that follows an earlier answer hides (or
        # leaves out) the others. With none to show, the question itself.
        offered = question.offered(answers)
        first_shown = f"f-{question.id}-{offered[0].code}" if offered else f"q-{question.id}"
        return {question.id: first_shown, question.other_field: f"f-{question.other_field}"}

    def review(self, question: Question, answers: Mapping[str, Any], language: str) -> list[str]:
        value = answers[question.id]
        other = answers.get(question.other_field)
        lines = []
        for code in value if isinstance(value, list) else [value]:
            choice = question.choice(code)
            label = pick(choice.label, language) if choice else str(code)
            if choice is not None and choice.other and other:
                line = gettext_in(language, N_("%(label)s: %(answer)s"))
                label = line % {"label": label, "answer": other}
            lines.append(label)
        return lines

    def columns(self, question: Question, common: QuestionFields) -> list[Column]:
        columns = self.choice_columns(question, common)
        if question.other_choices:
            label = in_pattern(question.label, OTHER_LABEL)
            columns.append(Column(name=question.other_field, kind="other", label=label, **common))
        return columns

    def choice_columns(self, question: Question, common: QuestionFields) -> list[Column]:
        raise NotImplementedError
