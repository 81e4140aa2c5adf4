"""Answering a survey: the list of surveys, welcome, start, the sections, review and submit.

Each view translates HTTP into calls to the questionnaire engine and `survey.responses` inside
one unit of work (read-only for a GET), and renders its page once that has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from survey import current_time, get_db, resume_codes
from survey.deadline_rules import State, may_continue, may_start, state_at
from survey.error_pages import DATABASE_ERRORS, EXPIRED, error_page
from survey.extensions import limiter
from survey.i18n import current_language
from survey.i18n import gettext as _
from survey.models import Survey
from survey.questionnaire import flow
from survey.questionnaire.answers import Problem, form_values, read_section
from survey.questionnaire.schema import Questionnaire, Section
from survey.questionnaire_store import all_surveys, latest_version, questionnaire_of, schedule_of
from survey.rendering import Outcome, Page, later, render
from survey.respond import display
from survey.respond.blueprint import (
    CHANNEL_KEY,
    FIRST_SAVE_LIMIT,
    START_LIMIT,
    bp,
    closed,
    finished_redirect,
    is_finishing,
    load_survey,
    page,
    where_to_continue,
    without_progress,
)
from survey.respond.held import (
    draft_of,
    first_save,
    progress_of,
    remember_code,
    shown_code,
)
from survey.respond.messages import problem_message
from survey.respond.section_page import Standing, section_page
from survey.responses import (
    ResponseError,
    ResponseFinished,
    ResponseState,
    SurveyClosed,
    SurveyNotOpen,
    save_section,
    submit,
)
from survey.sessions import STARTED_KEY, drop, hold


@bp.get("/")
def index() -> Page:
    with get_db().reading() as db_session:
        now = current_time()
        surveys = [
            item
            for item in all_surveys(db_session)
            if state_at(schedule_of(item), now) in (State.OPEN, State.GRACE)
        ]
        if len(surveys) == 1:
            return redirect(url_for("respond.welcome", slug=surveys[0].slug))
        entries = []
        for item in surveys:
            version = latest_version(db_session, item)
            if version is not None:
                entries.append((item, questionnaire_of(version)))
    return render(later("respond/index.html", entries=entries))


# The endpoints whose forms answer the survey, which the close ends.
_ANSWERING_FORMS = frozenset({"respond.start", "respond.section", "respond.submit_response"})


@bp.errorhandler(CSRFError)
def refused_form(error: CSRFError) -> Page:
    """A form without a valid token, sent to a survey that takes no more answers: the closed
    page (403), as that form with its token would have got, not "this form has expired". Most
    often it is a page left open over the close: the browser's cookie, where the token is kept,
    ends at the close plus grace and the browser drops it then. Nothing is saved either way.
    Only the forms that answer: a withdrawal, say, is still possible after the close."""
    slug = (request.view_args or {}).get("slug")
    if request.endpoint in _ANSWERING_FORMS and request.method == "POST" and isinstance(slug, str):
        try:
            with get_db().reading() as db_session:
                survey, questionnaire = load_survey(db_session, slug)
                if not may_continue(schedule_of(survey), current_time()):
                    return render(closed(survey, questionnaire, None))
        except HTTPException:  # no such survey: as before
            pass
        except DATABASE_ERRORS:  # no database to ask: as before
            pass
    return error_page(400, EXPIRED)


@bp.get("/s/<slug>")
def welcome(slug: str) -> Page:
    with get_db().reading() as db_session:
        survey, questionnaire = load_survey(db_session, slug)
        outcome = welcome_page(survey, questionnaire, progress_of(db_session, survey))
    return render(outcome)


def welcome_page(
    survey: Survey,
    questionnaire: Questionnaire,
    progress: ResponseState | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    resume_code: str = "",
) -> Outcome:
    g.page_path = url_for("respond.welcome", slug=survey.slug)
    continue_url = where_to_continue(survey, progress) if progress else None
    return page(
        "respond/welcome.html",
        survey,
        questionnaire,
        status,
        finishing=is_finishing(progress),
        progress=progress,
        continue_url=continue_url,
        errors=errors or {},
        resume_code_entered=resume_code,
        resume_code=shown_code(survey.slug, progress),
    )


@bp.post("/s/<slug>/start")
@limiter.limit(START_LIMIT)
def start(slug: str) -> Page:
    """Consent given: draw a resume code for this browser. Nothing is stored until the first
    section is saved, and nothing on the page picks the code (a copied or cached page cannot
    put two people into one response)."""
    # It writes nothing, but decides under the survey's shared lock like a write: a start is
    # refused from the moment an admin's close is committed, never let through on a schedule
    # read just before.
    with get_db().writing() as db_session:
        outcome = _start(db_session, slug)
    return render(outcome)


def _start(db_session: Session, slug: str) -> Outcome:
    survey, questionnaire = load_survey(db_session, slug, writing=True)
    existing = progress_of(db_session, survey)
    if existing is not None:
        return redirect(where_to_continue(survey, existing))
    if request.form.get("consent") != "yes":
        errors = {"consent": _("Tick the box to agree before you start.")}
        return welcome_page(survey, questionnaire, None, errors)
    now = current_time()
    if not may_start(schedule_of(survey), now):
        return closed(survey, questionnaire, None)
    code = resume_codes.generate()
    remember_code(survey, code)
    hold(session, STARTED_KEY, slug, [now.timestamp(), session.get(CHANNEL_KEY)])
    progress = draft_of(db_session, survey, code)
    if progress is None:
        return closed(survey, questionnaire, None)
    return redirect(where_to_continue(survey, progress))


@dataclass(frozen=True)
class _Place:
    """A section this browser may see now, with the response it belongs to."""

    survey: Survey
    progress: ResponseState
    section: Section
    now: datetime


@limiter.limit(FIRST_SAVE_LIMIT)
def _count_first_save() -> None:
    """Count a first save (the only save that adds a response) against FIRST_SAVE_LIMIT; past
    it, RateLimitExceeded (429). Called only for one: every other page and save of a section
    then skips the limiter's work, a few percent of their time."""


