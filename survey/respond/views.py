"""The respondent's pages: welcome, sections, review, submit, thanks, resume.

Each view translates HTTP into calls to the questionnaire engine and `survey.responses`, inside
one unit of work; the rules themselves live there.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
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
from itsdangerous import BadSignature, URLSafeTimedSerializer
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
    find_by_code,
    load_progress,
    mark_reached,
    save_section,
    start_response,
    submit,
    withdraw,
)
from survey.schedule import State, may_continue, state_at

bp = Blueprint("respond", __name__, template_folder="templates")

CODES_KEY = "resume_codes"
CHANNEL_KEY = "channel"
START_TOKEN_MAX_AGE = 24 * 3600
# Generous enough for a class or a cooperative behind one address, tight enough to stop
# scripts that guess resume codes or flood the database with empty responses.
RESUME_LIMIT = "30 per minute;300 per hour"
START_LIMIT = "30 per minute;600 per hour"
_CHANNEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")

Page = str | tuple[str, int] | HTTPResponse


@bp.before_app_request
def _remember_channel() -> None:
    """`?via=<tag>` on any respondent URL becomes the channel of the response started next."""
    via = request.args.get("via")
    if via and _CHANNEL.match(via):
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


def _saved_code(slug: str) -> str | None:
    code = session.get(CODES_KEY, {}).get(slug)
    return code if isinstance(code, str) else None


def _remember_code(slug: str, code: str) -> None:
    codes = dict(session.get(CODES_KEY, {}))
    codes[slug] = code
    session[CODES_KEY] = codes
    session.permanent = True


def _forget_code(slug: str) -> None:
    codes = dict(session.get(CODES_KEY, {}))
    codes.pop(slug, None)
    session[CODES_KEY] = codes


def _progress(db_session: Session, survey: Survey) -> Progress | None:
    code = _saved_code(survey.slug)
    if code is None:
        return None
    response = find_by_code(db_session, survey, code)
    if response is None:
        _forget_code(survey.slug)
        return None
    progress = load_progress(db_session, response)
    g.languages = progress.questionnaire.languages
    return progress


def _start_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="survey-start")


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
    token = _start_serializer().dumps(secrets.token_urlsafe(16))
    g.page_path = url_for("respond.welcome", slug=survey.slug)
    continue_url = _where_to_continue(survey, progress) if progress else None
    return (
        _page(
            "respond/welcome.html",
            survey,
            questionnaire,
            progress=progress,
            continue_url=continue_url,
            start_token=token,
            errors=errors or {},
            resume_code_entered=resume_code,
            resume_code=_saved_code(survey.slug) if progress else None,
        ),
        status,
    )


@bp.post("/s/<slug>/start")
@limiter.limit(START_LIMIT)
def start(slug: str) -> Page:
    with get_db().writing() as db_session:
        survey, questionnaire = _survey(db_session, slug, writing=True)
        existing = _progress(db_session, survey)
        if existing is not None:
            return redirect(_where_to_continue(survey, existing))
        if request.form.get("consent") != "yes":
            errors = {"consent": _("Tick the box to agree before you start.")}
            return _welcome(survey, questionnaire, None, errors)
        try:
            seed = _start_serializer().loads(
                request.form.get("start_token", ""), max_age=START_TOKEN_MAX_AGE
            )
        except BadSignature:
            seed = None
        if isinstance(seed, str):
            code = resume_codes.from_seed(current_app.config["SECRET_KEY"], seed)
        else:
            code = resume_codes.generate()
        try:
            response = start_response(
                db_session,
                survey,
                code,
                now=current_time(),
                language=current_language(),
                channel=session.get(CHANNEL_KEY),
            )
        except SurveyNotOpen:
            return _closed(survey, questionnaire, None)
        _remember_code(survey.slug, code)
        progress = load_progress(db_session, response)
        return redirect(_where_to_continue(survey, progress))


@bp.route("/s/<slug>/p/<section_id>", methods=["GET", "POST"])
def section(slug: str, section_id: str) -> Page:
    with get_db().writing() as db_session:
        survey, _questionnaire = _survey(db_session, slug, writing=True)
        progress = _progress(db_session, survey)
        if progress is None:
            return redirect(url_for("respond.welcome", slug=slug))
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
    except SurveyClosed:
        return _closed(survey, progress.questionnaire, progress)
    except ResponseFinished:
        return redirect(_where_to_continue(survey, progress))
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
        resume_code=_saved_code(survey.slug),
    )


@bp.get("/s/<slug>/review")
def review(slug: str) -> Page:
    with get_db().reading() as db_session:
        survey, _questionnaire = _survey(db_session, slug)
        progress = _progress(db_session, survey)
        if progress is None:
            return redirect(url_for("respond.welcome", slug=slug))
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
            resume_code=_saved_code(slug),
        )


@bp.route("/s/<slug>/submit", methods=["GET", "POST"])
def submit_response(slug: str) -> Page:
    if request.method == "GET":
        return redirect(url_for("respond.review", slug=slug))
    with get_db().writing() as db_session:
        survey, _questionnaire = _survey(db_session, slug, writing=True)
        progress = _progress(db_session, survey)
        if progress is None:
            return redirect(url_for("respond.welcome", slug=slug))
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
            resume_code=_saved_code(slug),
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


@bp.get("/s/<slug>/resume")
@limiter.limit(RESUME_LIMIT)
def resume_form(slug: str) -> Page:
    """The welcome page's "resume with a code" form lands here (GET, so no token needed)."""
    entered = request.args.get("code", "")
    code = resume_codes.normalize(entered)
    if code is None:
        with get_db().reading() as db_session:
            survey, questionnaire = _survey(db_session, slug)
            error = _("Enter the 12-character resume code you were given, like K7QF-3MZP-9XWA.")
            return _welcome(survey, questionnaire, None, {"code": error}, 400, entered[:40])
    return redirect(url_for("respond.resume", slug=slug, code=code))


