"""Validation problems from the engine as sentences in the page's language."""

from __future__ import annotations

from survey.i18n import current_language, text
from survey.questionnaire.model import Questionnaire
from survey.questionnaire.types import type_of
from survey.questionnaire.types.base import Problem, QuestionType, shared_message


def problem_message(problem: Problem, questionnaire: Questionnaire) -> str:
    """One clear sentence saying what is wrong and how to put it right: the questionnaire's
    own message, else the question type's, else the one every type shares."""
    if problem.text is not None:
        return text(problem.text)
    language = current_language()
    question_id = problem.field.partition("__")[0]
    if not questionnaire.has_question(question_id):  # a "Please specify" box
        return shared_message(problem, QuestionType.required_message, language)
    question = questionnaire.question(question_id)
    kind = type_of(question)
    own = kind.message(problem, question, language)
    return own if own is not None else shared_message(problem, kind.required_message, language)
