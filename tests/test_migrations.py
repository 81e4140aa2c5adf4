"""The migrations make exactly the schema the models describe, and can be undone and redone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from survey import create_app, resume_codes
from survey.cli import alembic_config, migrate
from survey.db import make_engine
from survey.models import Base, SurveyResponse
from survey.questionnaire_store import find_survey, latest_version, load_questionnaire
from survey.settings import Settings
from tests.conftest import WE_OWN_IT


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


def test_resume_codes_stored_before_keyed_hashes_keep_working(tmp_path: Path):
    """Responses stored as SHA-256(code) by earlier versions: after the upgrade their codes
    still resume them, and only the keyed form is stored."""
    settings = Settings.for_folder(tmp_path, f"sqlite:///{tmp_path / 'old.db'}", "secret")
    app = create_app(settings)
    db = app.extensions["survey_db"]
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")  # the schema before keyed hashes
    code = "K7QF-3MZP-9XWA"
    with db.writing() as session:
        survey = find_survey(session, load_questionnaire(session, WE_OWN_IT).slug)
        moment = datetime(2027, 1, 15, 12, tzinfo=UTC)
        session.add(
            SurveyResponse(
                id="0" * 32,
                survey_id=survey.id,
                questionnaire_version_id=latest_version(session, survey).id,
                resume_code_hash=resume_codes.legacy_hash(code),
                status="in_progress",
                late=False,
                language="en",
                consent_version="1",
                started_at=moment,
                updated_at=moment,
            )
        )
    migrate(app)
    with db.reading() as session:
        (stored,) = session.scalars(select(SurveyResponse)).all()
    assert stored.resume_code_hash == resume_codes.code_hash(code, settings.resume_key)
    page = app.test_client().get("/s/we-own-it/resume/k7qf3mzp9xwa")
    assert page.status_code == 200
    assert ">Continue</button>" in page.get_data(as_text=True)
    db.dispose()
