"""Exports of a survey's responses: starting one (a background job), following, downloading
and deleting it. Researchers reach only their own, and never personal data."""

from __future__ import annotations

import mimetypes
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Response, abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import Session

from survey import audit, current_time, get_db, schedule_changes
from survey.admin.auth import staff_required
from survey.admin.blueprint import bp, me, sentence, survey_or_404, survey_page
from survey.admin.forms import DeleteExportForm, ExportForm
from survey.models import ExportJob, Survey
from survey.questionnaire_store import latest_version, questionnaire_of
from survey.rendering import Page, render

if TYPE_CHECKING:
    from survey.export.source import ExportOptions

EXPORT_STATE_LABELS = {
    "queued": _l("Waiting to start"),
    "running": _l("Running"),
    "done": _l("Done"),
    "failed": _l("Failed"),
}


def _may_touch(job: ExportJob) -> bool:
    """Admins reach every export; a researcher only their own, and never personal data."""
    if current_user.is_admin:
        return True
    if (job.options or {}).get("with_personal_data"):
        return False
    return job.created_by_id == current_user.user_id


def _job_or_404(db_session: Session, job_id: str) -> ExportJob:
    job = db_session.get(ExportJob, job_id) if len(job_id) <= 32 else None
    if job is None:
        abort(404)
    return job


def _size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return ngettext("%(num)s byte", "%(num)s bytes", size)
    if size < 1024 * 1024:
        kilobytes = f"{size / 1024:,.1f}"
        return _("%(size)s KB", size=kilobytes)
    megabytes = f"{size / 1024 / 1024:,.1f}"
    return _("%(size)s MB", size=megabytes)


def _stale_state(job: ExportJob) -> str:
    """What a job no worker has shown signs of for a while is waiting for."""
    if job.state == "queued":
        return _("Waiting: no export worker has taken it yet")
    return _("Stopped: its worker has gone; another worker takes it again")


def _export_rows(jobs: list[ExportJob], now: datetime) -> list[dict[str, Any]]:
    from survey.admin.forms import export_format_label
    from survey.export.jobs import is_stale, summary

    rows = []
    for job in jobs:
        stale = is_stale(job, now)
        fmt = job.options.get("format", "")
        state = EXPORT_STATE_LABELS.get(job.state, job.state)
        if job.rows_total is not None:
            done, total = f"{job.rows_done:,}", f"{job.rows_total:,}"
            progress = ngettext(
                "%(done)s of %(total)s row",
                "%(done)s of %(total)s rows",
                job.rows_total,
                done=done,
                total=total,
            )
        elif job.state in ("queued", "running"):
            progress = _("counting rows")
        else:
            progress = ""
        rows.append(
            {
                "job": job,
                "format": export_format_label(fmt),
                "summary": summary(job.options),
                "state": _stale_state(job) if stale else state,
                "active": job.state in ("queued", "running") and not stale,
                "progress": progress,
                "size": _size(job.size_bytes),
                "may_download": job.state == "done" and _may_touch(job),
                "may_delete": _may_touch(job) and (job.state in ("done", "failed") or stale),
            }
        )
    return rows


def _export_form(db_session: Session, survey: Survey) -> ExportForm:
    """The export form for the survey's newest questionnaire: its languages, and a country
    filter only when it has a country question."""
    version = latest_version(db_session, survey)
    questionnaire = questionnaire_of(version) if version else None
    languages = questionnaire.languages if questionnaire else (survey.default_language,)
    return ExportForm(
        languages=languages,
        country_filter=questionnaire is not None and questionnaire.country_question is not None,
        data={"language": languages[0], "values": "codes"},
    )


def _export_options(form: ExportForm, survey: Survey) -> ExportOptions | None:
    """The form's options as ExportOptions, or None with the problem beside its field."""
    from survey.export.source import ExportOptions

    since = None
    if form.since.data and form.since.data.strip():
        try:
            since = schedule_changes.parse_time(form.since.data, survey.timezone)
        except schedule_changes.ScheduleError as problem:
            form.since.errors = [*form.since.errors, sentence(problem)]
            return None
    return ExportOptions(
        format=form.format.data or "csv",
        labels=form.values.data == "labels",
        language=form.language.data or None,
        include_partial=bool(form.include_partial.data),
        include_screened_out=bool(form.include_screened_out.data),
        since=since,
        channel=(form.channel.data or "").strip() or None,
        country=form.country_code(),
        with_personal_data=bool(form.with_personal_data.data) and current_user.is_admin,
        leave_out_flagged=bool(form.leave_out_flagged.data),
    )


