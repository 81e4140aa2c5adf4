"""The respondent's pages: welcome, sections, review, submit, thanks, resume.

Each view translates HTTP into calls to the questionnaire engine and `survey.responses`, inside
one unit of work; the rules themselves live there.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as HTTPResponse

from survey import current_time, get_db, resume_codes
from survey.catalog import all_surveys, find_survey, latest_version, questionnaire_of, schedule_of
from survey.extensions import limiter
from survey.i18n import current_language, remember_asked_language
from survey.models import Survey
from survey.questionnaire import flow
from survey.questionnaire.answers import Problem, form_values, read_section
from survey.questionnaire.schema import Questionnaire, Section
from survey.respond import display
from survey.respond.messages import problem_message
from survey.responses import (
    Progress,
    ResponseError,
    ResponseFinished,
    SurveyClosed,
    SurveyNotOpen,
    draft,
    find_by_code,
    is_draft,
    load_progress,
    mark_reached,
    save_section,
    submit,
    withdraw,
)
from survey.schedule import State, may_continue, may_start, state_at
from survey.sessions import (
    CODES_KEY,
    NO_DEADLINE_DAYS,
    STARTED_KEY,
    UNTIL_KEY,
    drop,
    forget,
    held,
    hold,
)

bp = Blueprint("respond", __name__, template_folder="templates")

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
# The whole tag, and nothing else: letters, digits and _ . : - , at most 64 characters.
_CHANNEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")

Page = str | tuple[str, int] | HTTPResponse


@bp.before_app_request
def _remember_channel() -> None:
    """`?via=<tag>` on any respondent URL becomes the channel of the response started next."""
    via = request.args.get("via")
    if via and _CHANNEL.fullmatch(via):
        session[CHANNEL_KEY] = via


@bp.before_request
def _remember_language() -> None:
    remember_asked_language()


# -- helpers -----------------------------------------------------------------------------------


def _survey(
    db_session: Session, slug: str, *, writing: bool = False
) -> tuple[Survey, Questionnaire]:
    """The survey and its newest content; a write holds a shared lock on the survey, so an
    admin's close waits for it, or it sees the close (the deadline is decided in the write)."""
    survey = find_survey(db_session, slug, lock="share" if writing else None)
    version = latest_version(db_session, survey) if survey else None
    if survey is None or version is None:
        abort(404)
    questionnaire = questionnaire_of(version)
    g.languages = questionnaire.languages
    return survey, questionnaire


def _resume_key() -> str:
    return current_app.config["SURVEY_SETTINGS"].resume_key


def _saved_code(slug: str) -> str | None:
    code = held(session, CODES_KEY, slug)
    return code if isinstance(code, str) else None


def _held_until(survey: Survey) -> int:
    """When this browser forgets its code for `survey`: at the close plus grace (a survey
    without a deadline: some weeks after the last visit)."""
    ends = schedule_of(survey).grace_ends_at or current_time() + timedelta(days=NO_DEADLINE_DAYS)
    return math.ceil(ends.timestamp())


def _keep_until(survey: Survey) -> None:
    """Bring the held-until time up to date (a deadline moved; another visit without one)."""
    until = _held_until(survey)
    if abs(until - (held(session, UNTIL_KEY, survey.slug) or 0)) > 3600:
        hold(session, UNTIL_KEY, survey.slug, until)


def _remember_code(survey: Survey, code: str) -> None:
    forget(session, survey.slug)
    hold(session, CODES_KEY, survey.slug, code)
    _keep_until(survey)


def _progress(db_session: Session, survey: Survey) -> Progress | None:
    """What this browser is answering: a stored response, one started but not yet saved
    (a draft), or None."""
    code = _saved_code(survey.slug)
    if code is None:
        return None
    response = find_by_code(db_session, survey, code, _resume_key())
    if response is not None:
        progress = load_progress(db_session, response)
        drop(session, STARTED_KEY, survey.slug)
    else:
        drafted = _draft(db_session, survey, code)
        if drafted is None:
            forget(session, survey.slug)  # withdrawn, or never saved and forgotten
            return None
        progress = drafted
    _keep_until(survey)
    g.languages = progress.questionnaire.languages
    return progress


