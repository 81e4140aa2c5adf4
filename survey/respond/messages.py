"""Validation problems from the engine as sentences in the page's language."""

from __future__ import annotations

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from survey.i18n import text
from survey.questionnaire.answers import Problem
from survey.questionnaire.schema import Questionnaire

_SELECT_TYPES = ("single", "country", "scale")


def problem_message(problem: Problem, questionnaire: Questionnaire) -> str:
    """One clear sentence saying what is wrong and how to put it right."""
    if problem.text is not None:
        return text(problem.text)
    params = dict(problem.params)
    question_type = _question_type(problem.field, questionnaire)
    match problem.code:
        case "required" if question_type in _SELECT_TYPES:
            return _("Select an answer.")
        case "required" if question_type == "multiple":
            return _("Select at least one answer.")
        case "required":
            return _("Enter an answer.")
        case "integer":
            return _("Enter a whole number, like 25.")
        case "range" if params.get("min") is not None and params.get("max") is not None:
            return _(
                "Enter a number from %(min)s to %(max)s.",
                min=_number(params["min"]),
                max=_number(params["max"]),
            )
        case "range" if params.get("min") is not None:
            return _("Enter a number of at least %(min)s.", min=_number(params["min"]))
        case "range":
            return _("Enter a number of at most %(max)s.", max=_number(params["max"]))
        case "choice":
            return _("Select one of the answers shown.")
        case "exclusive":
            return _(
                "'%(label)s' cannot be combined with other answers.", label=text(params["label"])
            )
        case "max_choices":
            return ngettext(
                "Select at most %(num)s answer.",
                "Select at most %(num)s answers.",
                params["max"],
            )
        case "other_required":
            return _("Please specify your answer.")
        case "too_long":
            return ngettext(
                "Use at most %(num)s character.",
                "Use at most %(num)s characters.",
                params["max"],
            )
        case "country":
            return _("Select a country from the list.")
        case "row_required":
            return _("Select an answer for “%(row)s”.", row=text(params["row"]))
        case "email":
            return _("Enter an email address like name@example.org.")
        case "characters":
            return _(
                "Remove the invisible control or text-direction characters from this answer "
                "(they often come with copied text)."
            )
    return _("Check this answer.")


def _number(value: int) -> str:
    """A bound as the page's language writes it: grouped from five digits on ("1,000,000",
    "1 000 000"), so a year stays a year ("2028")."""
    return str(value) if abs(value) < 10_000 else format_decimal(value)


def _question_type(field: str, questionnaire: Questionnaire) -> str | None:
    question_id = field.partition("__")[0]
    if not questionnaire.has_question(question_id):
        return None
    return questionnaire.question(question_id).type
