"""The per-survey dashboard: its figures equal what the database holds, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import random
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from survey.admin import charts
from tests.admin.dashboards import (
    COOP_LABELS,
    MEMBER_PATH,
    NOT_INVOLVED_PATH,
    PAGE,
    SECTIONS,
    Page,
    add_other_survey,
    add_response,
    at,
    dashboard,
    naive_figures,
    plain,
    survey_ids,
)
from tests.respondent import MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS, Respondent
from tests.staff import sign_in


@pytest.fixture
def researcher(app: Flask, make_user):
    """A client signed in as a researcher."""
    client = app.test_client()
    email, password = make_user("researcher")
    assert sign_in(client, email, password).status_code == 302
    return client


def test_the_page_shows_exactly_the_figures_of_a_known_data_set(app, researcher):
    ids = survey_ids(app)
    other = add_other_survey(app)
    with app.extensions["survey_db"].writing() as session:
        member = {"country": "FR", "coop_type": "worker", "age": 20}

        def complete(started, seconds, path, **kwargs):
            add_response(
                session,
                ids,
                status="complete",
                started=started,
                seconds=seconds,
                reached=path,
                finished=path,
                **kwargs,
            )

        complete(at(10, 9), 600, MEMBER_PATH, channel="newsletter", answers=member)
        complete(
            at(10, 23, 59, 30), 1200, MEMBER_PATH, answers={"country": "AR", "coop_type": "social"}
        )
        complete(
            at(12, 8),
            3725,
            NOT_INVOLVED_PATH,
            channel="newsletter",
            answers={"country": "FR", "involvement": "none"},
        )
        complete(at(12, 10), 1800, NOT_INVOLVED_PATH, channel="facebook", answers={"country": "FR"})
        add_response(
            session,
            ids,
            started=at(12, 11),
            channel="facebook",
            answers={"country": "KE", "coop_type": "worker"},
            reached=["about_you", "involvement", "cooperative"],
            finished=["about_you", "involvement"],
        )
        add_response(
            session,
            ids,
            status="screened_out",
            started=at(13, 0, 0, 1),
            answers={"country": "AR", "age": 12},
            reached=["about_you"],
            finished=["about_you"],
        )
        add_response(
            session, ids, started=at(13, 23, 59, 59), channel="newsletter", reached=["about_you"]
        )
        # Not this survey's: never counted.
        add_response(
            session,
            other,
            status="complete",
            started=at(11),
            seconds=5,
            channel="newsletter",
            answers={"country": "FR", "coop_type": "worker"},
            reached=["about_you"],
            finished=["about_you"],
        )

    page = dashboard(researcher)

    assert page.headline() == {
        "started": "7",
        "completed": "4",
        "partial": "2",
        "screened-out": "1",
        "completion-rate": "66.7 %",  # 4 / (7 - 1)
        "median-time": "25 min 00 s",  # 600, 1200, 1800, 3725 -> (1200 + 1800) / 2
    }
    assert page.counts("table-per-day") == [
        ("2027-01-10", 2),
        ("2027-01-11", 0),
        ("2027-01-12", 3),
        ("2027-01-13", 2),
    ]
    assert page.counts("table-by-country") == [("France", 3), ("Argentina", 2), ("Kenya", 1)]
    assert page.counts("table-breakdown-coop_type") == list(
        zip(COOP_LABELS, [2, 1, 0, 0, 0, 0], strict=True)
    )
    assert page.counts("table-by-channel") == [("newsletter", 3), ("facebook", 2), ("(none)", 2)]
    assert page.table("table-drop-off") == [
        [title, reached, finished]
        for (_, title), reached, finished in zip(
            SECTIONS,
            ["7", "5", "3", "2", "2", "4", "4"],
            ["6", "5", "2", "2", "2", "4", "4"],
            strict=True,
        )
    ]
    assert "Completion rate = completed ÷ (started − screened out)" in html.unescape(page.markup)
    assert "in UTC" in page.markup


def test_an_odd_number_of_complete_responses_has_the_middle_one_as_median(app, researcher):
    ids = survey_ids(app)
    with app.extensions["survey_db"].writing() as session:
        for seconds in (3 * 3600 + 61, 59, 7200, 45, 100000):
            add_response(session, ids, status="complete", started=at(14), seconds=seconds)
    assert dashboard(researcher).figure("median-time") == "2 h 00 min 00 s"


def test_figures_from_real_journeys_through_the_app(app, clock, researcher):
    """Responses made by people answering over HTTP, on two days, from two links."""

    def person(query: str = "") -> Respondent:
        respondent = Respondent(app.test_client())
        assert respondent.start(query).status_code == 302
        return respondent

    clock.now = at(10, 9)
    ana = person("?via=newsletter")
    ana.answer_all(MEMBER_ANSWERS)  # Argentina, worker cooperative
    clock.now = at(10, 9, 12)
    assert ana.submit().status_code == 302

    clock.now = at(11, 15)
    ben = person()
    ben.answer_all(NOT_INVOLVED_ANSWERS)  # Kenya
    clock.now = at(11, 15, 4)
    assert ben.submit().status_code == 302

    clock.now = at(11, 16)
    chloe = person("?via=facebook")
    chloe.answer_all(
        {
            "about_you": {**MEMBER_ANSWERS["about_you"], "country": "FR"},
            "involvement": {"involvement": "member"},
        }
    )
    assert chloe.get("/s/we-own-it/p/cooperative").status_code == 200  # reached, left

    clock.now = at(11, 17)
    dan = person("?via=facebook")
    assert dan.save("about_you", {"age": "12"}).status_code in (200, 302)

    page = dashboard(researcher)
    assert page.headline() == {
        "started": "4",
        "completed": "2",
        "partial": "1",
        "screened-out": "1",
        "completion-rate": "66.7 %",
        "median-time": "8 min 00 s",  # (12 + 4) / 2 minutes
    }
    assert page.counts("table-per-day") == [("2027-01-10", 1), ("2027-01-11", 3)]
    assert page.counts("table-by-country") == [("Argentina", 1), ("France", 1), ("Kenya", 1)]
    assert page.counts("table-breakdown-coop_type") == list(
        zip(COOP_LABELS, [1, 0, 0, 0, 0, 0], strict=True)
    )
    assert page.counts("table-by-channel") == [("facebook", 2), ("newsletter", 1), ("(none)", 1)]
    assert [row[1:] for row in page.table("table-drop-off")] == [
        ["4", "4"],
        ["3", "3"],
        ["2", "1"],
        ["1", "1"],
        ["1", "1"],
        ["2", "2"],
        ["2", "2"],
    ]


def test_answers_saved_before_a_screen_out_are_not_counted(app, researcher):
    """A person saved a cooperative and a straight grid, went back and was screened out by
    age: the survey ended there, so, as in the exports, none of those answers counts (they
    stay stored)."""
    ana = Respondent(app.test_client())
    ana.start()
    ana.answer_all(MEMBER_ANSWERS)  # Argentina, worker cooperative
    assert ana.submit().status_code == 302
    young = Respondent(app.test_client())
    young.start()
    young.screened_out_after_going_back()

    page = dashboard(researcher)
    assert page.headline()["screened-out"] == "1"
    assert page.counts("table-breakdown-coop_type")[0] == (COOP_LABELS[0], 1)
    assert page.counts("table-by-country") == [("Argentina", 1)]
    assert page.figure("straightlining").startswith("0 ")


def test_the_figures_equal_a_row_by_row_count_of_the_database(app, researcher):
    ids = survey_ids(app)
    other = add_other_survey(app)
    chance = random.Random(20270115)
    with app.extensions["survey_db"].writing() as session:
        for number in range(120):
            status = chance.choice(["complete", "complete", "in_progress", "screened_out"])
            answers: dict[str, Any] = {}
            if chance.random() < 0.9:
                answers["country"] = chance.choice(["FR", "AR", "KE", "JP", "BR"])
            if chance.random() < 0.5:
                answers["coop_type"] = chance.choice(["worker", "social", "platform"])
            depth = chance.randint(1, len(SECTIONS))
            path = [sid for sid, _ in SECTIONS[:depth]]
            add_response(
                session,
                other if number % 10 == 0 else ids,
                status=status,
                started=at(3) + timedelta(minutes=chance.randint(0, 60 * 24 * 9)),
                seconds=2 * chance.randint(30, 4000),  # even: a median of two is whole
                channel=chance.choice([None, "newsletter", "facebook", "union"]),
                language=chance.choice(["en", "fr", "es"]),
                answers=answers,
                reached=path,
                finished=path[: chance.randint(0, depth)],
            )
    assert dashboard(researcher).figures() == naive_figures(app)


# -- charts and tables ---------------------------------------------------------------------------


def test_every_chart_shows_the_numbers_of_its_table(app, researcher):
    ids = survey_ids(app)
    with app.extensions["survey_db"].writing() as session:
        for index, country in enumerate(["FR", "FR", "AR", "JP"]):
            add_response(
                session,
                ids,
                status="complete",
                started=at(5 + index % 2),
                seconds=60,
                channel=["a", None][index % 2],
                answers={"country": country, "coop_type": "platform"},
                reached=["about_you", "involvement"],
                finished=["about_you"],
            )
    page = dashboard(researcher)
    for name in ("per-day", "by-country", "breakdown-coop_type", "by-channel", "by-language"):
        table = page.counts(f"table-{name}")
        assert table, name
        assert [(label, value) for label, _, value in page.chart(f"chart-{name}")] == table
    drop_off = page.chart("chart-drop-off")
    assert [
        (title, int(reached), int(finished))
        for title, reached, finished in page.table("table-drop-off")
    ] == [
        (label, value, finished)
        for (label, _, value), (_, _, finished) in zip(drop_off[::2], drop_off[1::2], strict=True)
    ]
    assert {series for _, series, _ in drop_off} == {"Reached", "Finished"}


def test_the_page_is_readable_without_javascript_and_styles_only_from_the_stylesheet(
    app, researcher
):
    ids = survey_ids(app)
    with app.extensions["survey_db"].writing() as session:
        add_response(session, ids, started=at(5), channel="<b>x</b>", reached=["about_you"])
    response = researcher.get(PAGE)
    markup = response.get_data(as_text=True)
    main = markup.split('<main id="main"', 1)[1]
    assert "<script" not in main.lower()  # the figures and charts need no JavaScript
    assert "style=" not in markup.lower()
    assert "<b>x</b>" not in markup and "&lt;b&gt;x&lt;/b&gt;" in markup
    charts = (
        "per-day",
        "by-country",
        "breakdown-coop_type",
        "by-channel",
        "by-language",
        "drop-off",
    )
    for chart_id in charts:
        svg = re.search(rf'<svg [^>]*id="chart-{chart_id}"[^>]*>', markup)
        assert svg, chart_id
        assert 'role="img"' in svg.group(0)
        assert f'aria-labelledby="chart-{chart_id}-title chart-{chart_id}-desc"' in svg.group(0)
        assert f'<title id="chart-{chart_id}-title">' in markup
        assert f'<desc id="chart-{chart_id}-desc">' in markup
    assert markup.count('<div class="table-wrap" role="region" tabindex="0"') == 6
    assert "style-src 'self'" in response.headers.get("Content-Security-Policy", "")


def test_a_survey_without_responses_shows_zeros(researcher):
    page = dashboard(researcher)
    assert page.headline() == {
        "started": "0",
        "completed": "0",
        "partial": "0",
        "screened-out": "0",
        "completion-rate": "–",
        "median-time": "–",
    }
    assert page.table("table-per-day") == [["No responses yet."]]
    assert page.chart("chart-per-day") == []
    assert [row[1:] for row in page.table("table-drop-off")] == [["0", "0"]] * len(SECTIONS)


def test_chart_text_is_escaped_and_scales_with_its_column():
    svg = charts.bar_chart("c", "T<1>", "D&", ['"><script>'], [charts.Series("S", [3])])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'viewBox="0 0 400 ' in svg and 'width="100%"' in svg
    assert "T&lt;1&gt;" in svg and "D&amp;" in svg
    columns = charts.column_chart("d", "t", "d", ["2027-01-01", "2027-01-02"], [0, 5])
    assert columns.count('<g class="bar"') == 2


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "–"), (0, "0 s"), (59.4, "59 s"), (60, "1 min 00 s"), (3725, "1 h 02 min 05 s")],
)
def test_durations_read_in_words(seconds, shown):
    assert plain(charts.duration(seconds)) == shown


# -- access and speed ----------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/admin/sign-in" in response.headers["Location"]


def test_an_unknown_survey_is_not_found(researcher):
    assert researcher.get("/admin/surveys/no-such-survey").status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_responses(app, researcher):
    ids = survey_ids(app)
    engine = app.extensions["survey_db"].engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def fill(number: int, offset: int) -> None:
        with app.extensions["survey_db"].writing() as session:
            for index in range(offset, offset + number):
                add_response(
                    session,
                    ids,
                    status=["complete", "in_progress"][index % 2],
                    started=at(1 + index % 20),
                    seconds=60 + index,
                    channel=f"c{index % 7}",
                    answers={"country": ["FR", "KE", "JP"][index % 3], "coop_type": "worker"},
                    reached=["about_you"],
                    finished=["about_you"],
                )

    def queries() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            dashboard(researcher)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len([item for item in statements if item.lstrip().upper().startswith("SELECT")])

    fill(5, 0)
    dashboard(researcher)  # warm caches
    few = queries()
    fill(45, 5)
    many = queries()
    assert few == many
    assert many <= 20  # 12, and 8 for the quality flags (paces, grids, speeders, straightlining)


def test_dates_are_utc_days_whatever_the_clock_zone(app, researcher):
    ids = survey_ids(app)
    with app.extensions["survey_db"].writing() as session:
        brussels_midnight = datetime(2027, 1, 20, 23, 30, tzinfo=UTC)  # 00:30 in Brussels
        add_response(session, ids, started=brussels_midnight)
    assert dashboard(researcher).counts("table-per-day") == [(date(2027, 1, 20).isoformat(), 1)]


def test_labels_in_any_language_of_the_questionnaire_and_responses_by_language(
    app, clock, researcher
):
    """Three people answer in English, French and Spanish; the dashboard shows the
    questionnaire's labels in the language asked for, and how many answered in each."""
    for query in ("", "?lang=fr", "?lang=es"):
        person = Respondent(app.test_client())
        assert person.start(query).status_code == 302
        person.answer_all(MEMBER_ANSWERS)  # Argentina, worker cooperative
        assert person.submit().status_code == 302

    english = dashboard(researcher)
    french = dashboard(researcher, "?labels=fr")
    spanish = dashboard(researcher, "?labels=es")

    assert english.counts("table-by-country") == [("Argentina", 3)]
    assert french.counts("table-by-country") == [("Argentine", 3)]
    assert french.counts("table-breakdown-coop_type")[0] == ("Coopérative de travail associé", 3)
    assert spanish.counts("table-breakdown-coop_type")[0] == ("Cooperativa de trabajo asociado", 3)
    assert french.table("table-drop-off")[0][0] == "À propos de vous"
    assert sorted(english.counts("table-by-language")) == [
        ("English (en)", 1),
        ("French (fr)", 1),
        ("Spanish (es)", 1),
    ]
    assert sorted(french.counts("table-by-language")) == [
        ("Anglais (en)", 1),
        ("Espagnol (es)", 1),
        ("Français (fr)", 1),
    ]
    # The console itself stays in English, and says which label language is shown.
    assert "Responses per day" in french.markup
    assert '<strong aria-current="true" lang="fr">Français</strong>' in french.markup
    assert f'href="{PAGE}?labels=es"' in french.markup
    # A language the questionnaire does not have shows its default language.
    assert dashboard(researcher, "?labels=pt").counts("table-by-country") == [("Argentina", 3)]


