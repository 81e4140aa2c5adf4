"""The respondents' blueprint and what its pages share: the survey of the URL, where a person
goes next, and how a page is put together (rendered once the view's transaction has ended,
see `survey.rendering`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, request, session, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from survey import current_time
from survey.channels import is_tag
from survey.deadline_rules import State, may_start, state_at
from survey.i18n import remember_asked_language
from survey.models import Survey
from survey.questionnaire import flow
from survey.questionnaire.schema import Questionnaire
from survey.questionnaire_store import find_survey_and_version, questionnaire_of_newest, schedule_of
from survey.rendering import Later, Outcome, later
from survey.respond import blank_forms, display, page_cache
from survey.respond.held import give_channel, resume_key, saved_code
from survey.responses import ResponseState, find_survey_with_progress

bp = Blueprint("respond", __name__, template_folder="templates")
bp.record_once(lambda state: page_cache.install(state.app))
bp.record_once(lambda state: blank_forms.install(state.app))
bp.add_app_template_global(blank_forms.blank_widgets, "blank_widgets")
bp.add_app_template_global(display.choice_groups, "choice_groups")
bp.add_app_template_global(display.paragraphs, "paragraphs")
bp.add_app_template_global(display.country_options, "country_options")

CHANNEL_KEY = "channel"
# Limits count per address (behind a proxy: the client's, see SURVEY_TRUSTED_PROXIES), in the
# limiter's storage (SURVEY_RATELIMIT_STORAGE_URL: shared by every process with Redis). A start
# writes nothing to the database (the response is stored at its first save), so starts may be
# many: a workshop, a campus or a mobile carrier puts hundreds of people behind one address. A
# script that floods starts, or first saves (the only requests that add responses), is turned
# away with 429 once past them.
START_LIMIT = "300 per minute;3000 per hour"
FIRST_SAVE_LIMIT = "300 per minute;3000 per hour"
# Codes have 60 random bits: guessing is hopeless at any rate a server answers; the limit keeps
# a script from trying.
RESUME_LIMIT = "120 per minute;1200 per hour"


@bp.before_request
def _remember_channel() -> None:
    """`?via=<tag>` on any respondent URL becomes the channel of the response started next, and
    of one started without a tag and not yet stored (this request's save may store it). Only on
    the survey's pages: the console's share page takes `?via=` too, as the tag of its links."""
    via = request.args.get("via")
    if via and is_tag(via):
        session[CHANNEL_KEY] = via
        give_channel(via)


@bp.before_request
def _remember_language() -> None:
    remember_asked_language()


# The page script saves a section with fetch, follows the redirect only to learn where it leads,
# and then goes there as a plain GET: that first GET gets no page, so the next page is neither
# built nor sent twice (static/survey.js).
LOCATION_ONLY_HEADER = "X-Survey-Location-Only"


@bp.before_request
def _location_only() -> Response | None:
    if request.method == "GET" and request.headers.get(LOCATION_ONLY_HEADER):
        return Response(status=204)
    return None


def load_survey(
    db_session: Session, slug: str, *, writing: bool = False
) -> tuple[Survey, Questionnaire]:
    """The survey and its newest content; a write holds a shared lock on the survey, so an
    admin's close waits for it, or it sees the close (the deadline is decided in the write)."""
    lock = "share" if writing else None
    code = saved_code(slug)
    if code is None:
        survey, version = find_survey_and_version(db_session, slug, lock=lock)
    else:  # the response of the code too, for `progress_of`: one statement for both
        survey, version = find_survey_with_progress(db_session, slug, code, resume_key(), lock=lock)
    if survey is None or version is None:
        abort(404)
    try:
        questionnaire = questionnaire_of_newest(db_session, version)
    except LookupError:  # the survey was deleted since its row was read
        abort(404)
    g.languages = questionnaire.languages
    return survey, questionnaire


def where_to_continue(survey: Survey, progress: ResponseState) -> str:
    """The page a returning person lands on: the first section not yet completed."""
    status = progress.response.status
    if status == "complete":
        return url_for("respond.thanks", slug=survey.slug)
    if status == "screened_out":
        return url_for("respond.screened_out", slug=survey.slug)
    section = flow.first_incomplete(
        progress.questionnaire, progress.answers, progress.completed, current_time().date()
    )
    if section is None:
        return url_for("respond.review", slug=survey.slug)
    return url_for("respond.section", slug=survey.slug, section_id=section.id)


def without_progress(survey: Survey, questionnaire: Questionnaire) -> Outcome:
    """A survey page asked for by a browser that holds no response: the welcome page, or the
    closed page once the survey takes no new responses (past the close plus grace the browser
    holds no code any more, and still reads that the survey is closed)."""
    if not may_start(schedule_of(survey), current_time()):
        return closed(survey, questionnaire, None)
    return redirect(url_for("respond.welcome", slug=survey.slug))


def is_finishing(progress: ResponseState | None) -> bool:
    """Whether this browser answers a response not yet finished (stored, or a draft): the one
    reader the grace period after the close is for."""
    return progress is not None and progress.response.status == "in_progress"


def finished_redirect(survey: Survey, progress: ResponseState) -> Response | None:
    if progress.response.status != "in_progress":
        return redirect(where_to_continue(survey, progress))
    return None


def page(
    template: str,
    survey: Survey,
    questionnaire: Questionnaire,
    status: int = 200,
    *,
    finishing: bool = False,
    **context: Any,
) -> Later:
    """A respondent page with what every one of them shows (state, deadline, opening); one read
    by a person `finishing` a response also gives the time left in the grace period. What it is
    built from is kept for a section page shown while the database is down."""
    page_cache.page_cache().remember(survey, questionnaire)
    now = current_time()
    schedule = schedule_of(survey)
    return later(
        template,
        status,
        survey=survey,
        questionnaire=questionnaire,
        state=state_at(schedule, now),
        State=State,
        deadline=display.deadline(schedule, now, finishing=finishing),
        opening=display.moment(schedule.opens_at, schedule.timezone),
        **context,
    )


def closed(survey: Survey, questionnaire: Questionnaire, progress: ResponseState | None) -> Later:
    return page("respond/closed.html", survey, questionnaire, 403, progress=progress)
