"""The public participation page, /s/<slug>/participation: counts of submitted responses by
country and by day for anyone, in the survey's languages, no count under 5 readable or
solvable, kept a few minutes, light enough for a phone."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert

from survey.models import Answer, SurveyResponse
from survey.questionnaire.countries import COUNTRY_CODES, country_name
from survey.questionnaire_store import load_questionnaire
from survey.respond.participation import CACHE_MINUTES
from survey.settings import PROJECT_ROOT
from survey.small_counts import SMALL, TOTAL, Figure, Publication, Shown
from tests.admin.dashboards import Page, add_other_survey, add_response, survey_ids
from tests.respond.helpers import BASE, location, sent_statements
from tests.respond.test_deadline_pages import CLOSES_AT
from tests.respond.test_languages import in_language, page_language
from tests.respondent import (
    MEMBER_ANSWERS,
    PAGE_WEIGHT_LIMIT,
    Respondent,
    interface_plural,
    interface_text,
    shipped_questionnaire,
)
from tests.test_small_counts import assert_nothing_small_can_be_worked_out, possible_values

PAGE = f"{BASE}/participation"
NOT_GIVEN = "Country not given"
LANGUAGES = tuple(shipped_questionnaire().languages)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2027, 1, day, hour, tzinfo=UTC)


# -- the known data set ------------------------------------------------------------------------

# Complete responses by country ("" for none given) and by the day they were submitted: 29 in
# all, submitted on 10 January (15), 12 January (3) and 13 January (11), none on the 11th.
KNOWN = [
    *[("FR", 10)] * 12,
    *[("AR", 10)] * 3,
    *[("AR", 13)] * 4,
    *[("BR", 13)] * 6,
    *[("KE", 12)] * 2,
    ("JP", 12),
    ("", 13),
]


def add_known_data_set(app: Flask) -> None:
    """KNOWN, plus responses that never count: partial, screened out, another survey's."""
    ids = survey_ids(app)
    other = add_other_survey(app)
    with app.extensions["survey_db"].writing() as session:
        for code, day in KNOWN:
            answers = {"country": code} if code else {"age": 30}
            add_response(
                session, ids, status="complete", started=at(day), seconds=600, answers=answers
            )
        add_response(session, ids, started=at(11), answers={"country": "FR"})
        add_response(session, ids, status="screened_out", started=at(11), answers={"age": 12})
        add_response(
            session, other, status="complete", started=at(11), seconds=60, answers={"country": "KE"}
        )


# -- reading the page --------------------------------------------------------------------------


class Participation(Page):
    """The page as its figures: the total, and each table as (label, figure) rows."""

    def total(self) -> str:
        match = re.search(r'id="total">.*?<dd>([^<]*)</dd>', self.markup, re.S)
        assert match, "no total"
        return html.unescape(match.group(1))

    def rows(self, table_id: str) -> list[tuple[str, str]]:
        return [(label, figure) for label, figure in self.table(table_id)]

    def day_keys(self) -> list[str]:
        match = re.search(r'id="table-per-day">(.*?)</table>', self.markup, re.S)
        assert match
        return re.findall(r'<time datetime="([^"]+)">', match.group(1))

    def chart_figures(self, chart_id: str) -> list[str]:
        """The texts and titles of every bar of a chart."""
        match = re.search(rf'<svg [^>]*id="{chart_id}"[^>]*>(.*?)</svg>', self.markup, re.S)
        assert match, f"no chart {chart_id}"
        groups = re.findall(r'<g class="bar[^"]*">(.*?)</g>', match.group(1), re.S)
        return [
            html.unescape(text)
            for group in groups
            for text in re.findall(r"<(?:text|title)[^>]*>([^<]*)</", group)
        ]

    def bar_shapes(self, chart_id: str, kind: str) -> set[tuple[str, str]]:
        """The (width, height) of the bars of one kind ("fewer", "hidden") of a chart."""
        match = re.search(rf'<svg [^>]*id="{chart_id}"[^>]*>(.*?)</svg>', self.markup, re.S)
        assert match
        return set(
            re.findall(
                rf'<g class="bar bar-{kind}">(?:<title>[^<]*</title>)?<rect [^>]*'
                r'width="([^"]+)" height="([^"]+)"',
                match.group(1),
            )
        )