@bp.route("/s/<slug>/p/<section_id>", methods=["GET", "POST"])
def section(slug: str, section_id: str) -> Page:
    """A section: shown from a read-only session, saved (POST) in one write.

    That a person reached a section (the dashboard's drop-off) is recorded by the write that
    sends them there: the save of the section before, in its transaction (`save_section`); the
    first section is recorded by the first save, which stores the response. So a GET writes
    nothing: showing a page never waits for nor holds the database's write lock (SQLite has
    one), and rendering, always after the transaction, cannot leave a write half done. A
    section opened without such a save (a typed address, a link) is counted reached once saved.
    """
    if request.method == "GET":
        with get_db().reading() as db_session:
            place = _place(db_session, slug, section_id, writing=False)
            if isinstance(place, _Place):
                values = form_values(place.section, place.progress.answers)
                place = _section_page(place, values, {})
        return render(place)
    if first_save():
        _count_first_save()
    with get_db().writing() as db_session:
        place = _place(db_session, slug, section_id, writing=True)
        outcome = _save(db_session, place) if isinstance(place, _Place) else place
    return render(outcome)


def _place(db_session: Session, slug: str, section_id: str, *, writing: bool) -> _Place | Outcome:
    """The section if this browser may see it now, else where to go instead."""
    survey, newest = load_survey(db_session, slug, writing=writing)
    progress = progress_of(db_session, survey)
    if progress is None:
        return without_progress(survey, newest)
    finished = finished_redirect(survey, progress)
    if finished is not None:
        return finished
    current = progress.questionnaire.section(section_id)
    if current is None:
        abort(404)
    now = current_time()
    if not flow.section_applies(current, progress.answers, now.date()):
        return redirect(where_to_continue(survey, progress))
    if not may_continue(schedule_of(survey), now):
        return closed(survey, progress.questionnaire, progress)
    return _Place(survey, progress, current, now)


