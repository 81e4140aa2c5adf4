"""Admin console pages. Each view translates HTTP into one call of accounts/deadlines/stats."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as HTTPResponse

from survey import accounts, audit, current_time, deadlines, get_db
from survey.admin.auth import (
    admin_required,
    end_other_sessions,
    end_session,
    open_session,
    staff_required,
)
from survey.admin.forms import (
    ROLE_NAMES,
    CloseForm,
    DeleteExportForm,
    ExportForm,
    PasswordForm,
    ReopenForm,
    ScheduleForm,
    SignInForm,
    SignOutForm,
    UserForm,
    UserUpdateForm,
)
from survey.catalog import all_surveys, find_survey, latest_version, questionnaire_of, schedule_of
from survey.extensions import limiter
from survey.models import ExportJob, Response, Survey, User
from survey.respond.display import moment
from survey.schedule import state_at, to_local

if TYPE_CHECKING:
    from survey.export.source import ExportOptions

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

# Every sign-in attempt, per address.
SIGN_IN_LIMIT = "10 per minute;100 per hour"
# Failed attempts only: per email and address (someone guessing one account's password), and
# per address (one address trying many accounts). Past each limit the wait grows with the
# window (a minute, a quarter of an hour, a day). Failures from one address never slow the
# same account from another address: the right person is never locked out.
FAILED_PER_ACCOUNT = "5 per minute;10 per 15 minutes;30 per day"
FAILED_PER_ADDRESS = "20 per 15 minutes;100 per day"
AUDIT_PAGE_SIZE = 100

Page = str | tuple[str, int] | HTTPResponse

STATE_LABELS = {
    "not_yet_open": _l("Not yet open"),
    "open": _l("Open"),
    "grace": _l("Closing (grace period)"),
    "closed": _l("Closed"),
}


@bp.before_request
def _admin_pages_are_english() -> None:
    g.languages = ("en",)


@bp.context_processor
def _admin_context() -> dict[str, Any]:
    # formdata=None: rendering (an error page too) must never read the request body.
    return {
        "sign_out_form": SignOutForm(formdata=None),
        "state_labels": STATE_LABELS,
        "role_names": ROLE_NAMES,
    }


def _me(db_session: Session) -> User:
    user = db_session.get(User, current_user.user_id)
    if user is None:
        abort(403)
    return user


def _survey_or_404(db_session: Session, slug: str, lock: str | None = None) -> Survey:
    survey = find_survey(db_session, slug, lock=lock)
    if survey is None:
        abort(404)
    return survey


def _local_input(value: datetime | None, timezone: str) -> str:
    """A stored UTC time as the admin types it: wall-clock time in the survey's zone, with the
    UTC offset only where the wall-clock time alone is ambiguous (the hour repeated in autumn)."""
    if value is None:
        return ""
    local = to_local(value, timezone)
    wall_clock = local.strftime("%Y-%m-%dT%H:%M")
    try:
        deadlines.parse_time(wall_clock, timezone)
    except deadlines.ScheduleError:
        return local.isoformat(timespec="minutes")
    return wall_clock


def _sentence(problem: Exception) -> str:
    """A domain error's reason as a sentence (keeping names such as Europe/Brussels intact)."""
    message = str(problem)
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _safe_next(target: str | None) -> str:
    """`next=` if it is a plain path of this console (no other host, no control characters,
    no backslash a browser would read as a slash), else the surveys page."""
    if (
        target
        and target.startswith("/admin")
        and target.isprintable()
        and "\\" not in target
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("admin.surveys")


# -- signing in --------------------------------------------------------------------------------


def _email_and_address() -> str:
    """The limiter's key for one account from one address (the email hashed: the limiter's
    storage, Redis say, holds no address book)."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"{hashlib.sha256(email.encode()).hexdigest()[:32]}|{get_remote_address()}"


def _failed(response: HTTPResponse) -> bool:
    return response.status_code == 401


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"], scope="sign-in")
@limiter.limit(
    FAILED_PER_ACCOUNT,
    methods=["POST"],
    key_func=_email_and_address,
    deduct_when=_failed,
    scope="sign-in-failed-account",
)
@limiter.limit(
    FAILED_PER_ADDRESS, methods=["POST"], deduct_when=_failed, scope="sign-in-failed-address"
)
def sign_in() -> Page:
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        with get_db().writing() as db_session:
            now = current_time()
            user = accounts.authenticate(
                db_session, form.email.data or "", form.password.data or "", now
            )
            if user is None:
                error = _("The email or the password is not right.")
                account = None
            else:
                account = open_session(db_session, user, now)
        if account is not None:
            next_page = _safe_next(request.args.get("next"))
            session.clear()  # a fresh session at every sign-in
            login_user(account)
            return redirect(next_page)
    status = 200 if error is None else 401
    return render_template("admin/sign_in.html", form=form, error=error), status


@bp.errorhandler(429)
def _too_many(error: Any) -> Page:
    """Past a sign-in limit: the sign-in page says so (with the wait in Retry-After)."""
    message = _(
        "Too many failed sign-ins from this address. Wait a few minutes and try again; "
        "signing in from another network is not affected."
    )
    if request.endpoint != "admin.sign_in":
        message = _("Too many attempts. Wait a minute and try again.")
        return render_template("error.html", code=429, message=message), 429
    return render_template("admin/sign_in.html", form=SignInForm(), error=message), 429


def _end_session() -> None:
    if current_user.is_authenticated:
        with get_db().writing() as db_session:
            end_session(db_session, current_user.token)
    logout_user()
    session.clear()


@bp.post("/sign-out")
def sign_out() -> Page:
    if SignOutForm().validate_on_submit():
        _end_session()
        flash(_("You are signed out."))
    return redirect(url_for("admin.sign_in"))


@bp.post("/sign-out-everywhere")
@staff_required
def sign_out_everywhere() -> Page:
    if not SignOutForm().validate_on_submit():
        abort(400)
    with get_db().writing() as db_session:
        ended = end_other_sessions(db_session, current_user.user_id)
        audit.record(
            db_session,
            actor=_me(db_session),
            action="sign_out.everywhere",
            at=current_time(),
            target=current_user.email,
            after={"sessions_ended": ended},
        )
    _end_session()
    flash(_("You are signed out on every device."))
    return redirect(url_for("admin.sign_in"))


@bp.route("/password", methods=["GET", "POST"])
@staff_required
def password() -> Page:
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        with get_db().writing() as db_session:
            user = _me(db_session)
            try:
                accounts.change_password(
                    db_session,
                    user,
                    current=form.current.data or "",
                    new=form.new.data or "",
                    now=current_time(),
                )
            except accounts.AccountError as problem:
                error = _sentence(problem)
            else:
                # Every other sign-in of this account ends; this one goes on.
                end_other_sessions(db_session, user.id, keep=current_user.token)
        if error is None:
            flash(_("Your password was changed. You are signed out on your other devices."))
            return redirect(url_for("admin.surveys"))
    return render_template("admin/password.html", form=form, error=error)


# -- surveys -----------------------------------------------------------------------------------


@bp.get("/")
@staff_required
def home() -> Page:
    return redirect(url_for("admin.surveys"))


@bp.get("/surveys")
@staff_required
def surveys() -> Page:
    now = current_time()
    with get_db().reading() as db_session:
        counts = _status_counts(db_session)
        rows = []
        for survey in all_surveys(db_session):
            version = latest_version(db_session, survey)
            schedule = schedule_of(survey)
            rows.append(
                {
                    "survey": survey,
                    "title": questionnaire_of(version).name if version else {},
                    "version": version.version if version else None,
                    "state": state_at(schedule, now).value,
                    "closes": moment(schedule.closes_at, schedule.timezone),
                    "counts": counts.get(survey.id, {}),
                }
            )
    return render_template("admin/surveys.html", rows=rows)


def _status_counts(db_session: Session) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    for survey_id, status, number in db_session.execute(
        select(Response.survey_id, Response.status, func.count()).group_by(
            Response.survey_id, Response.status
        )
    ):
        counts.setdefault(survey_id, {})[status] = number
    return counts


def _survey_page(template: str, survey: Survey, **context: Any) -> str:
    now = current_time()
    schedule = schedule_of(survey)
    return render_template(
        template,
        survey=survey,
        state=state_at(schedule, now).value,
        opens=moment(schedule.opens_at, schedule.timezone),
        closes=moment(schedule.closes_at, schedule.timezone),
        grace_ends=moment(schedule.grace_ends_at, schedule.timezone),
        **context,
    )


@bp.get("/surveys/<slug>")
@staff_required
def dashboard(slug: str) -> Page:
    from survey import stats
    from survey.admin import charts

    with get_db().reading() as db_session:
        survey = _survey_or_404(db_session, slug)
        version = latest_version(db_session, survey)
        questionnaire = questionnaire_of(version) if version is not None else None
        # The questionnaire's labels (choices, countries, sections) in any of its languages;
        # the console itself stays in English.
        languages = questionnaire.languages if questionnaire is not None else ("en",)
        asked = request.args.get("labels")
        labels = asked if asked in languages else languages[0]
        figures = stats.dashboard(
            db_session, survey, questionnaire, language=labels, no_channel=_("(none)")
        )
        return _survey_page(
            "admin/dashboard.html",
            survey,
            label_languages=languages,
            labels=labels,
            figures=figures,
            charts=charts.dashboard_charts(figures),
            number=charts.number,
            percent=charts.percent,
            duration=charts.duration,
        )


@bp.route("/surveys/<slug>/schedule", methods=["GET", "POST"])
@admin_required
def schedule(slug: str) -> Page:
    with get_db().writing() as db_session:
        survey = _survey_or_404(db_session, slug, lock="update")
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
            try:
                deadlines.update_schedule(
                    db_session,
                    survey,
                    actor=_me(db_session),
                    now=current_time(),
                    opens_at=_optional_time(form.opens_at.data, timezone),
                    closes_at=_optional_time(form.closes_at.data, timezone),
                    timezone=timezone,
                    grace_minutes=form.grace_minutes.data or 0,
                    contact=form.contact.data,
                )
            except deadlines.ScheduleError as problem:
                error = _sentence(problem)
            else:
                flash(_("The schedule was saved."))
                return redirect(url_for("admin.schedule", slug=slug))
        status = 200 if error is None and not form.errors else 400
        return _survey_page(
            "admin/schedule.html",
            survey,
            form=form,
            error=error,
            close_form=CloseForm(),
            reopen_form=ReopenForm(),
        ), status


def _optional_time(text: str | None, timezone: str) -> datetime | None:
    return deadlines.parse_time(text, timezone) if text and text.strip() else None


@bp.route("/surveys/<slug>/close", methods=["GET", "POST"])
@admin_required
def close(slug: str) -> Page:
    form = CloseForm()
    with get_db().writing() as db_session:
        survey = _survey_or_404(db_session, slug, lock="update")
        if form.validate_on_submit():
            try:
                deadlines.close_now(db_session, survey, actor=_me(db_session), now=current_time())
            except deadlines.ScheduleError as problem:
                flash(_sentence(problem))
            else:
                flash(_("%(slug)s is closed: no new responses are accepted.", slug=survey.slug))
            return redirect(url_for("admin.schedule", slug=slug))
        return _survey_page("admin/close.html", survey, form=form)


@bp.route("/surveys/<slug>/reopen", methods=["GET", "POST"])
@admin_required
def reopen(slug: str) -> Page:
    form = ReopenForm()
    error = None
    with get_db().writing() as db_session:
        survey = _survey_or_404(db_session, slug, lock="update")
        if form.validate_on_submit():
            try:
                deadlines.reopen(
                    db_session,
                    survey,
                    actor=_me(db_session),
                    now=current_time(),
                    closes_at=deadlines.parse_time(form.closes_at.data or "", survey.timezone),
                )
            except deadlines.ScheduleError as problem:
                error = _sentence(problem)
            else:
                flash(_("%(slug)s is open until the new closing time.", slug=survey.slug))
                return redirect(url_for("admin.schedule", slug=slug))
        status = 200 if error is None and not form.errors else 400
        return _survey_page("admin/reopen.html", survey, form=form, error=error), status


# -- accounts and audit ------------------------------------------------------------------------


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users() -> Page:
    form = UserForm()
    error = None
    created = None
    with get_db().writing() as db_session:
        if form.validate_on_submit():
            password_text = accounts.generate_password()
            try:
                user = accounts.create_user(
                    db_session,
                    email=form.email.data or "",
                    role=form.role.data or "researcher",
                    password=password_text,
                    actor=_me(db_session),
                    now=current_time(),
                )
            except accounts.AccountError as problem:
                error = _sentence(problem)
            else:
                created = (user.email, password_text)
                form = UserForm(formdata=None)
        people = accounts.all_users(db_session)
        forms = {
            person.id: UserUpdateForm(
                formdata=None, data={"role": person.role, "active": person.active}
            )
            for person in people
        }
        status = 200 if error is None and not form.errors else 400
        return render_template(
            "admin/users.html",
            form=form,
            people=people,
            forms=forms,
            error=error,
            created=created,
        ), status


@bp.post("/users/<int:user_id>")
@admin_required
def update_user(user_id: int) -> Page:
    form = UserUpdateForm()
    with get_db().writing() as db_session:
        user = db_session.get(User, user_id)
        if user is None:
            abort(404)
        if form.validate_on_submit():
            try:
                accounts.update_user(
                    db_session,
                    user,
                    role=form.role.data or user.role,
                    active=bool(form.active.data),
                    actor=_me(db_session),
                    now=current_time(),
                )
            except accounts.AccountError as problem:
                flash(_sentence(problem))
            else:
                flash(_("The account of %(email)s was saved.", email=user.email))
    return redirect(url_for("admin.users"))


@bp.get("/audit")
@admin_required
def audit_log() -> Page:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    with get_db().reading() as db_session:
        events = audit.recent(
            db_session, limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE
        )
        total = audit.count(db_session)
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    return render_template("admin/audit.html", events=events, page=page, pages=pages)


# -- exports -----------------------------------------------------------------------------------

EXPORT_STATE_LABELS = {
    "queued": _l("Waiting to start"),
    "running": _l("Running"),
    "done": _l("Done"),
    "failed": _l("Failed"),
}


def _exports_path() -> Any:
    return current_app.config["SURVEY_SETTINGS"].exports_path.resolve()


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
                "state": _("Stopped: its process has gone") if stale else state,
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
            since = deadlines.parse_time(form.since.data, survey.timezone)
        except deadlines.ScheduleError as problem:
            form.since.errors = [*form.since.errors, _sentence(problem)]
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
    )


def _start_export_process(job_id: str, now: datetime) -> None:
    """Start a committed job's process; a job whose process cannot start is marked failed."""
    from survey.export import jobs, worker

    try:
        worker.start_job_process(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
    except OSError as problem:
        current_app.logger.error("export job %s could not start: %s", job_id, problem)
        with get_db().writing() as db_session:
            jobs.fail_job(db_session, job_id, "the export process could not start", now)
        flash(_("The export could not start. Try again, or ask an admin to check the logs."))
    else:
        flash(_("The export has started. It goes on if you leave this page."))


@bp.route("/surveys/<slug>/exports", methods=["GET", "POST"])
@staff_required
def exports(slug: str) -> Page:
    from survey.export import jobs

    db = get_db()
    posted = request.method == "POST"
    now = current_time()
    job_id = None
    try:
        # A POST is one unit of work: the admission, the job and its audit, committed once.
        with db.writing() if posted else db.reading() as db_session:
            survey = _survey_or_404(db_session, slug)
            form = _export_form(db_session, survey)
            if posted and form.with_personal_data.data and not current_user.is_admin:
                abort(403)  # personal data is for admins only; the form never offers it
            options = _export_options(form, survey) if form.validate_on_submit() else None
            if options is not None:
                job_id = jobs.create_job(db_session, survey, options, _me(db_session), now)
            else:
                # Researchers see their own exports only (never who else exported what).
                mine = None if current_user.is_admin else current_user.user_id
                rows = _export_rows(jobs.jobs_of(db_session, survey, made_by=mine), now)
    except jobs.JobError as problem:
        flash(_sentence(problem))
        return redirect(url_for("admin.exports", slug=slug), 303)
    if job_id is not None:
        _start_export_process(job_id, now)
        return redirect(url_for("admin.exports", slug=slug), 303)
    return _survey_page(
        "admin/exports.html",
        survey,
        form=form,
        rows=rows,
        refresh=any(row["active"] for row in rows),
        delete_form=DeleteExportForm(formdata=None),
    ), 400 if form.errors else 200


@bp.get("/exports/<job_id>/download")
@staff_required
def export_download(job_id: str) -> Page:
    from survey.export.files import job_file

    with get_db().writing() as db_session:
        job = _job_or_404(db_session, job_id)
        if not _may_touch(job):
            abort(403)
        path = job_file(_exports_path(), job.file_name) if job.state == "done" else None
        if path is None or not path.is_file():
            abort(404)
        survey = db_session.get(Survey, job.survey_id)
        audit.record(
            db_session,
            actor=_me(db_session),
            action="export.download",
            at=current_time(),
            target=f"survey:{survey.slug if survey else job.survey_id}",
            after={"job": job.id, "file": job.file_name},
        )
    response = send_from_directory(_exports_path(), path.name, as_attachment=True)
    response.headers["Cache-Control"] = "private, no-store"
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
    from survey.export.files import remove

    form = DeleteExportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with get_db().writing() as db_session:  # one transaction: the row and its audit
            job = _job_or_404(db_session, job_id)
            if not _may_touch(job):
                abort(403)
            survey = db_session.get(Survey, job.survey_id)
            actor = _me(db_session)
            path = jobs.delete_job(db_session, _exports_path(), job_id, actor, current_time())
    except jobs.JobError as problem:
        flash(_sentence(problem))
    else:
        remove(path)  # once the row is gone for good
        flash(_("The export was deleted."))
    if survey is None:
        return redirect(url_for("admin.surveys"), 303)
    return redirect(url_for("admin.exports", slug=survey.slug), 303)
