"""A respondent's page that meets a database outage: nothing typed is lost.

A section posted while the database does not answer comes back, with status 503 and
Retry-After, holding every value typed and a banner saying nothing was saved yet, so pressing
Next again sends it all again. The database cannot be read then: the page is built from what
this process kept when it last served the survey (`survey.respond.page_cache`) and from the
session cookie (the resume code). A process that kept nothing (it has just started) shows a
plain page that carries every posted field and a button that posts them again.

A submit that meets an outage says the response was not submitted yet, with the button to
submit again; any other page says the survey is briefly unavailable (`survey.error_pages`).
"""

from __future__ import annotations

from flask import g, request, url_for
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from survey.error_pages import (
    MESSAGES,
    error_page,
    is_outage,
    note_outage,
    unavailable,
    unexpected,
)
from survey.i18n import gettext as _
from survey.i18n import interface_languages
from survey.questionnaire.schema import Questionnaire, Section
from survey.rendering import Page, later, render
from survey.respond.blueprint import bp
from survey.respond.held import stored_code_held
from survey.respond.page_cache import Served, page_cache
from survey.respond.section_page import Standing, section_page


@bp.errorhandler(DBAPIError)
@bp.errorhandler(PoolTimeoutError)
def _database_unavailable(error: Exception) -> Page:
    if not is_outage(error):
        return unexpected(error)
    note_outage(error)
    endpoint, arguments = request.endpoint, request.view_args or {}
    if request.method == "POST" and endpoint == "respond.section":
        return unavailable(unsaved_section(arguments["slug"], arguments["section_id"]))
    if request.method == "POST" and endpoint == "respond.submit_response":
        return unavailable(not_submitted())
    return unavailable(error_page(503, MESSAGES[503]))


def posted_fields() -> dict[str, list[str]]:
    """Every field the form sent, but its CSRF token (the page carries a fresh one)."""
    return {name: values for name, values in request.form.lists() if name != "csrf_token"}


def unsaved_section(slug: str, section_id: str) -> Page:
    """The section page as it was posted, from what this process kept; else the plain page."""
    posted = posted_fields()
    position = posted.pop(POSITION_FIELD, [])  # not an answer: the section's own fields only
    served = page_cache().recall(slug)
    found = served.section_for(section_id, posted) if served else None
    if served is None or found is None:
        return plain_page(posted)
    questionnaire, section = found
    g.languages = questionnaire.languages
    number, total = _position_shown(position, questionnaire)
    standing = Standing(
        _back_url(served, questionnaire, section),
        number=number,
        total=total,
        resume_code=stored_code_held(slug),
    )
    values = {**posted, **_followed_answers(section, posted)}
    survey = served.facts.survey()
    return render(section_page(survey, questionnaire, section, values, {}, standing, unsaved=True))


# The form's hidden field with the "Section k of n" its page showed ("k n"): where the section
# stands needs the stored answers, which the database, down, cannot give.
POSITION_FIELD = "_position"


def _position_shown(sent: list[str], questionnaire: Questionnaire) -> tuple[int | None, int | None]:
    """ "Section k of n" as the page that was sent showed it; (None, None) if it is not there or
    cannot be (it is only shown again, never used for anything else)."""
    try:
        number, total = (int(part) for part in sent[0].split())
    except (IndexError, ValueError):
        return None, None
    if not 1 <= number <= total <= len(questionnaire.sections):
        return None, None
    return number, total


def _back_url(served: Served, questionnaire: Questionnaire, section: Section) -> str:
    """The section before in the file (whether it applies is decided once it is asked for)."""
    slug = served.facts.slug
    place = questionnaire.sections.index(section)
    if place == 0:
        return url_for("respond.welcome", slug=slug)
    return url_for("respond.section", slug=slug, section_id=questionnaire.sections[place - 1].id)


def _followed_answers(section: Section, posted: dict[str, list[str]]) -> dict[str, list[str]]:
    """For a choice list that follows an answer given on an earlier page: that answer, as the
    parent of the choice posted (the list then offers the choices it offered when typed)."""
    found = {}
    for question in section.questions:
        cascade = question.cascade
        if cascade is None or cascade.section_id == section.id:
            continue
        picked = set(posted.get(question.id, []))
        parents = sorted(
            {item.parent for item in question.choices if str(item.code) in picked and item.parent}
        )
        if parents:
            found[cascade.question_id] = parents[:1]
    return found


def _same_address() -> str:
    """The address the failed form was posted to, with its query (`?return=review`)."""
    return request.full_path.rstrip("?")


def plain_page(posted: dict[str, list[str]]) -> Page:
    """Every posted field, as hidden inputs and as a list to read, and a button that posts them
    again to the same address."""
    g.setdefault("languages", interface_languages())
    page = later("respond/unsaved.html", 503, fields=posted, action=_same_address())
    return render(page)


def not_submitted() -> Page:
    again = {
        "action": _same_address(),
        "label": _("Submit my answers"),
    }
    message = _(
        "Your answers were not submitted yet. Press “%(button)s” again in a moment.",
        button=again["label"],
    )
    return error_page(503, message, again=again)