# -- a questionnaire of its own: the dashboard reads its analysis, knows no question id ---------

HOUSING = """\
slug: housing
languages: [en, fr]
title: {en: Housing, fr: Logement}
schedule:
  opens_at: null
  closes_at: "2027-05-26T00:00"
  timezone: UTC
  grace_minutes: 0
consent:
  version: "1"
  label: {en: I agree, fr: J'accepte}
analysis:
  country: homeland
  breakdowns: [tenure, services]
sections:
  - id: home
    title: {en: Home, fr: Maison}
    questions:
      - id: first_country
        type: country
        label: {en: Country of birth, fr: Pays de naissance}
      - id: homeland
        type: country
        label: {en: Country you live in, fr: Pays de résidence}
      - id: tenure
        type: single
        label: {en: Do you rent or own?, fr: Louez-vous ou possédez-vous ?}
        choices:
          - {code: rent, label: {en: Rent, fr: Location}}
          - {code: own, label: {en: Own, fr: Propriété}}
          - {code: shared, label: {en: Cooperative housing, fr: Coopérative d'habitants}}
      - id: services
        type: multiple
        label: {en: Shared services, fr: Services partagés}
        choices:
          - {code: laundry, label: {en: Laundry, fr: Buanderie}}
          - {code: garden, label: {en: Garden, fr: Jardin}}
          - {code: workshop, label: {en: Workshop, fr: Atelier}}
"""