def participation(client, query: str = "") -> Participation:
    response = client.get(PAGE + query)
    assert response.status_code == 200
    return Participation(response.get_data(as_text=True))


def figure_of(text: str, language: str = "en") -> Figure | None:
    """A figure read back from the page: a count, "fewer than 5" or "hidden"."""
    if text == interface_text("fewer than 5", language):
        return Figure("", Shown.FEWER, None)
    if text == interface_text("hidden", language):
        return Figure("", Shown.HIDDEN, None)
    digits = re.sub(r"[\s,.\u00a0\u202f]", "", text)
    return Figure("", Shown.EXACT, int(digits)) if digits.isdigit() else None


def as_published(page: Participation, codes: dict[str, str]) -> Publication:
    """What a reader has of the page: the total and each table's figures, keyed as the rule
    orders them (countries by code, days by date), the first and last day known to hold some."""
    total = figure_of(page.total())
    assert total is not None
    countries = []
    for label, text in page.rows("table-by-country"):
        figure = figure_of(text)
        assert figure is not None, text
        countries.append(Figure(codes[label], figure.shown, figure.count))
    keys = page.day_keys()
    rows = page.rows("table-per-day")
    days = []
    for index, (key, (_label, text)) in enumerate(zip(keys, rows, strict=True)):
        figure = figure_of(text)
        assert figure is not None, text
        days.append(Figure(key, figure.shown, figure.count, index in (0, len(keys) - 1)))
    return Publication(
        Figure(TOTAL, total.shown, total.count), {"country": tuple(countries), "day": tuple(days)}
    )


def assert_no_small_figure(page: Participation, language: str = "en") -> None:
    """Every figure of the page (total, table cells, bar texts and titles) is a count of 5 or
    more, "fewer than 5" or "hidden"; no bar carries its count in an attribute."""
    texts = [page.total()]
    for table_id in ("table-by-country", "table-per-day"):
        if f'id="{table_id}"' in page.markup:
            texts += [figure for _label, figure in page.rows(table_id)]
    for chart_id in ("chart-by-country", "chart-per-day"):
        if f'id="{chart_id}"' in page.markup:
            texts += [text.rpartition(": ")[2] for text in page.chart_figures(chart_id)]
    for text in texts:
        figure = figure_of(text, language)
        if figure is None:  # a bar's label
            continue
        assert figure.shown is not Shown.EXACT or figure.count >= SMALL, text
    assert "data-value" not in page.markup


# -- what the page shows -------------------------------------------------------------------------


def test_a_known_data_set_is_published_without_a_small_count(app, client):
    add_known_data_set(app)
    page = participation(client)

    assert page.total() == "29"
    assert page.rows("table-by-country") == [
        ("France", "12"),
        ("Argentina", "7"),
        ("Brazil", "hidden"),
        ("Japan", "fewer than 5"),
        ("Kenya", "fewer than 5"),
        (NOT_GIVEN, "fewer than 5"),
    ]
    assert page.rows("table-per-day") == [
        ("Jan 10, 2027", "15"),
        ("Jan 11, 2027", "fewer than 5"),
        ("Jan 12, 2027", "fewer than 5"),
        ("Jan 13, 2027", "hidden"),
    ]
    assert page.day_keys() == ["2027-01-10", "2027-01-11", "2027-01-12", "2027-01-13"]
    assert "complete responses" in page.markup
    assert_no_small_figure(page)
    # Bars of "fewer than 5" are all drawn alike, and so are hidden ones.
    for chart_id in ("chart-by-country", "chart-per-day"):
        assert len(page.bar_shapes(chart_id, "fewer")) == 1
        assert len(page.bar_shapes(chart_id, "hidden")) == 1

    # Solved as a reader who knows the rule would solve it, nothing under 5 is pinned.
    codes = {country_name(code, "en"): code for code, _day in KNOWN if code} | {NOT_GIVEN: ""}
    published = as_published(page, codes)
    assert_nothing_small_can_be_worked_out(published, "country")
    assert_nothing_small_can_be_worked_out(published, "day")
    assert possible_values(published, "country")["KE"] == {1, 2, 3}
    assert possible_values(published, "day")["2027-01-12"] == {0, 1, 2, 3, 4}


