"""The list of surveys and each survey's dashboard. A partner's counts and figures are those
of its own channels only, and each of its views of a dashboard is audited."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from survey import current_time, get_db, stats
from survey.admin import charts
from survey.admin.auth import signed_in_required
from survey.admin.blueprint import audit_partner_view, bp, my_channels, survey_or_404, survey_page
from survey.deadline_rules import state_at
from survey.questionnaire import quality
from survey.questionnaire_store import all_surveys, latest_version, questionnaire_of, schedule_of
from survey.rendering import Page, render
from survey.respond.display import moment


@bp.get("/")
@signed_in_required
def home() -> Page:
    return redirect(url_for("admin.surveys"))


@bp.get("/surveys")
@signed_in_required
def surveys() -> Page:
    now = current_time()
    with get_db().reading() as db_session:
        channels = my_channels(db_session)
        counts = stats.status_counts(db_session, channels)
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
    # Its counts are figures of the partner's channels: recorded as a dashboard is.
    audit_partner_view(None, channels, "surveys")
    return render_template("admin/surveys.html", rows=rows, channels=channels)


@bp.get("/surveys/<slug>")
@signed_in_required
def dashboard(slug: str) -> Page:
    with get_db().reading() as db_session:
        survey = survey_or_404(db_session, slug)
        version = latest_version(db_session, survey)
        questionnaire = questionnaire_of(version) if version is not None else None
        # The questionnaire's labels (choices, countries, sections, questions) in any of its
        # languages; the console itself stays in English.
        languages = questionnaire.languages if questionnaire is not None else ("en",)
        asked = request.args.get("labels")
        labels = asked if asked in languages else languages[0]
        channels = my_channels(db_session)
        figures = stats.dashboard(
            db_session,
            survey,
            questionnaire,
            language=labels,
            no_channel=_("(none)"),
            channels=channels,
        )
    # Shown only once recorded: which partner read which survey's figures, of which channels.
    audit_partner_view(survey, channels, "dashboard")
    return render(
        survey_page(
            "admin/dashboard.html",
            survey,
            label_languages=languages,
            labels=labels,
            figures=figures,
            channels=channels,
            charts=charts.dashboard_charts(figures),
            number=charts.number,
            percent=charts.percent,
            duration=charts.duration,
            min_complete=quality.MIN_COMPLETE_TO_JUDGE,
            min_rows=quality.MIN_GRID_ROWS,
        )
    )
