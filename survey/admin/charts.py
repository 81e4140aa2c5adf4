"""Charts for the dashboard as SVG markup rendered on the server (no JavaScript).

Each chart is an image (role="img") named by its <title> and <desc>; the page puts a table with
the same numbers after it. No style attributes (the CSP allows only the stylesheet): colours
and fonts are presentation attributes, sizes come from the viewBox so the chart scales to the
width of its column. Every piece of text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

if TYPE_CHECKING:
    from survey.stats import Breakdown, Count, Dashboard, SectionFigures

WIDTH = 400
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
TEXT = "#0b0c0c"
MUTED = "#505a5f"
AXIS = "#b1b4b6"
COLOURS = ("#1d70b8", "#00703c", "#8a4a00")
LABEL_CHARACTERS = 46
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


def _attributes(values: dict[str, object]) -> str:
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(str(value))}"'
        for name, value in values.items()
    )


def _element(name: str, content: str | None = None, **attributes: object) -> str:
    """One SVG element; `content` is text (escaped here), or None for an empty element."""
    if content is None:
        return f"<{name}{_attributes(attributes)}/>"
    return f"<{name}{_attributes(attributes)}>{escape(content)}</{name}>"


def _group(children: Sequence[str], **attributes: object) -> str:
    return f"<g{_attributes(attributes)}>{''.join(children)}</g>"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def _svg(
    chart_id: str, title: str, description: str, height: float, kind: str, body: list[str]
) -> Markup:
    opening = _attributes(
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": f"chart chart-{kind}",
            "id": chart_id,
            "viewBox": f"0 0 {WIDTH} {height:g}",
            "width": "100%",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "font-family": FONT,
            "font-size": 15,
            "fill": TEXT,
        }
    )
    return Markup(
        f"<svg{opening}>"
        + _element("title", title, id=f"{chart_id}-title")
        + _element("desc", description, id=f"{chart_id}-desc")
        + "".join(body)
        + "</svg>"
    )


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
) -> Markup:
    """Horizontal bars, one group per category: the label above, one bar per series."""
    bar, gap, label_height = 16, 4, 20
    legend = 24 if len(series) > 1 else 0
    row = label_height + len(series) * (bar + gap) + 8
    height = max(legend + row * len(labels), 24)
    largest = max((value for item in series for value in item.values), default=0)
    span = WIDTH - 72  # room for the number after the longest bar
    body: list[str] = []
    if legend:
        x = 0
        for index, item in enumerate(series):
            body.append(_element("rect", x=x, y=4, width=12, height=12, fill=COLOURS[index % 3]))
            body.append(_element("text", item.name, x=x + 17, y=16))
            x += 30 + 9 * len(item.name)
    if not labels:
        body.append(_element("text", _("No data yet"), x=0, y=16, fill=MUTED))
    for position, label in enumerate(labels):
        top = legend + position * row
        body.append(_element("text", _short(label), x=0, y=top + 15))
        for index, item in enumerate(series):
            value = item.values[position]
            length = 0.0 if largest == 0 else span * value / largest
            y = top + label_height + index * (bar + gap)
            name = f"{label}: {number(value)}" + (f" ({item.name})" if len(series) > 1 else "")
            shapes = [
                _element("title", name),
                _element(
                    "rect", x=0, y=y, width=f"{length:.1f}", height=bar, fill=COLOURS[index % 3]
                ),
                _element("text", number(value), x=f"{length + 4:.1f}", y=y + bar - 3),
            ]
            body.append(
                _group(
                    shapes, class_="bar", data_label=label, data_series=item.name, data_value=value
                )
            )
    return _svg(chart_id, title, description, height, "bars", body)


def column_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[int],
) -> Markup:
    """Vertical columns in order (days), with the first and last label under the axis."""
    height, left, right, top, bottom = 220, 52, 8, 14, 40
    plot_width, plot_height = WIDTH - left - right, height - top - bottom
    largest = max(values, default=0)
    baseline = top + plot_height
    body = _column_axes(left, right, top, baseline, largest)
    if not labels:
        body.append(_element("text", _("No data yet"), x=left + 4, y=baseline - 8, fill=MUTED))
    step = plot_width / max(len(labels), 1)
    width = max(step * 0.8, 1.0)
    for position, (label, value) in enumerate(zip(labels, values, strict=True)):
        length = 0.0 if largest == 0 else plot_height * value / largest
        x = left + position * step + (step - width) / 2
        column = _element(
            "rect",
            x=f"{x:.2f}",
            y=f"{baseline - length:.2f}",
            width=f"{width:.2f}",
            height=f"{length:.2f}",
            fill=COLOURS[0],
        )
        title_text = _element("title", f"{label}: {number(value)}")
        body.append(_group([title_text, column], class_="bar", data_label=label, data_value=value))
    if labels:
        body.append(_element("text", labels[0], x=left, y=baseline + 18, fill=MUTED))
    if len(labels) > 1:
        end = WIDTH - right
        body.append(
            _element("text", labels[-1], x=end, y=baseline + 18, text_anchor="end", fill=MUTED)
        )
    return _svg(chart_id, title, description, height, "columns", body)


def _column_axes(left: int, right: int, top: int, baseline: int, largest: int) -> list[str]:
    """The baseline with 0, and (when there is a column) a dashed line at the largest value."""
    body = [
        _element("line", x1=left, y1=baseline, x2=WIDTH - right, y2=baseline, stroke=AXIS),
        _element("text", "0", x=left - 6, y=baseline + 4, text_anchor="end", fill=MUTED),
    ]
    if largest:
        right_end = WIDTH - right
        body.append(
            _element(
                "line",
                None,
                x1=left,
                y1=top,
                x2=right_end,
                y2=top,
                stroke=AXIS,
                stroke_dasharray="3 3",
            )
        )
        body.append(
            _element("text", number(largest), x=left - 6, y=top + 4, text_anchor="end", fill=MUTED)
        )
    return body


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