def test_before_any_response_the_page_says_there_are_none_yet(client):
    page = participation(client)
    assert "No one has submitted their answers yet." in page.markup
    assert 'id="table-by-country"' not in page.markup


def test_under_5_responses_only_that_is_said(app, client):
    ids = survey_ids(app)
    with app.extensions["survey_db"].writing() as session:
        for day in (10, 11, 13):
            add_response(
                session,
                ids,
                status="complete",
                started=at(day),
                seconds=60,
                answers={"country": "FR"},
            )
    page = participation(client)
    assert page.total() == "fewer than 5"
    assert "shown once at least 5 people have taken part" in page.markup
    assert "<table" not in page.markup and "<svg" not in page.markup
    assert not re.search(r">\s*3\s*<", page.markup)


def test_a_questionnaire_without_a_country_question_has_no_country_table(app, client):
    with app.extensions["survey_db"].writing() as session:
        load_questionnaire(session, PROJECT_ROOT / "tests/questionnaires/numbers-and-dates.yaml")
    ids = survey_ids(app, "numbers-and-dates")
    with app.extensions["survey_db"].writing() as session:
        for _ in range(6):
            add_response(session, ids, status="complete", started=at(10), seconds=60)
    response = client.get("/s/numbers-and-dates/participation")
    assert response.status_code == 200
    page = Participation(response.get_data(as_text=True))
    assert page.total() == "6"
    assert 'id="h-by-country"' not in page.markup
    assert page.rows("table-per-day") == [("Jan 10, 2027", "6")]


def test_an_unknown_survey_is_the_usual_404_page(client):
    response = client.get("/s/no-such-survey/participation")
    assert response.status_code == 404
    assert "There is no page at this address." in response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["fr", "es"])
def test_the_page_in_another_language_names_countries_in_it(app, client, language):
    add_known_data_set(app)
    response = client.get(f"{PAGE}?lang={language}")
    text = in_language(response, language)
    page = Participation(response.get_data(as_text=True))
    assert interface_text("How many people have taken part", language) in text
    countries = [label for label, _figure in page.rows("table-by-country")]
    expected = [country_name(code, language) for code in ("FR", "AR", "BR", "JP", "KE")]
    assert countries[:2] == expected[:2]  # the counts, most first
    assert set(countries) == {*expected, interface_text(NOT_GIVEN, language)}
    assert countries[-1] == interface_text(NOT_GIVEN, language)
    figures = dict(page.rows("table-by-country"))
    assert figures[country_name("KE", language)] == interface_text("fewer than 5", language)
    assert figures[country_name("BR", language)] == interface_text("hidden", language)
    assert (
        interface_plural(
            "The figures are updated every %(num)s minute.",
            "The figures are updated every %(num)s minutes.",
            CACHE_MINUTES,
            language,
        )
        in text
    )
    assert_no_small_figure(page, language)


def test_the_thanks_page_links_to_it(client):
    person = Respondent(client)
    assert person.start().status_code == 302
    person.answer_all(MEMBER_ANSWERS)
    thanks = person.get(location(person.submit()))
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', thanks.get_data(as_text=True))
    assert (PAGE, "See how many people have taken part") in links
    page = participation(client)
    assert page.total() == "fewer than 5"


def test_after_the_close_it_shows_the_final_figures(app, client, clock):
    add_known_data_set(app)
    clock.now = CLOSES_AT + timedelta(days=30)
    closed = client.get(BASE)
    assert f'href="{PAGE}"' in closed.get_data(as_text=True)
    page = participation(client)
    assert "The survey is closed: these are its final figures." in page.markup
    assert page.total() == "29"
    assert page.rows("table-by-country")[0] == ("France", "12")


