"""The migrations make exactly the schema the models describe, and can be undone and redone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from survey.cli import alembic_config
from survey.db import make_engine
from survey.models import Base


def differences(connection) -> list:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "compare_server_default": True},
    )
    return compare_metadata(context, Base.metadata)


def test_migrated_database_matches_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert differences(connection) == []
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_on_a_fresh_sqlite_file(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    model_tables = set(Base.metadata.tables)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
            assert model_tables <= set(inspect(connection).get_table_names())
            command.downgrade(alembic_config(connection), "base")
            assert not model_tables & set(inspect(connection).get_table_names())
            command.upgrade(alembic_config(connection), "head")
            assert differences(connection) == []
    finally:
        engine.dispose()
