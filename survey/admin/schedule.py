"""A survey's schedule: setting it, closing now and reopening (admins only, audited).

A GET shows the form from a read-only session; a POST changes the schedule in one write that
holds the survey's row lock, so a respondent's save decides against the new deadline or the
old one, never half of each.
"""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from wtforms import Field

from survey import current_time, get_db, schedule_changes
from survey.admin.auth import admin_required
from survey.admin.blueprint import bp, me, sentence, survey_or_404, survey_page
from survey.admin.forms import CloseForm, ReopenForm, ScheduleForm
from survey.deadline_rules import to_local
from survey.models import Survey
from survey.rendering import Outcome, Page, render


def _local_input(value: datetime | None, timezone: str) -> str:
    """A stored UTC time as the admin types it: wall-clock time in the survey's zone, with the
    UTC offset only where the wall-clock time alone is ambiguous (the hour repeated in autumn)."""
    if value is None:
        return ""
    local = to_local(value, timezone)
    wall_clock = local.strftime("%Y-%m-%dT%H:%M")
    try:
        schedule_changes.parse_time(wall_clock, timezone)
    except schedule_changes.ScheduleError:
        return local.isoformat(timespec="minutes")
    return wall_clock


def _optional_time(text: str | None, timezone: str) -> datetime | None:
    return schedule_changes.parse_time(text, timezone) if text and text.strip() else None


def _field_time(field: Field, timezone: str) -> datetime | None:
    """The time typed in `field` (None: left empty, or not a time: then the field says why,
    beside it and in the summary, as every other field's problem)."""
    try:
        return _optional_time(field.data, timezone)
    except schedule_changes.ScheduleError as problem:
        field.errors = [*field.errors, sentence(problem)]
        return None


def _tell_saved(changed: bool, message: str) -> None:
    """Flash `message` for a change made, or that a save changed nothing (and audited nothing)."""
    flash(message if changed else _("Nothing changed: the schedule was already this one."))


def _locked_survey(db_session: Session, slug: str) -> Survey:
    """The survey, its row locked for a change (POST); only read for a GET."""
    return survey_or_404(db_session, slug, lock="update" if request.method == "POST" else None)


@bp.route("/surveys/<slug>/schedule", methods=["GET", "POST"])
@admin_required
def schedule(slug: str) -> Page:
    with get_db().transaction(write=request.method == "POST") as db_session:
        outcome = _schedule(db_session, slug)
    return render(outcome)


def _schedule(db_session: Session, slug: str) -> Outcome:
    survey = _locked_survey(db_session, slug)
    form = ScheduleForm(
        data={
            "opens_at": _local_input(survey.opens_at, survey.timezone),
            "closes_at": _local_input(survey.closes_at, survey.timezone),
            "timezone": survey.timezone,
            "grace_minutes": survey.grace_minutes,
            "contact": survey.contact or "",
        }
        if request.method == "GET"
        else None
    )
    error = None
    if form.validate_on_submit():
        timezone = form.timezone.data or survey.timezone
        # Both times read, so that both are told at once when both are wrong.
        opens_at = _field_time(form.opens_at, timezone)
        closes_at = _field_time(form.closes_at, timezone)
        if not form.errors:
            try:
                changed = schedule_changes.update_schedule(
                    db_session,
                    survey,
                    actor=me(db_session),
                    now=current_time(),
                    opens_at=opens_at,
                    closes_at=closes_at,
                    timezone=timezone,
                    grace_minutes=form.grace_minutes.data or 0,
                    contact=form.contact.data,
                )
            except schedule_changes.ScheduleError as problem:
                error = sentence(problem)
            else:
                _tell_saved(changed, _("The schedule was saved."))
                return redirect(url_for("admin.schedule", slug=slug))
    return survey_page(
        "admin/schedule.html",
        survey,
        200 if error is None and not form.errors else 400,
        form=form,
        error=error,
        close_form=CloseForm(),
        reopen_form=ReopenForm(),
    )


@bp.route("/surveys/<slug>/close", methods=["GET", "POST"])
@admin_required
def close(slug: str) -> Page:
    form = CloseForm()
    with get_db().transaction(write=request.method == "POST") as db_session:
        survey = _locked_survey(db_session, slug)
        if not form.validate_on_submit():
            outcome: Outcome = survey_page("admin/close.html", survey, form=form)
        else:
            try:
                schedule_changes.close_now(
                    db_session, survey, actor=me(db_session), now=current_time()
                )
            except schedule_changes.ScheduleError as problem:
                flash(sentence(problem))
            else:
                flash(_("%(slug)s is closed: no new responses are accepted.", slug=survey.slug))
            outcome = redirect(url_for("admin.schedule", slug=slug))
    return render(outcome)


@bp.route("/surveys/<slug>/reopen", methods=["GET", "POST"])
@admin_required
def reopen(slug: str) -> Page:
    with get_db().transaction(write=request.method == "POST") as db_session:
        outcome = _reopen(db_session, slug)
    return render(outcome)


def _reopen(db_session: Session, slug: str) -> Outcome:
    form = ReopenForm()
    survey = _locked_survey(db_session, slug)
    if form.validate_on_submit():
        try:
            changed = schedule_changes.reopen(
                db_session,
                survey,
                actor=me(db_session),
                now=current_time(),
                closes_at=schedule_changes.parse_time(form.closes_at.data or "", survey.timezone),
            )
        except schedule_changes.ScheduleError as problem:
            # The one time asked for: what is wrong with it is said beside it.
            form.closes_at.errors = [*form.closes_at.errors, sentence(problem)]
        else:
            _tell_saved(
                changed, _("%(slug)s is open until the new closing time.", slug=survey.slug)
            )
            return redirect(url_for("admin.schedule", slug=slug))
    status = 400 if form.errors else 200
    return survey_page("admin/reopen.html", survey, status, form=form)
