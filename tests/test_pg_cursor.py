"""PostgreSQL cursors describe their results lazily (`survey.pg_cursor`): the columns, made
only when looked at, are psycopg's own, and whatever reads them sees the same."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select, text

from survey.models import Survey
from survey.pg_cursor import LazilyDescribedCursor, LazyDescription

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

QUERY = "SELECT 1 AS one, 'two'::text AS two, now() AS three"


def test_the_columns_are_psycopgs_own(database_url: str):
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        plain = connection.cursor()
        plain.execute(QUERY)
        connection.cursor_factory = LazilyDescribedCursor
        lazy = connection.cursor()
        lazy.execute(QUERY)

        described = lazy.description
        assert isinstance(described, LazyDescription)
        assert len(described) == 3
        assert [(c.name, c.type_code) for c in described] == [
            (c.name, c.type_code) for c in plain.description or ()
        ]
        assert described[1].name == "two"
        assert described == list(described)

        lazy.execute("SET application_name = 'lazy'")  # no rows: no description
        assert lazy.description is None


def test_a_description_kept_past_the_next_statement_is_refused(database_url: str):
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, cursor_factory=LazilyDescribedCursor) as connection:
        cursor = connection.cursor()
        cursor.execute(QUERY)
        kept = cursor.description
        cursor.execute("SELECT 1 AS other")
        assert kept is not None
        with pytest.raises(psycopg.InterfaceError, match="moved on"):
            kept[0]


def test_the_apps_statements_read_their_columns_by_name(one_connection):
    """Compiled statements (columns known from the compiled SQL) and textual ones (names read
    from the description) alike."""
    with one_connection.reading() as session:
        raw = session.connection().connection.driver_connection
        assert raw.cursor_factory is LazilyDescribedCursor
        row = session.execute(text(QUERY)).mappings().one()
        assert row["one"] == 1 and row["two"] == "two"
        assert session.execute(select(Survey.slug, Survey.id)).keys() == ["slug", "id"]
