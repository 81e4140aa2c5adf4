"""The dashboard as a test reads it (its figures, tables and charts), a data set written
straight into the database, and the same figures counted row by row."""

from __future__ import annotations

import html
import re
import secrets
import statistics
from collections import Counter
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from survey.admin import charts
from survey.models import Answer, QuestionnaireVersion, SectionProgress, Survey, SurveyResponse
from survey.questionnaire_store import find_survey, latest_version
from tests.respondent import shipped_questionnaire

SLUG = "we-own-it"
PAGE = f"/admin/surveys/{SLUG}"
SECTIONS = [
    ("about_you", "About you"),
    ("involvement", "You and cooperatives"),
    ("cooperative", "Your cooperative"),
    ("starting", "Starting and running a cooperative"),
    ("participation", "Participation and governance"),
    ("future", "The future of work"),
    ("contact", "Stay in touch"),
]
LANGUAGE_LABELS = {"en": "English (en)", "fr": "French (fr)", "es": "Spanish (es)"}
COOP_LABELS = [
    "Worker cooperative",
    "Social cooperative",
    "Producers' or freelancers' cooperative",
    "Multi-stakeholder cooperative",
    "Platform cooperative",
    "Another or new emerging form",
]


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, second, tzinfo=UTC)


# -- reading the page --------------------------------------------------------------------------


def plain(text: str) -> str:
    """Figures keep a number and its unit together with no-break spaces; compare them as spaces."""
    return text.replace("\u00a0", " ")


