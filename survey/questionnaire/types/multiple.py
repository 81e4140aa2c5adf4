"""`multiple`: any number of the `choices` (checkboxes), at most `max_choices`; a choice marked
`exclusive` ("None of these") stands alone. Exported as one 0/1 column per choice."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.message_catalogs import N_, gettext_in, ngettext_in
from survey.questionnaire.columns import YES_NO, Column, QuestionFields, joined
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import CODES, FormData, Path, Problem, Reader, pick
from survey.questionnaire.types.choices import ChoiceType, read_other


class Multiple(ChoiceType):
    name = "multiple"
    xlsform_type = "select_multiple"
    compound = True
    macro = "multiple"
    keys = ChoiceType.keys | {"max_choices"}
    choice_keys = ChoiceType.choice_keys | {"exclusive"}
    compares_as = CODES
    list_answer = True
    required_message = N_("Select at least one answer.")

    def build(
        self, reader: Reader, data: Mapping[str, Any], path: Path, position: int
    ) -> dict[str, Any]:
        values = super().build(reader, data, path, position)
        if "max_choices" in data:
            limit = reader.integer(data["max_choices"], (*path, "max_choices"))
            if limit is not None and not 1 <= limit <= len(values["choices"]):
                reader.problem(
                    (*path, "max_choices"), "must be between 1 and the number of choices"
                )
            values["max_choices"] = limit
        return values

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        picked = set(form.get(question.id) or [])
        if not picked:
            return [], []
        known = [choice.code for choice in question.offered(answers)]
        if not picked <= set(known):
            return None, [Problem(question.id, "choice")]
        codes = [code for code in known if code in picked]  # questionnaire order
        for choice in question.choices:
            if choice.exclusive and choice.code in picked and len(picked) > 1:
                return None, [Problem(question.id, "exclusive", {"label": choice.label})]
        if question.max_choices is not None and len(codes) > question.max_choices:
            return None, [Problem(question.id, "max_choices", {"max": question.max_choices})]
        return codes, read_other(question, form, codes)

    def message(self, problem: Problem, question: Question, language: str) -> str | None:
        if problem.code == "exclusive":
            message = gettext_in(language, N_("'%(label)s' cannot be combined with other answers."))
            return message % {"label": pick(problem.params["label"], language)}
        if problem.code == "max_choices":
            count = problem.params["max"]
            return ngettext_in(
                language, "Select at most %(num)s answer.", "Select at most %(num)s answers.", count
            ) % {"num": count}
        return None

    def choice_columns(self, question: Question, common: QuestionFields) -> list[Column]:
        return [
            Column(
                name=f"{question.id}__{choice.code}",
                kind="dummy",
                label=joined(question.label, choice.label),
                value_labels=YES_NO,
                numbers={0: 0, 1: 1},
                numeric=True,
                boolean=True,
                **common,
            )
            for choice in question.choices
        ]


TYPE = Multiple()