def _save(db_session: Session, place: _Place) -> Outcome:
    survey, progress, current, now = place.survey, place.progress, place.section, place.now
    form = request.form.to_dict(flat=False)
    others = {key: value for key, value in progress.answers.items() if key not in current.keys}
    result = read_section(current, form, others, now.date())
    if not result.ok and result.screened_out is None:
        return _section_page(place, form, _problems(progress.questionnaire, result.problems))
    try:
        following = save_section(
            db_session,
            survey,
            progress,
            current,
            result,
            now,
            current_language(),
            from_review=request.args.get("return") == "review",
        )
    except (SurveyClosed, SurveyNotOpen):
        return closed(survey, progress.questionnaire, progress)
    except ResponseFinished:
        return redirect(where_to_continue(survey, progress))
    drop(session, STARTED_KEY, survey.slug)  # stored: the browser's start is done
    if result.screened_out is not None:
        return redirect(url_for("respond.screened_out", slug=survey.slug))
    if following is None:
        return redirect(url_for("respond.review", slug=survey.slug))
    return redirect(url_for("respond.section", slug=survey.slug, section_id=following.id))


def _problems(questionnaire: Questionnaire, problems: list[Problem]) -> dict[str, str]:
    return {problem.field: problem_message(problem, questionnaire) for problem in problems}


def _section_page(place: _Place, values: dict[str, list[str]], errors: dict[str, str]) -> Outcome:
    survey, progress, current = place.survey, place.progress, place.section
    questionnaire = progress.questionnaire
    today = place.now.date()
    number, total = flow.position(questionnaire, progress.answers, current.id, today)
    previous = flow.previous_section(questionnaire, progress.answers, current.id, today)
    back_url = (
        url_for("respond.section", slug=survey.slug, section_id=previous.id)
        if previous
        else url_for("respond.welcome", slug=survey.slug)
    )
    standing = Standing(
        back_url,
        progress,
        number,
        total,
        display.earlier_answers(questionnaire, progress.answers, current),
        shown_code(survey.slug, progress),
    )
    shown = {**values, **display.cascade_values(current, progress.answers)}
    return section_page(survey, questionnaire, current, shown, errors, standing)


@bp.get("/s/<slug>/review")
def review(slug: str) -> Page:
    with get_db().reading() as db_session:
        outcome = _review(db_session, slug)
    return render(outcome)


def _review(db_session: Session, slug: str) -> Outcome:
    survey, newest = load_survey(db_session, slug)
    progress = progress_of(db_session, survey)
    if progress is None:
        return without_progress(survey, newest)
    finished = finished_redirect(survey, progress)
    if finished is not None:
        return finished
    now = current_time()
    if not may_continue(schedule_of(survey), now):
        return closed(survey, progress.questionnaire, progress)
    questionnaire = progress.questionnaire
    sections = [
        (
            item,
            item.id in progress.completed,
            display.section_answers(item, progress.answers, now.date()),
        )
        for item in flow.applicable_sections(questionnaire, progress.answers, now.date())
    ]
    return page(
        "respond/review.html",
        survey,
        questionnaire,
        finishing=True,  # only a response in progress that may still be saved gets here
        progress=progress,
        sections=sections,
        ready=all(done for _item, done, _rows in sections),
        resume_code=shown_code(slug, progress),
    )


@bp.route("/s/<slug>/submit", methods=["GET", "POST"])
def submit_response(slug: str) -> Page:
    if request.method == "GET":
        return redirect(url_for("respond.review", slug=slug))
    with get_db().writing() as db_session:
        outcome = _submit(db_session, slug)
    return render(outcome)


def _submit(db_session: Session, slug: str) -> Outcome:
    survey, newest = load_survey(db_session, slug, writing=True)
    progress = progress_of(db_session, survey)
    if progress is None:
        return without_progress(survey, newest)
    try:
        submit(db_session, survey, progress, current_time(), current_language())
    except SurveyClosed:
        return closed(survey, progress.questionnaire, progress)
    except ResponseFinished:
        pass
    except ResponseError:
        return redirect(url_for("respond.review", slug=slug))
    return redirect(where_to_continue(survey, progress))