# -- kept a few minutes ----------------------------------------------------------------------


def test_counts_are_grouped_in_the_database_and_kept_for_a_few_minutes(app, client, clock):
    add_known_data_set(app)
    with sent_statements() as statements:
        assert participation(client).total() == "29"
        counted = [item for item in statements if "count(" in item.lower()]
        assert len(counted) == 2 and all("GROUP BY" in item for item in counted)
        statements.clear()
        with app.extensions["survey_db"].writing() as session:
            add_response(session, survey_ids(app), status="complete", started=at(14), seconds=60)
        clock.now += timedelta(minutes=CACHE_MINUTES) - timedelta(seconds=1)
        assert participation(client, "?lang=fr").total() == "29"  # kept, in any language
        assert not [item for item in statements if "count(" in item.lower()]
    clock.now += timedelta(seconds=1)
    assert participation(client).total() == "30"


def test_a_page_that_sets_no_cookie_may_be_kept_by_any_cache(client):
    response = client.get(PAGE)
    assert "Set-Cookie" not in response.headers
    assert response.cache_control.public
    assert response.cache_control.max_age == CACHE_MINUTES * 60
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_a_page_that_sets_a_cookie_is_not_public(client):
    first = client.get(f"{PAGE}?lang=fr")  # the choice of language is kept in the cookie
    assert "Set-Cookie" in first.headers
    assert not first.cache_control.public
    again = client.get(f"{PAGE}?lang=fr")  # already kept: no cookie, public again
    assert "Set-Cookie" not in again.headers
    assert again.cache_control.public
    assert page_language(again) == "fr"


# -- light enough for a phone ------------------------------------------------------------------


def _realistic_data_set(app: Flask) -> tuple[int, int]:
    """80 countries, those with the longest names in the survey's languages, with 1 to 35
    responses each, submitted over 60 days: written in two statements."""
    codes = sorted(
        COUNTRY_CODES, key=lambda code: -max(len(country_name(code, item)) for item in LANGUAGES)
    )[:80]
    survey_id, version_id = survey_ids(app)
    responses: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    sizes = [1, 2, 3, 4, 5, 6, 8, 12, 20, 35]
    for index, code in enumerate(codes):
        for _ in range(sizes[index % len(sizes)]):
            number = len(responses)
            submitted = at(1) + timedelta(days=number % 60, minutes=number)
            responses.append(
                {
                    "id": f"r{number:031d}",
                    "survey_id": survey_id,
                    "questionnaire_version_id": version_id,
                    "resume_code_hash": f"{number:064d}",
                    "status": "complete",
                    "late": False,
                    "language": "en",
                    "consent_version": "2027-1",
                    "started_at": submitted - timedelta(minutes=10),
                    "updated_at": submitted,
                    "submitted_at": submitted,
                }
            )
            answers.append(
                {
                    "response_id": f"r{number:031d}",
                    "question_id": "country",
                    "section_id": "about_you",
                    "value": code,
                }
            )
    with app.extensions["survey_db"].writing() as session:
        session.execute(insert(SurveyResponse), responses)
        session.execute(insert(Answer), answers)
    return len(codes), 60


def _size(response) -> int:
    """The bytes of a response, its file closed."""
    with response:
        assert response.status_code == 200
        return len(response.data)


def test_with_80_countries_and_60_days_the_page_is_under_the_weight_limit(app, client):
    """What `survey serve` sends a browser with an empty cache: the page, its stylesheet and
    its script, in every language of the survey."""
    countries, days = _realistic_data_set(app)
    weights = {}
    for language in LANGUAGES:
        response = client.get(f"{PAGE}?lang={language}")
        assert response.status_code == 200
        markup = response.get_data(as_text=True)
        page = Participation(markup)
        assert len(page.rows("table-by-country")) == countries
        assert len(page.rows("table-per-day")) == days
        linked = re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', markup)
        assert len(linked) == 2
        weights[language] = len(response.data) + sum(_size(client.get(url)) for url in linked)
    assert max(weights.values()) < PAGE_WEIGHT_LIMIT, weights