@bp.get("/s/<slug>/resume/<code>")
@limiter.limit(RESUME_LIMIT)
def resume(slug: str, code: str) -> Page:
    with get_db().reading() as db_session:
        survey, questionnaire = _survey(db_session, slug)
        normalized = resume_codes.normalize(code)
        response = find_by_code(db_session, survey, normalized) if normalized else None
        if normalized is None or response is None:
            error = _("No answers were found for this resume code. Check the code and try again.")
            return _welcome(survey, questionnaire, None, {"code": error}, 404, code[:40])
        _remember_code(slug, normalized)
        return redirect(_where_to_continue(survey, load_progress(db_session, response)))


@bp.route("/s/<slug>/withdraw", methods=["GET", "POST"])
@limiter.limit(RESUME_LIMIT, methods=["POST"])
def withdraw_answers(slug: str) -> Page:
    """Delete my answers: needs the resume code and a tick to confirm."""
    with get_db().writing() as db_session:
        survey, questionnaire = _survey(db_session, slug)
        errors: dict[str, str] = {}
        entered = request.form.get("code", _saved_code(slug) or "")[:40]
        if request.method == "POST":
            code = resume_codes.normalize(entered)
            response = find_by_code(db_session, survey, code) if code else None
            if response is None:
                errors["code"] = _(
                    "No answers were found for this resume code. Check the code and try again."
                )
            if request.form.get("confirm") != "yes":
                errors["confirm"] = _("Tick the box to confirm that your answers are deleted.")
            if response is not None and not errors:
                withdraw(db_session, response, now=current_time(), by="respondent")
                _forget_code(slug)
                return _page("respond/withdrawn.html", survey, questionnaire)
        return _page(
            "respond/withdraw.html",
            survey,
            questionnaire,
            errors=errors,
            entered=entered,
            anchors={"code": "f-code", "confirm": "f-confirm"},
        ), (400 if errors else 200)
