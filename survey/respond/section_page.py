"""A section page, put together from the questionnaire, the values its fields show and what
the stored answers tell about it.

The stored answers tell where the section stands ("Section k of n", the section before) and
what the page script needs from earlier sections. A section posted while the database is down
(`survey.respond.unsaved`) is shown again without them: the same form, fields and button, and
the "Section k of n" its page showed, which its form sends back in a hidden field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import request

from survey.i18n import gettext as _
from survey.models import Survey
from survey.questionnaire.schema import Questionnaire, Section
from survey.rendering import Later
from survey.respond import display
from survey.respond.blueprint import page
from survey.responses import ResponseState


@dataclass(frozen=True)
class Standing:
    """What the stored answers tell about a section; `number` and `total` are None when they
    could not be read."""

    back_url: str
    progress: ResponseState | None = None
    number: int | None = None
    total: int | None = None
    earlier_answers: dict[str, Any] = field(default_factory=dict)
    resume_code: str | None = None


def section_page(
    survey: Survey,
    questionnaire: Questionnaire,
    section: Section,
    values: dict[str, list[str]],
    errors: dict[str, str],
    standing: Standing,
    *,
    unsaved: bool = False,
) -> Later:
    """The page of `section` with `values` in its fields; `unsaved` says, in the banner the
    page script also shows, that what was typed was not saved yet."""
    return page(
        "respond/section.html",
        survey,
        questionnaire,
        503 if unsaved else 200,
        # Only a person answering gets a section: a response in progress that may still be
        # saved, or (unsaved) the form of one, posted.
        finishing=True,
        progress=standing.progress,
        section=section,
        number=standing.number,
        total=standing.total,
        values=values,
        errors=errors,
        back_url=standing.back_url,
        returning=request.args.get("return") == "review",
        anchors=display.anchors(section, values),
        summary=_summary(questionnaire, errors),
        earlier_answers=standing.earlier_answers,
        resume_code=standing.resume_code,
        unsaved=unsaved,
    )


def _summary(questionnaire: Questionnaire, errors: dict[str, str]) -> dict[str, str]:
    """Error-summary lines: each message after the question it is about, so it stands alone."""
    return {
        name: _(
            "%(question)s — %(problem)s",
            question=display.field_label(questionnaire, name),
            problem=message,
        )
        for name, message in errors.items()
    }
