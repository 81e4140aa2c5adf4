"""Alembic environment: runs against the connection `survey` hands over, or the configured URL."""

from __future__ import annotations

from alembic import context

from survey.db import foreign_keys_off, make_engine
from survey.models import Base, exists_on
from survey.settings import Settings

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or Settings.from_environment().database_url
    engine = make_engine(url)
    with engine.connect() as connection, foreign_keys_off(connection):
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # What the models give to another database only is not expected on this one.
        include_object=lambda item, _name, _type, reflected, _other: (
            reflected or exists_on(connection.dialect.name, item)
        ),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run them against a database")
run_migrations()
