"""`email`: an email address, checked for its form (not for delivery) and stored normalised."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email

from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.model import Question
from survey.questionnaire.types.base import FormData, Problem, QuestionType, first

MAX_LENGTH = 254


class Email(QuestionType):
    name = "email"
    xlsform_type = "text"
    # An address as the XForm checks it: something@something.something, no spaces.
    xlsform_pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    macro = "email"

    def read(
        self, question: Question, form: FormData, answers: Mapping[str, Any], today: date
    ) -> tuple[Any, list[Problem]]:
        raw = first(form, question.id).strip()
        if not raw:
            return None, []
        try:
            checked = validate_email(raw, check_deliverability=False)
        except EmailNotValidError:
            return None, [Problem(question.id, "email")]
        if len(checked.normalized) > MAX_LENGTH:
            return None, [Problem(question.id, "email")]
        return checked.normalized, []

    def message(self, problem: Problem, question: Question, language: str) -> str | None:
        if problem.code == "email":
            return gettext_in(language, N_("Enter an email address like name@example.org."))
        return None


TYPE = Email()
