"""A save's writes go to PostgreSQL together, in one pipeline, and the database's answer comes
at the end: an error it gives then is still one the app knows (a lost connection is an outage,
503 with what was typed; a broken constraint is a bug), and nothing of the save is written. The
survey's lock, taken through psycopg itself, fails the same way."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from survey.db import Database
from survey.error_pages import is_outage
from survey.models import Answer, SurveyResponse
from survey.questionnaire_store import lock_survey
from survey.responses import _together

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def answers_of_nobody(database: Database) -> int:
    with database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Answer)) or 0)


def test_a_broken_constraint_met_at_the_end_is_a_bug_and_writes_nothing(one_connection):
    with pytest.raises(IntegrityError) as raised, one_connection.writing() as session:
        with _together(session):
            # An answer of a response that does not exist: refused by the foreign key.
            session.connection().execute(
                insert(Answer).values(
                    response_id="0" * 32, question_id="age", section_id="about_you", value=27
                )
            )

    assert not is_outage(raised.value)
    assert answers_of_nobody(one_connection) == 0


def test_a_connection_lost_in_the_pipeline_is_an_outage_and_the_pool_recovers(one_connection):
    with pytest.raises(OperationalError) as raised, one_connection.writing() as session:
        with _together(session):
            session.connection().execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    assert is_outage(raised.value)
    with one_connection.reading() as session:  # the lost connection was not handed out again
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) is not None


def test_a_connection_lost_before_the_survey_lock_is_an_outage_and_the_pool_recovers(
    one_connection,
):
    with one_connection.writing() as session:
        mine = session.connection().execute(text("SELECT pg_backend_pid()")).scalar()
        ended = Database(one_connection.url)  # the pool's one connection is this session's
        try:
            with ended.engine.connect() as killer:
                killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": mine})
        finally:
            ended.dispose()
        with pytest.raises(OperationalError) as raised:
            lock_survey(session, "we-own-it", "share")
        assert raised.value.connection_invalidated
        assert is_outage(raised.value)
        session.rollback()

    with one_connection.writing() as session:  # the lost connection was not handed out again
        lock_survey(session, "we-own-it", "share")
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) is not None
