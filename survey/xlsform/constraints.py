"""What an answer must meet, as one XLSForm `constraint` and its `constraint_message`: a
question's bounds, length, number of picks, exclusive choices and the questionnaire's own
constraints, each with the platform's message in every language."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from survey.message_catalogs import N_, gettext_in
from survey.questionnaire.conditions import CURRENT_YEAR, Condition
from survey.questionnaire.model import Question, Text
from survey.questionnaire.types import TYPES
from survey.questionnaire.types.base import (
    DATE,
    NumberType,
    Problem,
    QuestionType,
    number_text,
    shared_message,
)
from survey.xlsform.to_xpath import string_literal, to_xpath, unanswered_xpath


@dataclass(frozen=True)
class Rules:
    """The rules of the questions of one questionnaire, in its languages."""

    languages: tuple[str, ...]
    questions: Mapping[str, Question]

    def constraint(self, question: Question) -> tuple[str, Text] | None:
        """Every rule an answer must meet as one XPath, and their messages joined."""
        parts = list(self.rules(question))
        if not parts:
            return None
        xpath = " and ".join(f"({item})" if " or " in item else item for item, _ in parts)
        messages = {
            language: " ".join(message[language] for _, message in parts if message.get(language))
            for language in self.languages
        }
        return xpath, messages

    def rules(self, question: Question) -> Iterator[tuple[str, Text]]:
        kind = TYPES[question.type]
        if isinstance(kind, NumberType) and kind.xlsform_type != "range":  # a range has its own
            yield from self.number_bounds(question)
        if kind.compares_as == DATE:
            yield from self.date_bounds(question)
        if question.max_length is not None:
            problem = Problem(question.id, "too_long", {"max": question.max_length})
            yield f"string-length(.) <= {question.max_length}", self.message(question, problem)
        if kind.xlsform_pattern is not None:
            xpath = f"regex(., {string_literal(kind.xlsform_pattern)})"
            yield xpath, self.message(question, Problem(question.id, "email"))
        if question.max_choices is not None:
            problem = Problem(question.id, "max_choices", {"max": question.max_choices})
            yield f"count-selected(.) <= {question.max_choices}", self.message(question, problem)
        for choice in question.choices:
            if choice.exclusive:
                code = string_literal(str(choice.code))
                problem = Problem(question.id, "exclusive", {"label": choice.label})
                xpath = f"not(selected(., {code})) or count-selected(.) = 1"
                yield xpath, self.message(question, problem)
        for rule in question.constraints:
            yield self.unless_unanswered(rule.check, question), dict(rule.message)

    def number_bounds(self, question: Question) -> Iterator[tuple[str, Text]]:
        bounds = [(">=", question.min), ("<=", question.max)]
        tests = [
            self.unless_unanswered(limit, question, f". {op} {self.bound(limit, question)}")
            for op, limit in bounds
            if limit is not None
        ]
        if not tests:
            return
        message = {
            language: _range_sentence(question.min, question.max, language)
            for language in self.languages
        }
        for index, test in enumerate(tests):
            yield test, (message if index == 0 else {})  # one sentence says both bounds

    def date_bounds(self, question: Question) -> Iterator[tuple[str, Text]]:
        bounds = [(">=", question.min), ("<=", question.max)]
        tests = [
            f". {op} date({string_literal(str(limit))})"
            for op, limit in bounds
            if limit is not None
        ]
        if tests:
            params = {"min": question.min, "max": question.max}
            message = self.message(question, Problem(question.id, "date_range", params))
            yield " and ".join(tests), message

    def bound(self, limit: Any, question: Question) -> str:
        if isinstance(limit, Condition):
            xpath = to_xpath(
                limit.tree, self_id=question.id, questions=self.questions, as_value=True
            )
            return f"({xpath})" if " " in xpath and not xpath.startswith("format-date") else xpath
        return repr(limit)

    def unless_unanswered(self, rule: Any, question: Question, xpath: str | None = None) -> str:
        """A rule checked only when every question it names is answered, as the platform
        checks it (a bound that names an unanswered question is no bound)."""
        if not isinstance(rule, Condition):
            return xpath or ""
        if xpath is None:
            xpath = to_xpath(rule.tree, self_id=question.id, questions=self.questions)
        others = sorted(
            (ref for ref in rule.refs() if ref.name not in (CURRENT_YEAR, question.id) or ref.row),
            key=lambda ref: (ref.name, ref.row or ""),
        )
        if not others:
            return xpath
        guards = [unanswered_xpath(ref, questions=self.questions) for ref in others]
        return " or ".join([*guards, f"({xpath})" if " or " in xpath else xpath])

    # -- messages ----------------------------------------------------------------------------

    def message(self, question: Question, problem: Problem) -> Text:
        """A problem as the platform words it in each language."""
        kind: QuestionType = TYPES[question.type]
        return {
            language: kind.message(problem, question, language)
            or shared_message(problem, kind.required_message, language)
            for language in self.languages
        }

    def shared(self, problem: Problem) -> Text:
        return {
            language: shared_message(problem, QuestionType.required_message, language)
            for language in self.languages
        }

    def interface(self, message: str) -> Text:
        return {language: gettext_in(language, message) for language in self.languages}


def _range_sentence(low: Any, high: Any, language: str) -> str:
    """A bound missed, as the platform says it; an expression bound ("current_year + 2") is
    shown as written, since the message cannot work it out."""

    def shown(limit: Any) -> str:
        return limit.source if isinstance(limit, Condition) else number_text(limit, language)

    if low is not None and high is not None:
        message = gettext_in(language, N_("Enter a number from %(min)s to %(max)s."))
        return message % {"min": shown(low), "max": shown(high)}
    if low is not None:
        message = gettext_in(language, N_("Enter a number of at least %(min)s."))
        return message % {"min": shown(low)}
    message = gettext_in(language, N_("Enter a number of at most %(max)s."))
    return message % {"max": shown(high)}
