"""Charts as SVG markup rendered on the server (no JavaScript), for the admin dashboard
(`survey.admin.charts`) and the public participation page (`survey.respond.participation`).

Each chart is an image (role="img") named by its <title> and <desc>; the page puts a table with
the same numbers after it. No style attributes (the CSP allows only the stylesheet): colours
and fonts are presentation attributes, sizes come from the viewBox so the chart scales to the
width of its column. Every piece of text is escaped.

What a bar shows is the caller's: its length on the chart's scale and the figure written for
it. A bar with no length (a count the page does not give) is drawn as a mark of one size, the
same for every such bar, so its drawing tells nothing of its count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH = 400
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
TEXT = "#0b0c0c"
MUTED = "#505a5f"
AXIS = "#b1b4b6"
COLOURS = ("#1d70b8", "#00703c", "#8a4a00")
LABEL_CHARACTERS = 46
MARK = 6  # the length of a bar that has none of its own


@dataclass(frozen=True)
class Bar:
    """One bar: its length on the chart's scale (None: the mark), the figure written beside it
    and in its title, a kind the stylesheet draws apart ("fewer", "hidden"), and attributes of
    its own for its group (the dashboard's data-label, data-value)."""

    length: float | None
    text: str
    kind: str = ""
    attributes: Mapping[str, object] = field(default_factory=dict)


def _attributes(values: Mapping[str, object]) -> str:
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(str(value))}"'
        for name, value in values.items()
    )


def element(name: str, content: str | None = None, **attributes: object) -> str:
    """One SVG element; `content` is text (escaped here), or None for an empty element."""
    if content is None:
        return f"<{name}{_attributes(attributes)}/>"
    return f"<{name}{_attributes(attributes)}>{escape(content)}</{name}>"


def _group(children: Sequence[str], bar: Bar) -> str:
    kind = f" bar-{bar.kind}" if bar.kind else ""
    return f"<g{_attributes({'class': f'bar{kind}', **bar.attributes})}>{''.join(children)}</g>"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def _largest(bars: Sequence[Bar]) -> float:
    return max((bar.length for bar in bars if bar.length is not None), default=0)


def _scaled(bar: Bar, largest: float, span: float) -> float:
    if bar.length is None:
        return MARK
    return 0.0 if largest == 0 else span * bar.length / largest


def _fill(bar: Bar, colour: str) -> str:
    return colour if bar.length is not None else AXIS


def svg(
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
        + element("title", title, id=f"{chart_id}-title")
        + element("desc", description, id=f"{chart_id}-desc")
        + "".join(body)
        + "</svg>"
    )


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Bar]]],
    *,
    bar_titles: bool = True,
) -> Markup:
    """Horizontal bars, one group per category: the label above, one bar per series (its name
    and its bars, one per label) with its figure after it."""
    bar, gap, label_height = 16, 4, 20
    legend = 24 if len(series) > 1 else 0
    row = label_height + len(series) * (bar + gap) + 8
    height = max(legend + row * len(labels), 24)
    largest = max((_largest(bars) for _name, bars in series), default=0)
    span = WIDTH - 72  # room for the number after the longest bar
    body: list[str] = []
    if legend:
        x = 0
        for index, (name, _bars) in enumerate(series):
            body.append(element("rect", x=x, y=4, width=12, height=12, fill=COLOURS[index % 3]))
            body.append(element("text", name, x=x + 17, y=16))
            x += 30 + 9 * len(name)
    if not labels:
        body.append(element("text", _("No data yet"), x=0, y=16, fill=MUTED))
    for position, label in enumerate(labels):
        top = legend + position * row
        body.append(element("text", _short(label), x=0, y=top + 15))
        for index, (name, bars) in enumerate(series):
            item = bars[position]
            length = _scaled(item, largest, span)
            y = top + label_height + index * (bar + gap)
            shapes = [
                element(
                    "rect",
                    x=0,
                    y=y,
                    width=f"{length:.1f}",
                    height=bar,
                    fill=_fill(item, COLOURS[index % 3]),
                ),
                element("text", item.text, x=f"{length + 4:.1f}", y=y + bar - 3),
            ]
            if bar_titles:
                named = f"{label}: {item.text}" + (f" ({name})" if len(series) > 1 else "")
                shapes.insert(0, element("title", named))
            body.append(_group(shapes, item))
    return svg(chart_id, title, description, height, "bars", body)


def column_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    bars: Sequence[Bar],
    *,
    largest_text: str,
) -> Markup:
    """Vertical columns in order (days), with the first and last label under the axis and the
    largest length written as `largest_text` at the top of the scale."""
    height, left, right, top, bottom = 220, 52, 8, 14, 40
    plot_width, plot_height = WIDTH - left - right, height - top - bottom
    largest = _largest(bars)
    baseline = top + plot_height
    body = _column_axes(left, right, top, baseline, largest_text if largest else None)
    if not labels:
        body.append(element("text", _("No data yet"), x=left + 4, y=baseline - 8, fill=MUTED))
    step = plot_width / max(len(labels), 1)
    width = max(step * 0.8, 1.0)
    for position, (label, item) in enumerate(zip(labels, bars, strict=True)):
        length = _scaled(item, largest, plot_height)
        x = left + position * step + (step - width) / 2
        column = element(
            "rect",
            x=f"{x:.2f}",
            y=f"{baseline - length:.2f}",
            width=f"{width:.2f}",
            height=f"{length:.2f}",
            fill=_fill(item, COLOURS[0]),
        )
        body.append(_group([element("title", f"{label}: {item.text}"), column], item))
    if labels:
        body.append(element("text", labels[0], x=left, y=baseline + 18, fill=MUTED))
    if len(labels) > 1:
        end = WIDTH - right
        body.append(
            element("text", labels[-1], x=end, y=baseline + 18, text_anchor="end", fill=MUTED)
        )
    return svg(chart_id, title, description, height, "columns", body)


def _column_axes(
    left: int, right: int, top: int, baseline: int, largest_text: str | None
) -> list[str]:
    """The baseline with 0, and (when a column has a length) a dashed line at the largest."""
    body = [
        element("line", x1=left, y1=baseline, x2=WIDTH - right, y2=baseline, stroke=AXIS),
        element("text", "0", x=left - 6, y=baseline + 4, text_anchor="end", fill=MUTED),
    ]
    if largest_text is not None:
        right_end = WIDTH - right
        body.append(
            element(
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
            element("text", largest_text, x=left - 6, y=top + 4, text_anchor="end", fill=MUTED)
        )
    return body