def _clean(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


class Page:
    """The dashboard as its figures: headline, tables (rows of cell texts) and charts."""

    def __init__(self, markup: str):
        self.markup = markup

    def figure(self, name: str) -> str:
        match = re.search(rf'id="figure-{name}"><dt>[^<]*</dt><dd>([^<]*)</dd>', self.markup)
        assert match, f"no figure {name}"
        return plain(html.unescape(match.group(1)))

    def headline(self) -> dict[str, str]:
        names = ["started", "completed", "partial", "screened-out", "completion-rate"]
        return {name: self.figure(name) for name in [*names, "median-time"]}

    def table(self, table_id: str) -> list[list[str]]:
        match = re.search(rf'<table class="table" id="{table_id}">(.*?)</table>', self.markup, re.S)
        assert match, f"no table {table_id}"
        assert "<caption" in match.group(1)
        body = re.search(r"<tbody>(.*?)</tbody>", match.group(1), re.S)
        assert body
        return [
            [_clean(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
        ]

    def counts(self, table_id: str) -> list[tuple[str, int]]:
        return [(label, int(value.replace(",", ""))) for label, value in self.table(table_id)]

    def chart(self, chart_id: str) -> list[tuple[str, str, int]]:
        """(label, series, value) of every bar of the chart."""
        match = re.search(rf'<svg [^>]*id="{chart_id}"[^>]*>(.*?)</svg>', self.markup, re.S)
        assert match, f"no chart {chart_id}"
        return [
            (html.unescape(label), html.unescape(series or ""), int(value))
            for label, series, value in re.findall(
                r'<g class="bar" data-label="([^"]*)"(?: data-series="([^"]*)")? '
                r'data-value="(\d+)">',
                match.group(1),
            )
        ]

    def figures(self) -> dict[str, Any]:
        return {
            "headline": self.headline(),
            "per_day": self.counts("table-per-day"),
            "country": self.counts("table-by-country"),
            "coop_type": self.counts("table-breakdown-coop_type"),
            "channel": self.counts("table-by-channel"),
            "language": self.counts("table-by-language"),
            "drop_off": [
                (title, int(reached), int(finished))
                for title, reached, finished in self.table("table-drop-off")
            ],
        }


def dashboard(client, query: str = "") -> Page:
    response = client.get(PAGE + query)
    assert response.status_code == 200
    return Page(response.get_data(as_text=True))


# -- writing a data set directly -----------------------------------------------------------------


def survey_ids(app: Flask, slug: str = SLUG) -> tuple[int, int]:
    with app.extensions["survey_db"].reading() as session:
        survey = find_survey(session, slug)
        assert survey is not None
        version = latest_version(session, survey)
        assert version is not None
        return survey.id, version.id


def add_other_survey(app: Flask) -> tuple[int, int]:
    """A second survey whose responses must never count on the first one's dashboard."""
    with app.extensions["survey_db"].writing() as session:
        survey = Survey(slug="other", default_language="en", timezone="UTC")
        session.add(survey)
        session.flush()
        version = QuestionnaireVersion(
            survey_id=survey.id, version=1, fingerprint="x", source="", source_name="x.yaml"
        )
        session.add(version)
        session.flush()
        return survey.id, version.id


def add_response(
    session,
    ids: tuple[int, int],
    *,
    status: str = "in_progress",
    started: datetime,
    seconds: int | None = None,
    channel: str | None = None,
    language: str = "en",
    answers: dict[str, Any] | None = None,
    reached: list[str] = (),  # type: ignore[assignment]
    finished: list[str] = (),  # type: ignore[assignment]
) -> None:
    survey_id, version_id = ids
    response_id = secrets.token_hex(16)
    submitted = started + timedelta(seconds=seconds) if status == "complete" else None
    session.add(
        SurveyResponse(
            id=response_id,
            survey_id=survey_id,
            questionnaire_version_id=version_id,
            resume_code_hash=secrets.token_hex(32),
            status=status,
            language=language,
            channel=channel,
            consent_version="2027-1",
            started_at=started,
            updated_at=submitted or started,
            submitted_at=submitted,
        )
    )
    session.flush()
    for question_id, value in (answers or {}).items():
        session.add(
            Answer(response_id=response_id, question_id=question_id, section_id="x", value=value)
        )
    for section_id in reached:
        session.add(
            SectionProgress(
                response_id=response_id,
                section_id=section_id,
                reached_at=started,
                completed_at=started if section_id in finished else None,
            )
        )
    session.flush()


# A member of a cooperative goes through every section of the shipped questionnaire.
MEMBER_PATH = [section.id for section in shipped_questionnaire().sections]
NOT_INVOLVED_PATH = ["about_you", "involvement", "future", "contact"]


def naive_figures(app: Flask, channels: Collection[str] | None = None) -> dict[str, Any]:
    """The same figures counted the slow, obvious way from every row of the survey (of those
    that came through `channels` only, if given)."""
    survey_id, _ = survey_ids(app)
    with app.extensions["survey_db"].reading() as session:
        rows = list(
            session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey_id))
        )
        if channels is not None:
            rows = [row for row in rows if row.channel in channels]
        answers = {
            (answer.response_id, answer.question_id): answer.value
            for answer in session.scalars(select(Answer))
        }
        progress = list(session.scalars(select(SectionProgress)))
    ours = {row.id for row in rows}
    statuses = Counter(row.status for row in rows)
    durations = [
        (row.submitted_at - row.started_at).total_seconds()
        for row in rows
        if row.status == "complete" and row.submitted_at
    ]
    eligible = len(rows) - statuses["screened_out"]
    days = Counter(row.started_at.date() for row in rows)
    first, last = min(days), max(days)
    countries = Counter(
        value for (rid, qid), value in answers.items() if qid == "country" and rid in ours
    )
    coop = Counter(
        value for (rid, qid), value in answers.items() if qid == "coop_type" and rid in ours
    )
    by_channel = Counter(row.channel or "(none)" for row in rows)
    languages = Counter(row.language for row in rows)
    reached = Counter(item.section_id for item in progress if item.response_id in ours)
    finished = Counter(
        item.section_id for item in progress if item.response_id in ours and item.completed_at
    )
    names = {"FR": "France", "AR": "Argentina", "KE": "Kenya", "JP": "Japan", "BR": "Brazil"}
    codes = ["worker", "social", "producers", "multistakeholder", "platform", "other_new"]
    return {
        "headline": {
            "started": charts.number(len(rows)),
            "completed": charts.number(statuses["complete"]),
            "partial": charts.number(statuses["in_progress"]),
            "screened-out": charts.number(statuses["screened_out"]),
            "completion-rate": plain(charts.percent(statuses["complete"] / eligible)),
            "median-time": plain(charts.duration(statistics.median(durations))),
        },
        "per_day": [
            ((first + timedelta(days=n)).isoformat(), days[first + timedelta(days=n)])
            for n in range((last - first).days + 1)
        ],
        "country": sorted(
            ((names[code], number) for code, number in countries.items()),
            key=lambda item: (-item[1], item[0]),
        ),
        "coop_type": [(label, coop[code]) for label, code in zip(COOP_LABELS, codes, strict=True)],
        "channel": sorted(
            by_channel.items(), key=lambda item: (-item[1], item[0] == "(none)", item[0])
        ),
        "language": sorted(
            ((LANGUAGE_LABELS[code], number) for code, number in languages.items()),
            key=lambda item: (-item[1], item[0]),
        ),
        "drop_off": [(title, reached[sid], finished[sid]) for sid, title in SECTIONS],
    }