def _draft(db_session: Session, survey: Survey, code: str) -> Progress | None:
    """The response this browser started with `code` and has not saved yet, from what it holds
    (None: it holds no start, or the survey has no content)."""
    started = held(session, STARTED_KEY, survey.slug)
    if not (isinstance(started, list) and len(started) == 2):
        return None
    try:
        return draft(
            db_session,
            survey,
            code,
            key=_resume_key(),
            started_at=datetime.fromtimestamp(started[0], UTC),
            language=current_language(),
            channel=started[1],
        )
    except SurveyNotOpen:
        return None


def _shown_code(slug: str, progress: Progress | None) -> str | None:
    """The code to show: once the response is stored (from the first saved section on)."""
    if progress is None or is_draft(progress):
        return None
    return _saved_code(slug)


def _first_save() -> bool:
    """Whether this request may add a response: a section posted by a browser holding a draft."""
    slug = (request.view_args or {}).get("slug", "")
    return request.method == "POST" and held(session, STARTED_KEY, slug) is not None


def _where_to_continue(survey: Survey, progress: Progress) -> str:
    """The page a returning person lands on: the first section not yet completed."""
    status = progress.response.status
    if status == "complete":
        return url_for("respond.thanks", slug=survey.slug)
    if status == "screened_out":
        return url_for("respond.screened_out", slug=survey.slug)
    section = flow.first_incomplete(
        progress.questionnaire, progress.answers, progress.completed, current_time().year
    )
    if section is None:
        return url_for("respond.review", slug=survey.slug)
    return url_for("respond.section", slug=survey.slug, section_id=section.id)


def _without_progress(survey: Survey, questionnaire: Questionnaire) -> Page:
    """A survey page asked for by a browser that holds no response: the welcome page, or the
    closed page once the survey takes no new responses (past the close plus grace the browser
    holds no code any more, and still reads that the survey is closed)."""
    if not may_start(schedule_of(survey), current_time()):
        return _closed(survey, questionnaire, None)
    return redirect(url_for("respond.welcome", slug=survey.slug))


def _finished_redirect(survey: Survey, progress: Progress) -> HTTPResponse | None:
    if progress.response.status != "in_progress":
        return redirect(_where_to_continue(survey, progress))
    return None


def _page(template: str, survey: Survey, questionnaire: Questionnaire, **context: Any) -> str:
    now = current_time()
    schedule = schedule_of(survey)
    return render_template(
        template,
        survey=survey,
        questionnaire=questionnaire,
        state=state_at(schedule, now),
        State=State,
        deadline=display.deadline(schedule, now),
        opening=display.moment(schedule.opens_at, schedule.timezone),
        **context,
    )


def _closed(survey: Survey, questionnaire: Questionnaire, progress: Progress | None) -> Page:
    return _page("respond/closed.html", survey, questionnaire, progress=progress), 403


def _problems(questionnaire: Questionnaire, problems: list[Problem]) -> dict[str, str]:
    return {problem.field: problem_message(problem, questionnaire) for problem in problems}


def _summary(questionnaire: Questionnaire, errors: dict[str, str]) -> dict[str, str]:
    """Error-summary lines: each message after the question it is about, so it stands alone."""
    return {
        field: _(
            "%(question)s — %(problem)s",
            question=display.field_label(questionnaire, field),
            problem=message,
        )
        for field, message in errors.items()
    }


# -- pages -------------------------------------------------------------------------------------


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
        return render_template("respond/index.html", entries=entries)


@bp.get("/s/<slug>")
def welcome(slug: str) -> Page:
    with get_db().reading() as db_session:
        survey, questionnaire = _survey(db_session, slug)
        progress = _progress(db_session, survey)
        return _welcome(survey, questionnaire, progress)


