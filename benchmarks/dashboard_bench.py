"""How fast is the dashboard with many responses? SQL aggregates against a naive Python count.

    .venv/bin/python benchmarks/dashboard_bench.py [--rows 100000] [--database-url URL]
                                                   [--channel TAG]...

Fills a fresh database (a temporary SQLite file by default; any empty database given by
--database-url, e.g. a throwaway PostgreSQL one) with synthetic responses by bulk inserts,
then times:
  * stats.dashboard (the aggregate queries), best and median of several runs, as the shipped
    questionnaire asks for them and with a multiple choice breakdown (situation) added;
  * a full GET of the dashboard page through the test client, signed in as a researcher;
  * the naive way, as a baseline: every response, answer and section row loaded into Python
    and counted in loops;
and prints the figures and the ratio naive / SQL. Both ways must agree on every number.
With --channel, the same for a partner's dashboard, limited to those channels (of CHANNELS:
newsletter, facebook, union, cicopa-site, whatsapp; each about a seventh of the responses).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from survey import accounts, create_app, stats  # noqa: E402
from survey.cli import migrate  # noqa: E402
from survey.models import Answer, SectionProgress, SurveyResponse  # noqa: E402
from survey.questionnaire_store import (  # noqa: E402
    find_survey,
    latest_version,
    load_questionnaire,
    questionnaire_of,
)
from survey.settings import PROJECT_ROOT, Settings  # noqa: E402

SLUG = "we-own-it"
QUESTIONNAIRE = PROJECT_ROOT / "questionnaires" / "we-own-it.yaml"
EMAIL, PASSWORD = "bench@example.org", "correct horse battery staple"
PARTNER_EMAIL = "partner@example.org"
CHUNK = 20_000
COUNTRIES = ["FR", "ES", "IT", "AR", "BR", "KE", "IN", "JP", "CA", "MX", "CO", "SN", "PH", "DE"]
COOP_TYPES = ["worker", "social", "producers", "multistakeholder", "platform", "other_new"]
CHANNELS = [None, None, "newsletter", "facebook", "union", "cicopa-site", "whatsapp"]
SECTIONS = [
    "about_you",
    "involvement",
    "cooperative",
    "starting",
    "participation",
    "future",
    "contact",
]
# A multiple choice question answered by every response (two picks each): timed as a breakdown
# besides the questionnaire's own, since the shipped one breaks down by a single choice only.
MULTIPLE = "situation"
FILLER = {  # more answers per response, as a real one has, that the dashboard must skip
    "age": lambda chance: chance.randint(16, 35),
    "gender": lambda chance: chance.choice(["woman", "man", "non_binary", "prefer_not"]),
    "education": lambda chance: chance.choice(["secondary", "bachelor", "master_or_higher"]),
    "situation": lambda chance: chance.sample(["employee", "student", "freelancer"], 2),
    "involvement": lambda chance: chance.choice(["member", "founding", "interested", "none"]),
    "sector": lambda chance: chance.choice(["digital", "construction", "care"]),
    "recommend": lambda chance: chance.randint(0, 10),
    "we_own_it": lambda chance: "We decide together. " * chance.randint(1, 4),
}


def make_app(database_url: str, instance: Path, channels: tuple[str, ...]) -> Flask:
    settings = Settings.for_folder(instance, database_url, "benchmark")
    app = create_app(settings)
    migrate(app)
    with app.extensions["survey_db"].writing() as session:
        load_questionnaire(session, QUESTIONNAIRE)
        accounts.create_user(
            session,
            email=EMAIL,
            role="researcher",
            password=PASSWORD,
            actor=None,
            now=datetime.now(UTC),
        )
        if channels:
            accounts.create_user(
                session,
                email=PARTNER_EMAIL,
                role="partner",
                password=PASSWORD,
                actor=None,
                now=datetime.now(UTC),
                channels=channels,
            )
    return app


def synthetic(rows: int, survey_id: int, version_id: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """Chunks of (responses, answers, section progress) rows for bulk inserts."""
    chance = random.Random(seed)
    start = datetime(2027, 1, 4, tzinfo=UTC)
    responses: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    progress: list[dict[str, Any]] = []
    for number in range(rows):
        response_id = secrets.token_hex(16)
        started = start + timedelta(seconds=chance.randint(0, 60 * 86400))
        status = chance.choices(["complete", "in_progress", "screened_out"], [6, 3, 1])[0]
        submitted = (
            started + timedelta(seconds=chance.randint(120, 3600)) if status == "complete" else None
        )
        responses.append(
            {
                "id": response_id,
                "survey_id": survey_id,
                "questionnaire_version_id": version_id,
                "resume_code_hash": secrets.token_hex(32),
                "status": status,
                "late": False,
                "language": "en",
                "channel": chance.choice(CHANNELS),
                "consent_version": "2027-1",
                "started_at": started,
                "updated_at": submitted or started,
                "submitted_at": submitted,
                "last_section": None,
            }
        )
        values: dict[str, Any] = {"country": chance.choice(COUNTRIES)}
        if chance.random() < 0.45:
            values["coop_type"] = chance.choice(COOP_TYPES)
        values.update({key: make(chance) for key, make in FILLER.items()})
        answers.extend(
            {"response_id": response_id, "question_id": key, "section_id": "x", "value": value}
            for key, value in values.items()
        )
        depth = len(SECTIONS) if status == "complete" else chance.randint(1, len(SECTIONS))
        done = depth if status == "complete" else chance.randint(0, depth)
        progress.extend(
            {
                "response_id": response_id,
                "section_id": section,
                "reached_at": started,
                "completed_at": started if position < done else None,
            }
            for position, section in enumerate(SECTIONS[:depth])
        )
        if len(responses) == CHUNK or number == rows - 1:
            yield responses, answers, progress
            responses, answers, progress = [], [], []


def fill(app: Flask, rows: int) -> int:
    db = app.extensions["survey_db"]
    with db.reading() as session:
        survey = find_survey(session, SLUG)
        assert survey is not None
        version = latest_version(session, survey)
        assert version is not None
        survey_id, version_id = survey.id, version.id
    answer_rows = 0
    for responses, answers, progress in synthetic(rows, survey_id, version_id, seed=2027):
        with db.writing() as session:
            session.execute(insert(SurveyResponse), responses)
            session.execute(insert(Answer), answers)
            session.execute(insert(SectionProgress), progress)
        answer_rows += len(answers)
    return answer_rows


def timed(action: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - began)
    return times, result


def with_stats(
    app: Flask, *more_breakdowns: str, channels: tuple[str, ...] | None = None
) -> stats.Dashboard:
    """The figures (of `channels` only, if given); `more_breakdowns`: questions broken down
    besides the questionnaire's own."""
    with app.app_context(), app.extensions["survey_db"].reading() as session:
        survey = find_survey(session, SLUG)
        assert survey is not None
        version = latest_version(session, survey)
        assert version is not None
        questionnaire = questionnaire_of(version)
        breakdowns = questionnaire.breakdowns + more_breakdowns
        questionnaire = dataclasses.replace(questionnaire, breakdowns=breakdowns)
        return stats.dashboard(session, survey, questionnaire, channels=channels)


