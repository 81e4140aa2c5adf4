"""Pages after answering or away from it: thanks, the screen-out end, resuming with a code,
forgetting this browser's code and withdrawing one's answers."""

from __future__ import annotations

from flask import g, redirect, request, session, url_for
from sqlalchemy.orm import Session

from survey import current_time, get_db, resume_codes
from survey.extensions import limiter
from survey.i18n import gettext as _
from survey.questionnaire import flow
from survey.rendering import Outcome, Page, render
from survey.respond import display
from survey.respond.answering import welcome_page
from survey.respond.blueprint import RESUME_LIMIT, bp, load_survey, page, where_to_continue
from survey.respond.held import progress_of, remember_code, resume_key, saved_code, shown_code
from survey.responses import find_by_code, find_progress, withdraw
from survey.sessions import forget


@bp.get("/s/<slug>/thanks")
def thanks(slug: str) -> Page:
    with get_db().reading() as db_session:
        survey, _questionnaire = load_survey(db_session, slug)
        progress = progress_of(db_session, survey)
    if progress is None or progress.response.status != "complete":
        return redirect(url_for("respond.welcome", slug=slug))
    return render(
        page(
            "respond/thanks.html",
            survey,
            progress.questionnaire,
            progress=progress,
            submitted_at=display.moment(progress.response.submitted_at, survey.timezone),
            resume_code=shown_code(slug, progress),
        )
    )


@bp.get("/s/<slug>/end")
def screened_out(slug: str) -> Page:
    with get_db().reading() as db_session:
        survey, _questionnaire = load_survey(db_session, slug)
        progress = progress_of(db_session, survey)
    if progress is None or progress.response.status != "screened_out":
        return redirect(url_for("respond.welcome", slug=slug))
    message = display.screen_out_message(
        progress.questionnaire, progress.answers, current_time().date()
    )
    return render(
        page(
            "respond/screened_out.html",
            survey,
            progress.questionnaire,
            progress=progress,
            message=message,
        )
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
        survey, questionnaire = load_survey(db_session, slug)
        if code is None:
            error = _("Enter the 12-character resume code you were given, like K7QF-3MZP-9XWA.")
            return render(
                welcome_page(survey, questionnaire, None, {"code": error}, 400, entered[:40])
            )
        if request.method == "GET":
            return redirect(url_for("respond.resume", slug=slug, code=code))
        found = find_progress(db_session, survey, code, resume_key())
        if found is None:
            outcome = welcome_page(
                survey, questionnaire, None, {"code": _not_found()}, 404, entered[:40]
            )
        else:
            remember_code(survey, code)
            outcome = redirect(where_to_continue(survey, found))
    return render(outcome)


@bp.route("/s/<slug>/resume/<code>", methods=["GET", "POST"])
@limiter.limit(RESUME_LIMIT)
def resume(slug: str, code: str) -> Page:
    """A resume link. Following it changes nothing: the page shows how far those answers are
    and a "Continue" button (a form); only that button puts this browser on them. A browser
    answering another response keeps it until the person chooses."""
    with get_db().reading() as db_session:
        outcome = _resume(db_session, slug, code)
    return render(outcome)


def _resume(db_session: Session, slug: str, code: str) -> Outcome:
    survey, questionnaire = load_survey(db_session, slug)
    normalized = resume_codes.normalize(code)
    linked = find_progress(db_session, survey, normalized, resume_key()) if normalized else None
    if normalized is None or linked is None:
        return welcome_page(survey, questionnaire, None, {"code": _not_found()}, 404, code[:40])
    if request.method == "POST" or saved_code(slug) == normalized:
        remember_code(survey, normalized)
        return redirect(where_to_continue(survey, linked))
    current = progress_of(db_session, survey)
    today = current_time().date()
    applicable = flow.applicable_sections(linked.questionnaire, linked.answers, today)
    g.languages = linked.questionnaire.languages
    return page(
        "respond/resume.html",
        survey,
        linked.questionnaire,
        linked=linked,
        completed=sum(1 for item in applicable if item.id in linked.completed),
        applicable=len(applicable),
        started=display.moment(linked.response.started_at, survey.timezone),
        submitted=display.moment(linked.response.submitted_at, survey.timezone),
        current_url=where_to_continue(survey, current) if current else None,
    )


@bp.post("/s/<slug>/forget")
def forget_device(slug: str) -> Page:
    """Remove the resume code from this browser (a shared phone); the answers stay saved."""
    with get_db().reading() as db_session:
        survey, questionnaire = load_survey(db_session, slug)
    forget(session, slug)
    return render(page("respond/forgotten.html", survey, questionnaire))


@bp.route("/s/<slug>/withdraw", methods=["GET", "POST"])
@limiter.limit(RESUME_LIMIT, methods=["POST"])
def withdraw_answers(slug: str) -> Page:
    """Delete my answers: needs the resume code and a tick to confirm (the form: a read-only
    GET; the deletion: one write)."""
    unit_of_work = get_db().writing if request.method == "POST" else get_db().reading
    with unit_of_work() as db_session:
        outcome = _withdraw(db_session, slug)
    return render(outcome)


def _withdraw(db_session: Session, slug: str) -> Outcome:
    survey, questionnaire = load_survey(db_session, slug)
    errors: dict[str, str] = {}
    entered = request.form.get("code", shown_code(slug, progress_of(db_session, survey)) or "")
    entered = entered[:40]
    if request.method == "POST":
        code = resume_codes.normalize(entered)
        response = find_by_code(db_session, survey, code, resume_key()) if code else None
        if response is None:
            errors["code"] = _not_found()
        if request.form.get("confirm") != "yes":
            errors["confirm"] = _("Tick the box to confirm that your answers are deleted.")
        if response is not None and not errors:
            withdraw(db_session, response, now=current_time(), by="respondent")
            if saved_code(slug) == code:
                forget(session, slug)
            return page("respond/withdrawn.html", survey, questionnaire)
    return page(
        "respond/withdraw.html",
        survey,
        questionnaire,
        400 if errors else 200,
        errors=errors,
        entered=entered,
        anchors={"code": "f-code", "confirm": "f-confirm"},
    )
