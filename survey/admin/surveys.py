"""The list of surveys and each survey's dashboard."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey import current_time, get_db, stats
from survey.admin import charts
from survey.admin.auth import staff_required
from survey.admin.blueprint import bp, survey_or_404, survey_page
from survey.deadline_rules import state_at
from survey.models import SurveyResponse
from survey.questionnaire_store import all_surveys, latest_version, questionnaire_of, schedule_of
from survey.rendering import Page, render
from survey.respond.display import moment


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
        select(SurveyResponse.survey_id, SurveyResponse.status, func.count()).group_by(
            SurveyResponse.survey_id, SurveyResponse.status
        )
    ):
        counts.setdefault(survey_id, {})[status] = number
    return counts


@bp.get("/surveys/<slug>")
@staff_required
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
        figures = stats.dashboard(
            db_session, survey, questionnaire, language=labels, no_channel=_("(none)")
        )
    return render(
        survey_page(
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
    )
