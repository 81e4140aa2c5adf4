"""A psycopg cursor whose `description` makes its columns only when they are looked at.

SQLAlchemy asks for `cursor.description` after every statement, and psycopg (3.3) makes a
`Column` object for each column of the result every time it is asked, each looking up its type
(a known cost: psycopg issue 446). SQLAlchemy reads the columns only the first time it runs a
compiled statement, and keeps what it learned with it; after that it asks only whether there is
a description. A page's one read has 32 columns: making them was about a fifth of the CPU the
statement cost through SQLAlchemy's Core.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg import pq

_DESCRIBE = psycopg.Cursor.description.fget  # type: ignore[attr-defined]
_TUPLES = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class LazyDescription(Sequence[psycopg.Column]):
    """The columns of one result of a cursor: how many there are at once, the columns
    themselves made on first use, from that result."""

    __slots__ = ("_columns", "_cursor", "_result")

    def __init__(self, cursor: psycopg.Cursor[Any], result: pq.abc.PGresult):
        self._cursor = cursor
        self._result = result
        self._columns: list[psycopg.Column] | None = None

    def _made(self) -> list[psycopg.Column]:
        if self._columns is None:
            if self._cursor.pgresult is not self._result:
                raise psycopg.InterfaceError(
                    "the description of a result the cursor has moved on from"
                )
            self._columns = _DESCRIBE(self._cursor)
        return self._columns

    def __len__(self) -> int:
        return self._result.nfields

    @overload
    def __getitem__(self, index: int) -> psycopg.Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[psycopg.Column]: ...

    def __getitem__(self, index: int | slice) -> psycopg.Column | list[psycopg.Column]:
        return self._made()[index]

    def __iter__(self) -> Iterator[psycopg.Column]:
        return iter(self._made())

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._made())


class LazilyDescribedCursor(psycopg.Cursor[Any]):
    """psycopg's cursor, its `description` a `LazyDescription` (None as psycopg's is)."""

    @property
    def description(self) -> LazyDescription | None:  # type: ignore[override]
        result = self.pgresult
        if result is None or not (result.nfields or result.status in _TUPLES):
            return None
        return LazyDescription(self, result)