def load_housing(app: Flask, tmp_path, source: str = HOUSING) -> tuple[int, int]:
    from survey.questionnaire_store import load_questionnaire

    path = tmp_path / "housing.yaml"
    path.write_text(source, encoding="utf-8")
    with app.extensions["survey_db"].writing() as session:
        load_questionnaire(session, path)
    return survey_ids(app, "housing")


@pytest.mark.parametrize("only_survey", [True, False], ids=["alone", "beside-another"])
def test_a_questionnaire_s_own_country_question_and_breakdowns(
    app, researcher, tmp_path, only_survey
):
    ids = load_housing(app, tmp_path)
    rows = [
        {
            "first_country": "JP",
            "homeland": "FR",
            "tenure": "rent",
            "services": ["laundry", "garden"],
        },
        {"first_country": "JP", "homeland": "FR", "tenure": "shared", "services": ["garden"]},
        {"first_country": "FR", "homeland": "KE", "tenure": "rent", "services": []},
        {"homeland": "KE", "tenure": "lease", "services": "workshop"},  # codes no longer offered
        {"homeland": "FR", "services": ["laundry", "garden", "workshop"]},
        {"first_country": "KE"},
    ]
    with app.extensions["survey_db"].writing() as session:
        for index, answers in enumerate(rows):
            add_response(session, ids, started=at(3, 9 + index), answers=answers)
        if not only_survey:
            # Answers of another survey to questions of the same ids never count here.
            other = survey_ids(app)
            add_response(session, other, started=at(3), answers={"homeland": "FR", "tenure": "own"})
    response = researcher.get("/admin/surveys/housing")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))

    assert page.counts("table-by-country") == [("France", 3), ("Kenya", 2)]
    tenure = [("Rent", 2), ("Own", 0), ("Cooperative housing", 1), ("lease", 1)]
    assert page.counts("table-breakdown-tenure") == tenure
    services = [("Laundry", 2), ("Garden", 3), ("Workshop", 2)]
    assert page.counts("table-breakdown-services") == services
    assert [(label, value) for label, _series, value in page.chart("chart-breakdown-services")] == (
        services
    )
    assert 'id="h-breakdown-tenure">Do you rent or own?</h2>' in page.markup
    assert "Shared services" in page.markup
    assert "cooperative type" not in page.markup.lower()

    french = dashboard_of(researcher, "/admin/surveys/housing?labels=fr")
    assert french.counts("table-breakdown-services")[0] == ("Buanderie", 2)
    assert french.counts("table-by-country") == [("France", 3), ("Kenya", 2)]
    assert "Louez-vous ou possédez-vous ?" in french.markup


def test_without_a_country_question_or_breakdowns_the_parts_are_left_out(app, researcher, tmp_path):
    source = HOUSING.replace("  country: homeland\n  breakdowns: [tenure, services]\n", "")
    source = source.replace("type: country", "type: text")
    ids = load_housing(app, tmp_path, source)
    with app.extensions["survey_db"].writing() as session:
        add_response(session, ids, started=at(3), answers={"homeland": "FR", "tenure": "rent"})
    page = dashboard_of(researcher, "/admin/surveys/housing")
    assert 'id="table-by-country"' not in page.markup
    assert "table-breakdown-" not in page.markup
    assert page.figure("started") == "1"


def test_the_default_country_question_is_the_first_of_type_country(app, researcher, tmp_path):
    ids = load_housing(app, tmp_path, HOUSING.replace("  country: homeland\n", ""))
    with app.extensions["survey_db"].writing() as session:
        add_response(session, ids, started=at(3), answers={"first_country": "JP", "homeland": "FR"})
    page = dashboard_of(researcher, "/admin/surveys/housing")
    assert page.counts("table-by-country") == [("Japan", 1)]


def dashboard_of(client, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200
    return Page(response.get_data(as_text=True))
