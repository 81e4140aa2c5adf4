"""`country`: an ISO 3166-1 alpha-2 code, picked from a list named in the person's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.columns import Column, QuestionFields
from survey.questionnaire.countries import COUNTRY_CODES, country_name
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import CODE, FormData, Problem, QuestionType, first


class Country(QuestionType):
    name = "country"
    xlsform_type = "select_one"
    macro = "country"
    compares_as = CODE
    required_message = N_("Select an answer.")

    def condition_codes(self, question: Question, row: str | None) -> set[Any] | None:
        return set(COUNTRY_CODES)

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        raw = first(form, question.id).strip().upper()
        if not raw:
            return None, []
        if raw not in COUNTRY_CODES:
            return None, [Problem(question.id, "country")]
        return raw, []

    def show(self, value: Any, language: str) -> str:
        return country_name(str(value), language)

    def message(self, problem: Problem, question: Question, language: str) -> str | None:
        if problem.code == "country":
            return gettext_in(language, N_("Select a country from the list."))
        return None

    def columns(self, question: Question, common: QuestionFields) -> list[Column]:
        return [
            Column(
                name=question.id,
                kind=self.name,
                label=question.label,
                value_name=country_name,
                **common,
            )
        ]


TYPE = Country()
