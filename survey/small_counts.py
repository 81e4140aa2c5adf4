"""Publishing counts without revealing small ones: the rule of the public participation page.

Pure functions of the counts (no Flask, no database). A publication is a total and tables of
counts that each add up to it (responses by country, by day). The rule (README, "The
participation page"):

1. Every count under 5 is published as "fewer than 5" (FEWER), the total included.
2. A table that has such a count, and counts of 5 or more, also hides its smallest count of 5
   or more (HIDDEN, the first by key among equals): without it, the table's total minus the
   counts shown would give the sum of the small ones. (Unless the others give it away anyway:
   a 5 with another 5 after it, or a 6 before it, stays shown.)
3. The published figures are then checked as a reader who knows this rule would read them: an
   exact count is itself, "fewer than 5" is 0 to 4 (1 to 4 where the row's presence says
   someone is there: a listed country, the first and last day), "hidden" is at least 5 and at
   most the smallest count shown (by the rule's order), and every table adds up to the total.
   From that alone, each "fewer than 5" must keep at least two possible values, and the
   "fewer than 5" counts of a table together must not come to one known number under 5.
   A table that fails is withheld (not published at all).
4. With fewer than 5 in all, only the total is published, as "fewer than 5".

Which rows are hidden depends only on which counts are under 5 and which larger count is the
smallest, and the check reads only what is published, assuming that knowledge: knowing the rule
tells a reader nothing the check has not already taken into account.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SMALL = 5  # counts under this are published as "fewer than 5"
TOTAL = "total"  # the key of the total in `reader_bounds`


class Shown(enum.StrEnum):
    EXACT = "exact"
    FEWER = "fewer"  # "fewer than 5"
    HIDDEN = "hidden"  # 5 or more, hidden so that the small counts cannot be worked out


@dataclass(frozen=True)
class Cell:
    """One count to publish. `present`: its row tells a reader it holds at least one (a
    country listed because someone gave it, the first and last day); else it may hold none."""

    key: str
    count: int
    present: bool = True


@dataclass(frozen=True)
class Figure:
    """One published count: the number itself only when `shown` is EXACT."""

    key: str
    shown: Shown
    count: int | None
    present: bool = True


@dataclass(frozen=True)
class Publication:
    """The total and each table as published; a table of None is withheld."""

    total: Figure
    tables: Mapping[str, tuple[Figure, ...] | None]


@dataclass(frozen=True)
class Bounds:
    """The values of one count a reader can still hold possible, from `low` to `high`."""

    low: int
    high: int

    @property
    def pinned(self) -> bool:
        return self.low == self.high


def publish(total: int, tables: Mapping[str, Sequence[Cell]]) -> Publication:
    """The total and `tables` (each adding up to `total`) as the rule publishes them."""
    for name, cells in tables.items():
        if sum(cell.count for cell in cells) != total:
            raise ValueError(f"the {name} table does not add up to the total")
    if total == 0:
        return Publication(_exact(TOTAL, 0), {name: () for name in tables})
    if total < SMALL:
        return Publication(_fewer(TOTAL), dict.fromkeys(tables))
    published: dict[str, tuple[Figure, ...] | None] = {}
    for name, cells in tables.items():
        figures = _hide_small(cells)
        checked = Publication(_exact(TOTAL, total), {name: figures})
        published[name] = None if problems(checked) else figures
    return Publication(_exact(TOTAL, total), published)


def _exact(key: str, count: int, present: bool = True) -> Figure:
    return Figure(key, Shown.EXACT, count, present)


def _fewer(key: str, present: bool = True) -> Figure:
    return Figure(key, Shown.FEWER, None, present)


def _hide_small(cells: Sequence[Cell]) -> tuple[Figure, ...]:
    """Steps 1 and 2 of the rule for one table."""
    large = [cell for cell in cells if cell.count >= SMALL]
    hidden = None
    if large and len(large) < len(cells):
        hidden = min(large, key=lambda cell: (cell.count, cell.key)).key
    figures = tuple(_as_published(cell, hidden) for cell in cells)
    if hidden is not None and _own_bounds(_figure_in(figures, hidden), figures).pinned:
        # A 5 before another 5, or before a 6 shown with an earlier key: hiding it hides
        # nothing, so it is shown.
        return tuple(_as_published(cell, None) for cell in cells)
    return figures


def _as_published(cell: Cell, hidden: str | None) -> Figure:
    if cell.count < SMALL:
        return _fewer(cell.key, cell.present)
    if cell.key == hidden:
        return Figure(cell.key, Shown.HIDDEN, None, cell.present)
    return _exact(cell.key, cell.count, cell.present)


# -- what a reader can work out ----------------------------------------------------------------


def reader_bounds(publication: Publication) -> dict[tuple[str, str], Bounds]:
    """Every count of `publication` as a reader who knows the rule can narrow it down, keyed
    by (table, key); the total as ("", TOTAL)."""
    tables = {name: figures for name, figures in publication.tables.items() if figures}
    total = _own_bounds(publication.total, ())
    priors = {
        name: [_own_bounds(item, figures) for item in figures] for name, figures in tables.items()
    }
    # The total is what every table adds up to.
    low, high = total.low, total.high
    for bounds in priors.values():
        low = max(low, sum(item.low for item in bounds))
        high = min(high, sum(item.high for item in bounds))
    if low > high:
        raise ValueError("the published figures contradict each other")
    found = {("", TOTAL): Bounds(low, high)}
    for name, figures in tables.items():
        bounds = priors[name]
        lows, highs = sum(item.low for item in bounds), sum(item.high for item in bounds)
        for figure, own in zip(figures, bounds, strict=True):
            others_low, others_high = lows - own.low, highs - own.high
            found[(name, figure.key)] = Bounds(
                max(own.low, low - others_high), min(own.high, high - others_low)
            )
    return found


def fewer_sum_bounds(publication: Publication, name: str) -> Bounds | None:
    """What a reader can work out of the sum of the "fewer than 5" counts of one table (None:
    the table has none, or is withheld)."""
    figures = publication.tables.get(name)
    if not figures or not any(item.shown is Shown.FEWER for item in figures):
        return None
    everything = reader_bounds(publication)
    total = everything[("", TOTAL)]
    fewer = [_own_bounds(item, figures) for item in figures if item.shown is Shown.FEWER]
    rest = [_own_bounds(item, figures) for item in figures if item.shown is not Shown.FEWER]
    return Bounds(
        max(sum(item.low for item in fewer), total.low - sum(item.high for item in rest)),
        min(sum(item.high for item in fewer), total.high - sum(item.low for item in rest)),
    )


def problems(publication: Publication) -> list[str]:
    """What a reader could work out that the rule forbids (empty: nothing)."""
    found = []
    for (name, key), bounds in reader_bounds(publication).items():
        figure = publication.total if key == TOTAL and not name else _figure(publication, name, key)
        if figure.shown is Shown.FEWER and bounds.pinned:
            found.append(f"{name} {key}: known to be {bounds.low}".lstrip())
    for name in publication.tables:
        together = fewer_sum_bounds(publication, name)
        if together is not None and together.pinned and together.low < SMALL:
            found.append(f"{name}: its counts under {SMALL} are known to make {together.low}")
    return found


def _figure(publication: Publication, name: str, key: str) -> Figure:
    return _figure_in(publication.tables[name] or (), key)


def _figure_in(figures: Sequence[Figure], key: str) -> Figure:
    return next(item for item in figures if item.key == key)


def _own_bounds(figure: Figure, table: Sequence[Figure]) -> Bounds:
    """What a reader knows of one figure from its own row and the rule's order."""
    if figure.shown is Shown.EXACT:
        return Bounds(figure.count or 0, figure.count or 0)
    if figure.shown is Shown.FEWER:
        return Bounds(1 if figure.present else 0, SMALL - 1)
    # The hidden count was the smallest of 5 or more, the first by key among equals: at most
    # each count shown, and less than one shown with a key before its own.
    limits = [
        (other.count or 0) - (1 if other.key < figure.key else 0)
        for other in table
        if other.shown is Shown.EXACT and (other.count or 0) >= SMALL
    ]
    return Bounds(SMALL, min(limits, default=_UNBOUNDED))


# Larger than any count, so that sums stay integers; the total bounds every count anyway.
_UNBOUNDED = 10**12
