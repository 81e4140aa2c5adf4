"""The migrations make exactly the schema the models describe, and can be undone and redone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from survey import audit, create_app, resume_codes
from survey.cli import alembic_config, migrate
from survey.db import foreign_keys_off, make_engine
from survey.export import queue
from survey.models import (
    AdminSession,
    Base,
    ExportJob,
    SurveyResponse,
    User,
    UserChannel,
    exists_on,
)
from survey.questionnaire_store import find_survey, latest_version, load_questionnaire
from survey.settings import Settings
from tests.conftest import WE_OWN_IT


def differences(connection) -> list:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            # What the models give to another database only (an index) is not expected here.
            "include_object": lambda item, _name, _type, reflected, _other: (
                reflected or exists_on(connection.dialect.name, item)
            ),
        },
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


def test_export_files_on_disk_move_into_the_database(tmp_path: Path):
    """Exports finished before files were kept in the database: a file still in the exports
    folder is moved in and downloadable; a job whose file is gone is marked failed."""
    settings = Settings.for_folder(tmp_path, f"sqlite:///{tmp_path / 'old.db'}", "secret")
    db = create_app(settings).extensions["survey_db"]
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0006")
        survey_id = connection.execute(
            text(
                "INSERT INTO surveys (slug, default_language, timezone, grace_minutes,"
                " schedule_set_by_admin, created_at)"
                " VALUES ('s', 'en', 'UTC', 0, 0, '2027-01-01 00:00:00') RETURNING id"
            )
        ).scalar_one()
        for job_id in ("kept", "gone"):
            connection.execute(
                text(
                    "INSERT INTO export_jobs (id, survey_id, created_by, options, state,"
                    " rows_done, file_name, created_at) VALUES (:id, :survey, 'a@example.org',"
                    " '{}', 'done', 1, :name, '2027-01-01 00:00:00')"
                ),
                {"id": job_id, "survey": survey_id, "name": f"{job_id}.csv"},
            )
    settings.exports_path.mkdir(parents=True)
    content = b"response_id\n" + b"x" * (3 * 1024 * 1024)
    (settings.exports_path / "kept.csv").write_bytes(content)
    with db.engine.begin() as connection:
        config = alembic_config(connection)
        config.attributes["exports_path"] = settings.exports_path
        command.upgrade(config, "head")
    with db.reading() as session:
        kept, gone = session.get(ExportJob, "kept"), session.get(ExportJob, "gone")
        assert (kept.state, gone.state) == ("done", "failed")
        assert gone.error == "the file of this export is gone; export again"
        pieces = queue.piece_count(session, "kept")
    assert pieces == 4
    assert b"".join(queue.stream(db, "kept", pieces)) == content
    db.dispose()


def test_the_database_knows_the_three_roles_and_no_other(app):
    """The CHECK constraint of 0009, on SQLite and PostgreSQL."""
    moment = datetime(2027, 1, 15, 12, tzinfo=UTC)
    db = app.extensions["survey_db"]
    for role in ("admin", "researcher", "partner"):
        with db.writing() as session:
            session.add(
                User(
                    email=f"{role}@example.org",
                    password_hash="x",
                    role=role,
                    created_at=moment,
                    password_changed_at=moment,
                )
            )
    with pytest.raises(IntegrityError), db.writing() as session:
        session.add(
            User(
                email="owner@example.org",
                password_hash="x",
                role="owner",
                created_at=moment,
                password_changed_at=moment,
            )
        )


def _rows(connection, query: str) -> list[tuple]:
    return [tuple(row) for row in connection.execute(text(query))]


def test_partners_come_and_go_keeping_every_sign_in_and_the_audit_log(tmp_path: Path):
    """0009 rebuilds SQLite's users table: sessions and audit events referring to accounts
    stay as they were (foreign keys off while it runs), and a downgrade removes the partners
    and only them."""
    settings = Settings.for_folder(tmp_path, f"sqlite:///{tmp_path / 'old.db'}", "secret")
    app = create_app(settings)
    engine = app.extensions["survey_db"].engine
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0008")
        connection.execute(
            text(
                "INSERT INTO users (id, email, password_hash, role, active, created_at,"
                " password_changed_at) VALUES (1, 'admin@example.org', 'x', 'admin', 1,"
                " '2027-01-01 00:00:00', '2027-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO admin_sessions (id, user_id, created_at, last_seen_at)"
                " VALUES ('s1', 1, '2027-01-01 00:00:00', '2027-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO audit_events (at, actor_id, actor, action)"
                " VALUES ('2027-01-01 00:00:00', 1, 'admin@example.org', 'sign_in')"
            )
        )
    # With foreign keys enforced, the rebuild would end every sign-in: it refuses.
    with pytest.raises(RuntimeError, match="foreign keys off"), engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")

    migrate(app)
    with engine.connect() as connection:
        assert _rows(connection, "SELECT id, user_id FROM admin_sessions") == [("s1", 1)]
        assert _rows(connection, "SELECT actor_id FROM audit_events") == [(1,)]
        assert _rows(connection, "PRAGMA foreign_keys") == [(1,)]
    with app.extensions["survey_db"].writing() as session:
        partner = User(
            email="fed@example.org",
            password_hash="x",
            role="partner",
            created_at=datetime(2027, 1, 2, tzinfo=UTC),
            password_changed_at=datetime(2027, 1, 2, tzinfo=UTC),
            channel_rows=[UserChannel(channel="cecop")],
        )
        session.add(partner)
        session.flush()
        session.add(
            AdminSession(
                id="s2",
                user_id=partner.id,
                created_at=partner.created_at,
                last_seen_at=partner.created_at,
            )
        )
        audit.record(session, actor=partner, action="sign_in", at=partner.created_at)

    with engine.connect() as connection, foreign_keys_off(connection), connection.begin():
        command.downgrade(alembic_config(connection), "0008")
    with engine.connect() as connection:
        assert _rows(connection, "SELECT email, role FROM users") == [
            ("admin@example.org", "admin")
        ]
        assert _rows(connection, "SELECT id, user_id FROM admin_sessions") == [("s1", 1)]
        assert _rows(connection, "SELECT actor, actor_id FROM audit_events ORDER BY id") == [
            ("admin@example.org", 1),
            ("fed@example.org", None),
        ]
        assert "user_channels" not in inspect(connection).get_table_names()
    app.extensions["survey_db"].dispose()
