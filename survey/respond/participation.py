"""The public participation page, `/s/<slug>/participation`: how many people have taken part,
by country and by day, for anyone (no sign-in), in every language of the survey.

Its counts come from the database (`stats.participation`, GROUP BYs), are published by the
small-counts rule (`survey.small_counts`: a count under 5 is "fewer than 5", and no such count
can be worked out from the rest) and kept by the process for CACHE_MINUTES per survey, the
same for every language; each page is then drawn in its own language. A page that sets no
cookie may be kept by any cache for as long.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from threading import Lock

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Flask, current_app, make_response
from flask.sansio.app import App
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from survey import charts, current_time, get_db, stats
from survey.charts import Bar
from survey.i18n import current_language
from survey.i18n import gettext as _
from survey.models import Survey
from survey.questionnaire.countries import sort_key
from survey.questionnaire.model import Questionnaire
from survey.rendering import render
from survey.respond.blueprint import bp, load_survey, page
from survey.small_counts import Cell, Figure, Publication, Shown, publish

CACHE_MINUTES = 5
COUNTRY = "country"
DAY = "day"
NOT_GIVEN = ""  # the key of responses that gave no country
_EXTENSION = "survey_participation"


class PublishedFigures:
    """Each survey's published figures, kept for CACHE_MINUTES by this process (every
    language draws its page from the same figures)."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._kept: dict[tuple[int, str | None], tuple[datetime, Publication]] = {}

    def get(
        self, key: tuple[int, str | None], now: datetime, compute: Callable[[], Publication]
    ) -> Publication:
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and now < kept[0]:
            return kept[1]
        publication = compute()
        with self._lock:
            self._kept[key] = (now + timedelta(minutes=CACHE_MINUTES), publication)
        return publication

    def clear(self) -> None:
        """Forget every survey's figures, as a freshly started process knows none."""
        with self._lock:
            self._kept.clear()


def install(app: App) -> None:
    app.extensions.setdefault(_EXTENSION, PublishedFigures())


def published_figures(app: Flask | None = None) -> PublishedFigures:
    """The figures kept by `app` (the current app's when none is given)."""
    kept: PublishedFigures = (app or current_app).extensions[_EXTENSION]
    return kept


bp.record_once(lambda state: install(state.app))


def publication_of(
    db_session: Session, survey: Survey, questionnaire: Questionnaire
) -> Publication:
    """The survey's figures as the small-counts rule publishes them: the total, and the
    tables by country (when the questionnaire has a country question) and by day."""
    counts = stats.participation(db_session, survey, questionnaire)
    days = counts.by_day
    tables = {
        DAY: [
            Cell(day.isoformat(), number, present=index in (0, len(days) - 1))
            for index, (day, number) in enumerate(days)
        ]
    }
    if counts.by_country is not None:
        tables[COUNTRY] = [Cell(code, number) for code, number in counts.by_country.items()]
    return publish(counts.total, tables)


@bp.get("/s/<slug>/participation")
def participation(slug: str) -> Response:
    with get_db().reading() as db_session:
        survey, questionnaire = load_survey(db_session, slug)
        country = stats.country_question(questionnaire)
        publication = published_figures().get(
            (survey.id, country.id if country else None),
            current_time(),
            lambda: publication_of(db_session, survey, questionnaire),
        )
    language = current_language()
    response = make_response(
        render(
            page(
                "respond/participation.html",
                survey,
                questionnaire,
                total=publication.total,
                total_text=_count_text(publication.total, language),
                by_country=_by_country(publication, questionnaire, language),
                by_day=_by_day(publication, language),
                cache_minutes=CACHE_MINUTES,
            )
        )
    )
    # The same page for everyone who asks for it in the same language: a shared cache may keep
    # it as long as the process keeps its figures. A response that sets a cookie is never
    # public (survey.sessions).
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_MINUTES * 60
    response.vary.add("Accept-Language")
    return response


# -- the page in its language ------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of a table as the page shows it."""

    key: str
    label: str
    text: str  # the count, "fewer than 5" or "hidden"
    kind: str  # "" (a count), "fewer" or "hidden"


@dataclass(frozen=True)
class Table:
    """A table of the page and its chart; without rows when withheld by the rule."""

    rows: tuple[Row, ...] | None
    chart: Markup | None


def _count_text(figure: Figure, language: str) -> str:
    if figure.shown is Shown.FEWER:
        return _("fewer than 5")
    if figure.shown is Shown.HIDDEN:
        return _("hidden")
    return format_decimal(figure.count or 0, locale=language)


def _row(figure: Figure, label: str, language: str) -> Row:
    kind = "" if figure.shown is Shown.EXACT else figure.shown.value
    return Row(figure.key, label, _count_text(figure, language), kind)


def _bars(rows: Sequence[Row], figures: Sequence[Figure]) -> list[Bar]:
    """Each row's bar: a count to scale; "fewer than 5" and "hidden" each drawn as the same
    mark, whatever the count behind it."""
    counts = {item.key: item.count for item in figures if item.shown is Shown.EXACT}
    return [Bar(counts.get(row.key), row.text, row.kind) for row in rows]


def _by_country(
    publication: Publication, questionnaire: Questionnaire, language: str
) -> Table | None:
    """Counts first (most first), then hidden and "fewer than 5" ones in alphabetical order
    (their order says nothing of their counts), then responses that gave no country."""
    if COUNTRY not in publication.tables:
        return None
    figures = publication.tables[COUNTRY]
    question = stats.country_question(questionnaire)
    if figures is None or question is None:
        return Table(None, None)
    order = {Shown.EXACT: 0, Shown.HIDDEN: 1, Shown.FEWER: 2}
    rows = []
    for figure in figures:
        label = (
            stats.country_label(question, figure.key, language)
            if figure.key != NOT_GIVEN
            else _("Country not given")
        )
        place = (figure.key == NOT_GIVEN, order[figure.shown], -(figure.count or 0))
        rows.append((place, sort_key(label), _row(figure, label, language)))
    ordered = [row for _place, _name, row in sorted(rows, key=lambda item: item[:2])]
    countries = sum(1 for row in ordered if row.key != NOT_GIVEN)
    chart = charts.bar_chart(
        "chart-by-country",
        _("Responses by country"),
        ngettext(
            "Responses from %(num)s country, in the order of the table after this chart.",
            "Responses from %(num)s countries, in the order of the table after this chart.",
            countries,
        ),
        [row.label for row in ordered],
        [(_("Responses"), _bars(ordered, figures))],
        bar_titles=False,
    )
    return Table(tuple(ordered), chart)


def _day_label(key: str, language: str) -> str:
    """A day (ISO) as written in `language`: Jan 10, 2027; 10 janv. 2027."""
    return format_date(date.fromisoformat(key), "medium", locale=language)


def _by_day(publication: Publication, language: str) -> Table:
    figures = publication.tables[DAY]
    if figures is None:
        return Table(None, None)
    rows = [_row(figure, _day_label(figure.key, language), language) for figure in figures]
    if not rows:
        return Table((), None)
    largest = max((item.count or 0 for item in figures if item.shown is Shown.EXACT), default=0)
    chart = charts.column_chart(
        "chart-per-day",
        _("Responses submitted per day (UTC)"),
        _(
            "One column a day from %(first)s to %(last)s; the table after this chart gives "
            "the same figures.",
            first=rows[0].label,
            last=rows[-1].label,
        ),
        [row.label for row in rows],
        _bars(rows, figures),
        largest_text=format_decimal(largest, locale=language),
    )
    return Table(tuple(rows), chart)