def _welcome(
    survey: Survey,
    questionnaire: Questionnaire,
    progress: Progress | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    resume_code: str = "",
) -> Page:
    g.page_path = url_for("respond.welcome", slug=survey.slug)
    continue_url = _where_to_continue(survey, progress) if progress else None
    return (
        _page(
            "respond/welcome.html",
            survey,
            questionnaire,
            progress=progress,
            continue_url=continue_url,
            errors=errors or {},
            resume_code_entered=resume_code,
            resume_code=_shown_code(survey.slug, progress),
        ),
        status,
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
        survey, questionnaire = _survey(db_session, slug, writing=True)
        existing = _progress(db_session, survey)
        if existing is not None:
            return redirect(_where_to_continue(survey, existing))
        if request.form.get("consent") != "yes":
            errors = {"consent": _("Tick the box to agree before you start.")}
            return _welcome(survey, questionnaire, None, errors)
        now = current_time()
        if not may_start(schedule_of(survey), now):
            return _closed(survey, questionnaire, None)
        code = resume_codes.generate()
        _remember_code(survey, code)
        hold(session, STARTED_KEY, slug, [now.timestamp(), session.get(CHANNEL_KEY)])
        progress = _draft(db_session, survey, code)
        if progress is None:
            return _closed(survey, questionnaire, None)
        return redirect(_where_to_continue(survey, progress))


@bp.route("/s/<slug>/p/<section_id>", methods=["GET", "POST"])
@limiter.limit(FIRST_SAVE_LIMIT, exempt_when=lambda: not _first_save())
def section(slug: str, section_id: str) -> Page:
    with get_db().writing() as db_session:
        survey, newest = _survey(db_session, slug, writing=True)
        progress = _progress(db_session, survey)
        if progress is None:
            return _without_progress(survey, newest)
        questionnaire = progress.questionnaire
        finished = _finished_redirect(survey, progress)
        if finished is not None:
            return finished
        current = questionnaire.section(section_id)
        if current is None:
            abort(404)
        now = current_time()
        if not flow.section_applies(current, progress.answers, now.year):
            return redirect(_where_to_continue(survey, progress))
        if not may_continue(schedule_of(survey), now):
            return _closed(survey, questionnaire, progress)
        if request.method == "GET":
            mark_reached(db_session, progress.response, current.id, now)
            values = form_values(current, progress.answers)
            return _section_page(survey, progress, current, values, {})
        return _save(db_session, survey, progress, current, now)


def _save(
    db_session: Session, survey: Survey, progress: Progress, current: Section, now: datetime
) -> Page:
    form = request.form.to_dict(flat=False)
    others = {
        key: value
        for key, value in progress.answers.items()
        if key not in {item for q in current.questions for item in (q.id, q.other_field)}
    }
    result = read_section(current, form, others, now.year)
    if not result.ok and result.screened_out is None:
        errors = _problems(progress.questionnaire, result.problems)
        return _section_page(survey, progress, current, form, errors)
    try:
        save_section(db_session, survey, progress, current, result, now, current_language())
    except (SurveyClosed, SurveyNotOpen):
        return _closed(survey, progress.questionnaire, progress)
    except ResponseFinished:
        return redirect(_where_to_continue(survey, progress))
    drop(session, STARTED_KEY, survey.slug)
    if result.screened_out is not None:
        return redirect(url_for("respond.screened_out", slug=survey.slug))
    if request.args.get("return") == "review":
        return redirect(_where_to_continue(survey, progress))
    following = flow.next_section(progress.questionnaire, progress.answers, current.id, now.year)
    if following is None:
        return redirect(url_for("respond.review", slug=survey.slug))
    return redirect(url_for("respond.section", slug=survey.slug, section_id=following.id))


def _section_page(
    survey: Survey,
    progress: Progress,
    current: Section,
    values: dict[str, list[str]],
    errors: dict[str, str],
) -> Page:
    questionnaire = progress.questionnaire
    year = current_time().year
    number, total = flow.position(questionnaire, progress.answers, current.id, year)
    previous = flow.previous_section(questionnaire, progress.answers, current.id, year)
    back_url = (
        url_for("respond.section", slug=survey.slug, section_id=previous.id)
        if previous
        else url_for("respond.welcome", slug=survey.slug)
    )
    return _page(
        "respond/section.html",
        survey,
        questionnaire,
        progress=progress,
        section=current,
        number=number,
        total=total,
        values=values,
        errors=errors,
        back_url=back_url,
        returning=request.args.get("return") == "review",
        anchors=display.anchors(current),
        summary=_summary(questionnaire, errors),
        earlier_answers=display.earlier_answers(questionnaire, progress.answers, current),
        resume_code=_shown_code(survey.slug, progress),
    )


@bp.get("/s/<slug>/review")
def review(slug: str) -> Page:
    with get_db().reading() as db_session:
        survey, newest = _survey(db_session, slug)
        progress = _progress(db_session, survey)
        if progress is None:
            return _without_progress(survey, newest)
        finished = _finished_redirect(survey, progress)
        if finished is not None:
            return finished
        now = current_time()
        if not may_continue(schedule_of(survey), now):
            return _closed(survey, progress.questionnaire, progress)
        year = now.year
        questionnaire = progress.questionnaire
        sections = [
            (
                item,
                item.id in progress.completed,
                display.section_answers(item, progress.answers, year),
            )
            for item in flow.applicable_sections(questionnaire, progress.answers, year)
        ]
        ready = all(done for _item, done, _rows in sections)
        return _page(
            "respond/review.html",
            survey,
            questionnaire,
            progress=progress,
            sections=sections,
            ready=ready,
            resume_code=_shown_code(slug, progress),
        )


@bp.route("/s/<slug>/submit", methods=["GET", "POST"])
def submit_response(slug: str) -> Page:
    if request.method == "GET":
        return redirect(url_for("respond.review", slug=slug))
    with get_db().writing() as db_session:
        survey, newest = _survey(db_session, slug, writing=True)
        progress = _progress(db_session, survey)
        if progress is None:
            return _without_progress(survey, newest)
        try:
            submit(db_session, survey, progress, current_time(), current_language())
        except SurveyClosed:
            return _closed(survey, progress.questionnaire, progress)
        except ResponseFinished:
            pass
        except ResponseError:
            return redirect(url_for("respond.review", slug=slug))
        return redirect(_where_to_continue(survey, progress))


@bp.get("/s/<slug>/thanks")
def thanks(slug: str) -> Page:
    with get_db().reading() as db_session:
        survey, _questionnaire = _survey(db_session, slug)
        progress = _progress(db_session, survey)
        if progress is None or progress.response.status != "complete":
            return redirect(url_for("respond.welcome", slug=slug))
        return _page(
            "respond/thanks.html",
            survey,
            progress.questionnaire,
            progress=progress,
            submitted_at=display.moment(progress.response.submitted_at, survey.timezone),
            resume_code=_shown_code(slug, progress),
        )


@bp.get("/s/<slug>/end")
def screened_out(slug: str) -> Page:
    with get_db().reading() as db_session:
        survey, _questionnaire = _survey(db_session, slug)
        progress = _progress(db_session, survey)
        if progress is None or progress.response.status != "screened_out":
            return redirect(url_for("respond.welcome", slug=slug))
        message = display.screen_out_message(
            progress.questionnaire, progress.answers, current_time().year
        )
        return _page(
            "respond/screened_out.html",
            survey,
            progress.questionnaire,
            progress=progress,
            message=message,
        )


def _not_found() -> str:
    return _("No answers were found for this resume code. Check the code and try again.")


@bp.route("/s/<slug>/resume", methods=["GET", "POST"])
@limiter.limit(RESUME_LIMIT)
def resume_form(slug: str) -> Page:
    """The welcome page's "Continue with a resume code" form (POST): typing one's code is the
    choice, so it continues at once. A GET with ?code= (an older link) asks first."""
    source = request.form if request.method == "POST" else request.args
    entered = source.get("code", "")
    code = resume_codes.normalize(entered)
    with get_db().reading() as db_session:
        survey, questionnaire = _survey(db_session, slug)
        if code is None:
            error = _("Enter the 12-character resume code you were given, like K7QF-3MZP-9XWA.")
            return _welcome(survey, questionnaire, None, {"code": error}, 400, entered[:40])
        if request.method == "GET":
            return redirect(url_for("respond.resume", slug=slug, code=code))
        response = find_by_code(db_session, survey, code, _resume_key())
        if response is None:
            return _welcome(survey, questionnaire, None, {"code": _not_found()}, 404, entered[:40])
        _remember_code(survey, code)
        return redirect(_where_to_continue(survey, load_progress(db_session, response)))


@bp.route("/s/<slug>/resume/<code>", methods=["GET", "POST"])
@limiter.limit(RESUME_LIMIT)
def resume(slug: str, code: str) -> Page:
    """A resume link. Following it changes nothing: the page shows how far those answers are
    and a "Continue" button (a form); only that button puts this browser on them. A browser
    answering another response keeps it until the person chooses."""
    with get_db().reading() as db_session:
        survey, questionnaire = _survey(db_session, slug)
        normalized = resume_codes.normalize(code)
        found = find_by_code(db_session, survey, normalized, _resume_key()) if normalized else None
        if normalized is None or found is None:
            return _welcome(survey, questionnaire, None, {"code": _not_found()}, 404, code[:40])
        linked = load_progress(db_session, found)
        if request.method == "POST" or _saved_code(slug) == normalized:
            _remember_code(survey, normalized)
            return redirect(_where_to_continue(survey, linked))
        current = _progress(db_session, survey)
        year = current_time().year
        applicable = flow.applicable_sections(linked.questionnaire, linked.answers, year)
        g.languages = linked.questionnaire.languages
        return _page(
            "respond/resume.html",
            survey,
            linked.questionnaire,
            linked=linked,
            completed=sum(1 for item in applicable if item.id in linked.completed),
            applicable=len(applicable),
            started=display.moment(linked.response.started_at, survey.timezone),
            submitted=display.moment(linked.response.submitted_at, survey.timezone),
            current_url=_where_to_continue(survey, current) if current else None,
        )


@bp.post("/s/<slug>/forget")
def forget_device(slug: str) -> Page:
    """Remove the resume code from this browser (a shared phone); the answers stay saved."""
    with get_db().reading() as db_session:
        survey, questionnaire = _survey(db_session, slug)
        forget(session, slug)
        return _page("respond/forgotten.html", survey, questionnaire)


@bp.route("/s/<slug>/withdraw", methods=["GET", "POST"])
@limiter.limit(RESUME_LIMIT, methods=["POST"])
def withdraw_answers(slug: str) -> Page:
    """Delete my answers: needs the resume code and a tick to confirm."""
    with get_db().writing() as db_session:
        survey, questionnaire = _survey(db_session, slug)
        errors: dict[str, str] = {}
        own = _progress(db_session, survey)
        entered = request.form.get("code", _shown_code(slug, own) or "")[:40]
        if request.method == "POST":
            code = resume_codes.normalize(entered)
            response = find_by_code(db_session, survey, code, _resume_key()) if code else None
            if response is None:
                errors["code"] = _not_found()
            if request.form.get("confirm") != "yes":
                errors["confirm"] = _("Tick the box to confirm that your answers are deleted.")
            if response is not None and not errors:
                withdraw(db_session, response, now=current_time(), by="respondent")
                if _saved_code(slug) == code:
                    forget(session, slug)
                return _page("respond/withdrawn.html", survey, questionnaire)
        return _page(
            "respond/withdraw.html",
            survey,
            questionnaire,
            errors=errors,
            entered=entered,
            anchors={"code": "f-code", "confirm": "f-confirm"},
        ), (400 if errors else 200)