@bp.route("/surveys/<slug>/exports", methods=["GET", "POST"])
@staff_required
def exports(slug: str) -> Page:
    from survey.export import jobs

    db = get_db()
    posted = request.method == "POST"
    now = current_time()
    job_id = None
    rows: list[dict[str, Any]] = []
    try:
        # A POST is one unit of work: the admission, the job and its audit, committed once.
        with db.writing() if posted else db.reading() as db_session:
            survey = survey_or_404(db_session, slug)
            form = _export_form(db_session, survey)
            if posted and form.with_personal_data.data and not current_user.is_admin:
                abort(403)  # personal data is for admins only; the form never offers it
            options = _export_options(form, survey) if form.validate_on_submit() else None
            if options is not None:
                job_id = jobs.create_job(db_session, survey, options, me(db_session), now)
            else:
                # Researchers see their own exports only (never who else exported what).
                mine = None if current_user.is_admin else current_user.user_id
                rows = _export_rows(jobs.jobs_of(db_session, survey, made_by=mine), now)
    except jobs.JobError as problem:
        flash(sentence(problem))
        return redirect(url_for("admin.exports", slug=slug), 303)
    if job_id is not None:
        flash(_("The export has started. It goes on if you leave this page."))
        return redirect(url_for("admin.exports", slug=slug), 303)
    return render(
        survey_page(
            "admin/exports.html",
            survey,
            400 if form.errors else 200,
            form=form,
            rows=rows,
            refresh=any(row["active"] for row in rows),
            delete_form=DeleteExportForm(formdata=None),
        )
    )


@bp.get("/exports/<job_id>/download")
@staff_required
def export_download(job_id: str) -> Page:
    """A finished export's file, streamed from the database a piece at a time (whichever
    server wrote it)."""
    from survey.export import queue

    db = get_db()
    with db.writing() as db_session:
        job = _job_or_404(db_session, job_id)
        if not _may_touch(job):
            abort(403)
        pieces = queue.piece_count(db_session, job.id) if job.state == "done" else 0
        if not pieces or not job.file_name:
            abort(404)
        survey = db_session.get(Survey, job.survey_id)
        audit.record(
            db_session,
            actor=me(db_session),
            action="export.download",
            at=current_time(),
            target=f"survey:{survey.slug if survey else job.survey_id}",
            after={"job": job.id, "file": job.file_name},
        )
        name, size = job.file_name, job.size_bytes
    response = Response(
        queue.stream(db, job_id, pieces),
        mimetype=mimetypes.guess_type(name)[0] or "application/octet-stream",
    )
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers["Cache-Control"] = "private, no-store"
    if size is not None:
        response.content_length = size
    return response


@bp.get("/exports/<job_id>/progress")
@staff_required
def export_progress(job_id: str) -> Page:
    with get_db().reading() as db_session:
        job = _job_or_404(db_session, job_id)
        if not _may_touch(job):
            abort(403)
        return jsonify(state=job.state, rows_done=job.rows_done, rows_total=job.rows_total)


@bp.post("/exports/<job_id>/delete")
@staff_required
def export_delete(job_id: str) -> Page:
    from survey.export import jobs

    form = DeleteExportForm()
    if not form.validate_on_submit():
        abort(400)
    slug = None
    try:
        with get_db().writing() as db_session:  # one transaction: the row and its audit
            job = _job_or_404(db_session, job_id)
            if not _may_touch(job):
                abort(403)
            survey = db_session.get(Survey, job.survey_id)
            slug = survey.slug if survey else None  # read now: a refusal rolls back
            jobs.delete_job(db_session, job_id, me(db_session), current_time())
    except jobs.JobError as problem:
        flash(sentence(problem))
    else:
        flash(_("The export was deleted."))
    if slug is None:
        return redirect(url_for("admin.surveys"), 303)
    return redirect(url_for("admin.exports", slug=slug), 303)
