"""The dashboard's charts, drawn by `survey.charts`: every bar to scale, its count written
beside it and kept in its group's data-label, data-series and data-value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from survey import charts
from survey.charts import Bar

if TYPE_CHECKING:
    from survey.stats import Breakdown, Count, Dashboard, SectionFigures

NBSP = "\u00a0"  # keeps a number with its unit on one line


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


def number(value: int) -> str:
    """A count as shown everywhere on the dashboard: 12,345."""
    return f"{value:,}"


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.1f}{NBSP}%"


def duration(seconds: float | None) -> str:
    """A duration in words, to the second: 1 h 02 min 05 s, 12 min 30 s, 45 s (with no-break
    spaces between each number and its unit)."""
    if seconds is None:
        return "–"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}{NBSP}h {minutes:02d}{NBSP}min {secs:02d}{NBSP}s"
    if minutes:
        return f"{minutes}{NBSP}min {secs:02d}{NBSP}s"
    return f"{secs}{NBSP}s"


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
) -> Markup:
    """Horizontal bars, one group per category: the label above, one bar per series."""
    return charts.bar_chart(
        chart_id,
        title,
        description,
        labels,
        [
            (
                item.name,
                [
                    Bar(
                        value,
                        number(value),
                        attributes={
                            "data_label": label,
                            "data_series": item.name,
                            "data_value": value,
                        },
                    )
                    for label, value in zip(labels, item.values, strict=True)
                ],
            )
            for item in series
        ],
    )


def column_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[int],
) -> Markup:
    """Vertical columns in order (days), with the first and last label under the axis."""
    return charts.column_chart(
        chart_id,
        title,
        description,
        labels,
        [
            Bar(value, number(value), attributes={"data_label": label, "data_value": value})
            for label, value in zip(labels, values, strict=True)
        ],
        largest_text=number(max(values, default=0)),
    )


def _categories(chart_id: str, title: str, description: str, counts: Sequence[Count]) -> Markup:
    return bar_chart(
        chart_id,
        title,
        description,
        [item.label for item in counts],
        [Series(_("Responses"), [item.count for item in counts])],
    )


def per_day_chart(days: Sequence[Count]) -> Markup:
    """Responses started per day, described by its span and its busiest day."""
    busiest = max(days, key=lambda item: item.count, default=None)
    return column_chart(
        "chart-per-day",
        _("Responses started per day (UTC)"),
        ngettext(
            "%(num)s day from %(first)s to %(last)s; the busiest was %(busiest)s with %(count)s.",
            "%(num)s days from %(first)s to %(last)s; the busiest was %(busiest)s with %(count)s.",
            len(days),
            first=days[0].label,
            last=days[-1].label,
            busiest=busiest.label,
            count=number(busiest.count),
        )
        if days and busiest
        else _("No responses yet."),
        [item.label for item in days],
        [item.count for item in days],
    )


def breakdown_chart(breakdown: Breakdown) -> Markup:
    """The answers to one question the questionnaire breaks down by, titled by its label."""
    return _categories(
        f"chart-breakdown-{breakdown.question_id}",
        breakdown.title,
        _(
            "Each choice in questionnaire order; a response that picked several choices counts "
            "once for each."
        )
        if breakdown.multiple
        else _("Each choice in questionnaire order."),
        breakdown.counts,
    )


def drop_off_chart(sections: Sequence[SectionFigures]) -> Markup:
    """How many responses reached and finished each section, in questionnaire order."""
    return bar_chart(
        "chart-drop-off",
        _("Drop-off by section"),
        _(
            "For each section in questionnaire order, how many responses reached it and how "
            "many finished it."
        ),
        [item.title for item in sections],
        [
            Series(_("Reached"), [item.reached for item in sections]),
            Series(_("Finished"), [item.finished for item in sections]),
        ],
    )


def dashboard_charts(figures: Dashboard) -> dict[str, Markup]:
    """The dashboard's charts by name, each described for people who cannot see it; the
    breakdowns' charts are named `breakdown-<question id>`."""
    breakdowns = {
        f"breakdown-{item.question_id}": breakdown_chart(item) for item in figures.breakdowns
    }
    return breakdowns | {
        "per_day": per_day_chart(figures.per_day),
        "by_country": _categories(
            "chart-by-country",
            _("Responses by country"),
            ngettext(
                "%(num)s country, most responses first.",
                "%(num)s countries, most responses first.",
                len(figures.by_country),
            ),
            figures.by_country,
        ),
        "by_channel": _categories(
            "chart-by-channel",
            _("Responses by channel"),
            ngettext(
                "%(num)s channel, most responses first.",
                "%(num)s channels, most responses first.",
                len(figures.by_channel),
            ),
            figures.by_channel,
        ),
        "by_language": _categories(
            "chart-by-language",
            _("Responses by language"),
            ngettext(
                "%(num)s language, most responses first.",
                "%(num)s languages, most responses first.",
                len(figures.by_language),
            ),
            figures.by_language,
        ),
        "drop_off": drop_off_chart(figures.drop_off),
    }
