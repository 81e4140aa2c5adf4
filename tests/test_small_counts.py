"""The small-counts rule of the participation page: no count under 5 can be read or worked out.

Each adversarial table is published by the rule and then solved by brute force, as a reader
who knows the rule would solve it: every whole-number assignment of the counts that agrees with
what is published. That solver is written here, apart from the module's own interval reckoning,
which it also checks. The exhaustive tests go further: they publish every table of a given size
and group the tables by what the page would show, so a reader's knowledge of the rule, of
why a row is hidden and of when a table is withheld, is all taken into account.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator, Sequence

import pytest

from survey.small_counts import (
    SMALL,
    TOTAL,
    Bounds,
    Cell,
    Figure,
    Publication,
    Shown,
    fewer_sum_bounds,
    problems,
    publish,
    reader_bounds,
)


def cells(*counts: int, absent: Sequence[int] = ()) -> list[Cell]:
    """A table of counts keyed a, b, c ...; rows at the positions in `absent` may hold none."""
    return [
        Cell(chr(ord("a") + index), count, present=index not in absent)
        for index, count in enumerate(counts)
    ]


def shown(publication: Publication, name: str = "country") -> dict[str, str]:
    """key -> the figure as the page shows it: the number, "fewer", "hidden"; {} if withheld."""
    figures = publication.tables[name]
    return {
        item.key: str(item.count) if item.shown is Shown.EXACT else item.shown.value
        for item in figures or ()
    }


# -- a reader who solves the published figures by brute force ----------------------------------


def _candidates(figure: Figure, table: Sequence[Figure], largest: int) -> range:
    """Values one figure may take, from its own row and the rule's order of hiding."""
    if figure.shown is Shown.EXACT:
        assert figure.count is not None
        return range(figure.count, figure.count + 1)
    if figure.shown is Shown.FEWER:
        return range(1 if figure.present else 0, SMALL)
    return range(SMALL, largest + 1)


def _hidden_in_order(table: Sequence[Figure], values: dict[str, int]) -> bool:
    """The rule hid the smallest count of 5 or more, the first by key among equals."""
    for item in table:
        if item.shown is Shown.HIDDEN:
            for other in table:
                if other.shown is Shown.EXACT and (values[item.key], item.key) > (
                    values[other.key],
                    other.key,
                ):
                    return False
    return True


def solutions(publication: Publication, name: str, totals: Sequence[int]) -> Iterator[dict]:
    """Every assignment of one table's counts (and the total) that agrees with what is
    published: each row as its label says, the hidden one the smallest, the sum the total."""
    table = publication.tables[name]
    assert table is not None
    for total in totals:
        options = [_candidates(item, table, total) for item in table]
        for values in itertools.product(*options):
            if sum(values) != total:
                continue
            assignment = dict(zip((item.key for item in table), values, strict=True))
            if _hidden_in_order(table, assignment):
                yield {**assignment, TOTAL: total}


def possible_values(publication: Publication, name: str = "country") -> dict[str, set[int]]:
    """key -> every value a reader can still hold possible."""
    total = publication.total
    totals = [total.count] if total.shown is Shown.EXACT else list(range(1, SMALL))
    possible: dict[str, set[int]] = defaultdict(set)
    for solution in solutions(publication, name, totals):
        for key, value in solution.items():
            possible[key].add(value)
    return possible


def assert_nothing_small_can_be_worked_out(publication: Publication, name: str = "country"):
    """Every "fewer than 5" keeps two possible values, their sum is no known number under 5,
    and the module reckons the same bounds as the brute force."""
    table = publication.tables[name]
    if table is None:
        return
    possible = possible_values(publication, name)
    fewer = [item.key for item in table if item.shown is Shown.FEWER]
    for key in fewer:
        assert len(possible[key]) >= 2, (key, possible[key])
    total = publication.total
    totals = [total.count] if total.shown is Shown.EXACT else list(range(1, SMALL))
    sums = {sum(s[key] for key in fewer) for s in solutions(publication, name, totals)}
    if fewer:
        assert len(sums) > 1 or min(sums) >= SMALL, sums
    bounds = reader_bounds(publication)
    for key in fewer:
        assert bounds[(name, key)] == Bounds(min(possible[key]), max(possible[key]))
    assert problems(publication) == []