def naive(app: Flask, channels: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The baseline: every row of the survey (of `channels` only, if given) into Python (plain
    tuples), counted in loops."""
    with app.extensions["survey_db"].reading() as session:
        survey = find_survey(session, SLUG)
        assert survey is not None
        responses = session.execute(
            select(
                SurveyResponse.id,
                SurveyResponse.status,
                SurveyResponse.started_at,
                SurveyResponse.submitted_at,
                SurveyResponse.channel,
            ).where(SurveyResponse.survey_id == survey.id)
        ).all()
        if channels is not None:
            responses = [response for response in responses if response.channel in channels]
        ours = {response.id for response in responses}
        answers = [
            answer
            for answer in session.execute(
                select(Answer.response_id, Answer.question_id, Answer.value)
            )
            if answer.response_id in ours
        ]
        progress = [
            row
            for row in session.execute(
                select(
                    SectionProgress.response_id,
                    SectionProgress.section_id,
                    SectionProgress.completed_at,
                )
            )
            if row.response_id in ours
        ]
    statuses: Counter[str] = Counter()
    days: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    durations = []
    for response in responses:
        statuses[response.status] += 1
        days[response.started_at.date().isoformat()] += 1
        channels[response.channel or stats.NO_CHANNEL] += 1
        if response.status == "complete" and response.submitted_at is not None:
            durations.append((response.submitted_at - response.started_at).total_seconds())
    countries: Counter[str] = Counter()
    coop_types: Counter[str] = Counter()
    situations: Counter[str] = Counter()
    for answer in answers:
        if answer.question_id == "country":
            countries[answer.value] += 1
        elif answer.question_id == "coop_type":
            coop_types[answer.value] += 1
        elif answer.question_id == MULTIPLE:
            situations.update(answer.value)
    reached: Counter[str] = Counter()
    finished: Counter[str] = Counter()
    for row in progress:
        reached[row.section_id] += 1
        if row.completed_at is not None:
            finished[row.section_id] += 1
    return {
        "statuses": dict(statuses),
        "median": statistics.median(durations) if durations else None,
        "days": dict(days),
        "channels": dict(channels),
        "countries": dict(countries),
        "coop_types": dict(coop_types),
        "situations": dict(situations),
        "reached": dict(reached),
        "finished": dict(finished),
    }


def agree(figures: stats.Dashboard, counted: dict[str, Any]) -> None:
    """Both ways must give the same numbers."""
    statuses = counted["statuses"]
    assert figures.started == sum(statuses.values())
    assert figures.completed == statuses.get("complete", 0)
    assert figures.partial == statuses.get("in_progress", 0)
    assert figures.screened_out == statuses.get("screened_out", 0)
    assert figures.median_seconds is not None and counted["median"] is not None
    assert abs(figures.median_seconds - counted["median"]) < 0.01
    assert {item.key: item.count for item in figures.per_day if item.count} == counted["days"]
    assert {item.label: item.count for item in figures.by_channel} == counted["channels"]
    assert {item.key: item.count for item in figures.by_country} == counted["countries"]
    breakdowns = {item.question_id: item for item in figures.breakdowns}
    for question_id, name in (("coop_type", "coop_types"), (MULTIPLE, "situations")):
        if question_id in breakdowns:
            shown = {item.key: item.count for item in breakdowns[question_id].counts if item.count}
            assert shown == counted[name], question_id
    for section in figures.drop_off:
        assert section.reached == counted["reached"].get(section.section_id, 0)
        assert section.finished == counted["finished"].get(section.section_id, 0)


def page_client(app: Flask, email: str = EMAIL) -> Any:
    client = app.test_client()
    sign_in = client.get("/admin/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', sign_in)
    assert token, "no CSRF token on the sign-in page"
    answer = client.post(
        "/admin/sign-in",
        data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
    )
    assert answer.status_code == 302, answer.status_code
    return client


def describe(times: list[float]) -> str:
    return f"best {min(times) * 1000:8.1f} ms, median {statistics.median(times) * 1000:8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="responses (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of the fast paths")
    parser.add_argument(
        "--database-url", help="an empty database to fill instead of a temporary SQLite file"
    )
    parser.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="TAG",
        help="also time a partner's dashboard limited to this channel (repeatable)",
    )
    options = parser.parse_args()
    if options.rows < 1:
        parser.error("--rows must be at least 1")
    channels = tuple(sorted(set(options.channel)))

    with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as folder:
        instance = Path(folder)
        url = options.database_url or f"sqlite:///{instance / 'survey.db'}"
        app = make_app(url, instance, channels)
        engine = app.extensions["survey_db"].engine
        print(f"database: {engine.dialect.name}, {options.rows:,} responses")

        began = time.perf_counter()
        answer_rows = fill(app, options.rows)
        print(
            f"filled in {time.perf_counter() - began:.1f} s "
            f"({answer_rows:,} answers, section progress for each response)"
        )

        sql_times, figures = timed(lambda: with_stats(app), options.runs)
        print(f"stats.dashboard (SQL aggregates):  {describe(sql_times)}")
        more_times, more = timed(lambda: with_stats(app, MULTIPLE), options.runs)
        print(f"  with {MULTIPLE} (multiple) too:  {describe(more_times)}")

        client = page_client(app)

        def get_page() -> int:
            response = client.get(f"/admin/surveys/{SLUG}")
            assert response.status_code == 200, response.status_code
            return len(response.data)

        page_times, size = timed(get_page, options.runs)
        print(f"GET dashboard page (full request): {describe(page_times)}, {size:,} bytes")

        naive_times, counted = timed(lambda: naive(app), 1)
        print(f"naive (all rows into Python):      {naive_times[0] * 1000:8.1f} ms")
        agree(figures, counted)
        agree(more, counted)
        print("both ways give the same figures")
        print(
            f"naive / SQL: {naive_times[0] / min(sql_times):.1f}x "
            f"(median completion {figures.median_seconds:.0f} s, "
            f"completion rate {(figures.completion_rate or 0) * 100:.1f} %)"
        )
        if channels:
            time_partner(app, channels, options.runs)
        app.extensions["survey_db"].dispose()
    return 0


def time_partner(app: Flask, channels: tuple[str, ...], runs: int) -> None:
    """A partner's dashboard, limited to `channels`: the aggregates and the page."""
    print(f"partner of {', '.join(channels)}:")
    sql_times, figures = timed(lambda: with_stats(app, channels=channels), runs)
    print(f"stats.dashboard (SQL aggregates):  {describe(sql_times)}")
    more_times, more = timed(lambda: with_stats(app, MULTIPLE, channels=channels), runs)
    print(f"  with {MULTIPLE} (multiple) too:  {describe(more_times)}")
    client = page_client(app, PARTNER_EMAIL)

    def get_page() -> int:
        response = client.get(f"/admin/surveys/{SLUG}")
        assert response.status_code == 200, response.status_code
        return len(response.data)

    page_times, size = timed(get_page, runs)
    print(f"GET dashboard page (full request): {describe(page_times)}, {size:,} bytes")
    counted = naive(app, channels)
    agree(figures, counted)
    agree(more, counted)
    print(f"both ways give the same figures ({figures.started:,} responses of those channels)")


if __name__ == "__main__":
    raise SystemExit(main())