# -- the adversarial tables --------------------------------------------------------------------


def test_counts_of_5_or_more_are_shown_as_they_are():
    publication = publish(27, {"country": cells(12, 10, 5)})
    assert shown(publication) == {"a": "12", "b": "10", "c": "5"}
    assert publication.total == Figure(TOTAL, Shown.EXACT, 27)


def test_one_small_count_hides_the_smallest_other_one():
    publication = publish(62, {"country": cells(50, 10, 2)})
    assert shown(publication) == {"a": "50", "b": "hidden", "c": "fewer"}
    assert possible_values(publication)["c"] == {1, 2, 3, 4}
    assert_nothing_small_can_be_worked_out(publication)


def test_one_small_count_alone_beside_the_total_would_be_known():
    """Why the rule hides more than the small count: 62 - 50 - 10 is 2."""
    naive = Publication(
        Figure(TOTAL, Shown.EXACT, 62),
        {
            "country": (
                Figure("a", Shown.EXACT, 50),
                Figure("b", Shown.EXACT, 10),
                Figure("c", Shown.FEWER, None),
            )
        },
    )
    assert possible_values(naive)["c"] == {2}
    assert "country c: known to be 2" in problems(naive)


@pytest.mark.parametrize("small", [(1, 1), (4, 4), (3, 1)], ids=["sum-2", "sum-8", "sum-4"])
def test_two_small_counts_whatever_their_sum(small):
    publication = publish(60 + sum(small), {"country": cells(50, 10, *small)})
    assert shown(publication) == {"a": "50", "b": "hidden", "c": "fewer", "d": "fewer"}
    assert_nothing_small_can_be_worked_out(publication)
    # Without the hidden row, both would be known (1 and 1, 4 and 4), or their sum (4).
    naive = Publication(
        publication.total,
        {
            "country": tuple(
                Figure(item.key, Shown.EXACT, 10) if item.key == "b" else item
                for item in publication.tables["country"] or ()
            )
        },
    )
    assert problems(naive)


def test_every_count_small_is_published_when_it_cannot_be_solved():
    publication = publish(7, {"country": cells(3, 4)})
    assert shown(publication) == {"a": "fewer", "b": "fewer"}
    assert possible_values(publication)["a"] == {3, 4}
    assert_nothing_small_can_be_worked_out(publication)


@pytest.mark.parametrize(
    "counts", [(4, 4), (1, 1, 1, 1, 1), (4, 4, 4)], ids=["4+4", "five-ones", "4+4+4"]
)
def test_every_count_small_and_solvable_withholds_the_table(counts):
    publication = publish(sum(counts), {"country": cells(*counts)})
    assert publication.tables["country"] is None
    assert publication.total == Figure(TOTAL, Shown.EXACT, sum(counts))


def test_a_5_before_another_5_stays_shown():
    """Hidden, "a" would be known to be 5: at least 5, and not more than "b" after it."""
    publication = publish(17, {"country": cells(5, 5, 3, 4)})
    assert shown(publication) == {"a": "5", "b": "5", "c": "fewer", "d": "fewer"}
    assert possible_values(publication)["c"] == {3, 4}
    assert_nothing_small_can_be_worked_out(publication)


def test_a_hidden_count_pinned_by_an_equal_one_withholds_the_table():
    """Hidden, "a" (5) would be known to be 5 ("b", 5, comes after it), so the two small
    counts are known to make 3 together, shown or hidden."""
    publication = publish(13, {"country": cells(5, 5, 2, 1)})
    assert publication.tables["country"] is None
    baseline = Publication(
        publication.total,
        {
            "country": (
                Figure("a", Shown.HIDDEN, None),
                Figure("b", Shown.EXACT, 5),
                Figure("c", Shown.FEWER, None),
                Figure("d", Shown.FEWER, None),
            )
        },
    )
    assert fewer_sum_bounds(baseline, "country") == Bounds(3, 3)
    assert problems(baseline) == ["country: its counts under 5 are known to make 3"]


def test_a_total_under_5_is_all_that_is_published():
    publication = publish(4, {"country": cells(1, 1, 1, 1), "day": cells(3, 1)})
    assert publication.total == Figure(TOTAL, Shown.FEWER, None)
    assert publication.tables == {"country": None, "day": None}
    assert reader_bounds(publication)[("", TOTAL)] == Bounds(1, 4)
    # Published anyway, four listed countries would give the total (4) and each of them (1).
    listed = Publication(
        publication.total, {"country": tuple(Figure(k, Shown.FEWER, None) for k in "abcd")}
    )
    assert reader_bounds(listed)[("", TOTAL)] == Bounds(4, 4)
    assert "total: known to be 4" in problems(listed)
    assert "country a: known to be 1" in problems(listed)


def test_no_responses_publishes_zero_and_empty_tables():
    publication = publish(0, {"country": [], "day": []})
    assert publication.total == Figure(TOTAL, Shown.EXACT, 0)
    assert publication.tables == {"country": (), "day": ()}


def test_a_day_table_with_empty_days():
    """Days between the first and the last may hold none: they are "fewer than 5" too, and
    a reader can count them from 0."""
    days = cells(40, 0, 0, 3, 0, 12, 1, absent=(1, 2, 3, 4, 5))
    publication = publish(56, {"day": days})
    assert shown(publication, "day") == {
        "a": "40",
        "b": "fewer",
        "c": "fewer",
        "d": "fewer",
        "e": "fewer",
        "f": "hidden",
        "g": "fewer",
    }
    assert possible_values(publication, "day")["b"] == {0, 1, 2, 3, 4}
    assert_nothing_small_can_be_worked_out(publication, "day")


def test_empty_days_alone_beside_the_total_would_be_known():
    # 10 + 0 + 0 + 5: with the 5 hidden, 15 - 10 leaves 5 for it and the two days, which it
    # needs whole: the empty days are known to be empty.
    publication = publish(15, {"day": cells(10, 0, 0, 5, absent=(1, 2))})
    assert publication.tables["day"] is None


def test_tables_are_judged_apart_when_the_total_is_known():
    publication = publish(8, {"country": cells(4, 4), "day": cells(8)})
    assert publication.tables == {"country": None, "day": (Figure("a", Shown.EXACT, 8),)}


def test_a_table_that_does_not_add_up_is_refused():
    with pytest.raises(ValueError, match="country"):
        publish(10, {"country": cells(4, 4)})


# -- every table of a size, as a reader who knows the rule sees them -----------------------------


def _tables(size: int, total: int, absent: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Every table of `size` counts adding up to `total`; a present row holds at least 1."""
    for values in itertools.product(range(total + 1), repeat=size - 1):
        last = total - sum(values)
        counts = (*values, last)
        if last >= 0 and all(counts[i] >= 1 for i in range(size) if i not in absent):
            yield counts


@pytest.mark.parametrize(
    ("size", "absent", "totals"),
    [(3, (), range(1, 24)), (4, (), range(1, 19)), (4, (1, 2), range(1, 17))],
    ids=["3-countries", "4-countries", "4-days-2-may-be-empty"],
)
def test_no_table_lets_a_reader_who_knows_the_rule_pin_a_small_count(size, absent, totals):
    """Every table of a size and total is published, and tables are grouped by what the page
    shows: within a group a reader cannot tell them apart, so each "fewer than 5" must differ
    between some two of them, and so must their sum unless it is 5 or more."""
    for total in totals:
        seen: dict[object, list[tuple[int, ...]]] = defaultdict(list)
        for counts in _tables(size, total, absent):
            publication = publish(total, {"day": cells(*counts, absent=absent)})
            table = publication.tables["day"]
            seen[(publication.total, table)].append(counts)
            if table is not None:
                assert problems(publication) == []
        for (_total, table), group in seen.items():
            fewer = [i for i, item in enumerate(table or ()) if item.shown is Shown.FEWER]
            for index in fewer:
                assert len({counts[index] for counts in group}) >= 2, (table, group)
            if fewer:
                sums = {sum(counts[i] for i in fewer) for counts in group}
                assert len(sums) >= 2 or min(sums) >= SMALL, (table, group)
