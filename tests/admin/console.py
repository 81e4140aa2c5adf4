"""Helpers for the admin console tests: signed-in clients, database snapshots, page text."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.test import TestResponse

from survey.models import AuditEvent, Survey, SurveyResponse, User
from tests.respondent import MEMBER_ANSWERS, Respondent
from tests.staff import form_token, sign_in

SLUG = "we-own-it"
SURVEY = f"/admin/surveys/{SLUG}"
SCHEDULE = f"{SURVEY}/schedule"
CLOSE = f"{SURVEY}/close"
REOPEN = f"{SURVEY}/reopen"
SIGN_IN = "/admin/sign-in"
WRONG = "The email or the password is not right."
CLOSED = "This survey is closed"


# A schedule change and a reopening that the tests post (allowed or not).
SCHEDULE_FORM = {
    "opens_at": "",
    "closes_at": "2027-06-01T12:00",
    "timezone": "Europe/Brussels",
    "grace_minutes": "5",
    "contact": "someone@example.org",
}
REOPEN_FORM = {"closes_at": "2027-12-01T12:00"}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def text_of(response: TestResponse) -> str:
    """The page as a person reads it: entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def signed_in_client(app: Flask, email: str, password: str) -> FlaskClient:
    client = app.test_client()
    answer = sign_in(client, email, password)
    assert answer.status_code == 302, text_of(answer)
    return client


def is_signed_in(client: FlaskClient) -> bool:
    answer = client.get("/admin/surveys")
    if answer.status_code == 200:
        return True
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(SIGN_IN)
    return False


def any_token(client: FlaskClient) -> str:
    """A CSRF token of this client's session (Flask-WTF tokens are per session, not per form)."""
    return form_token(client, "/admin/password")


def survey_row(app: Flask) -> Survey:
    with app.extensions["survey_db"].reading() as session:
        return session.scalars(select(Survey).where(Survey.slug == SLUG)).one()


def schedule_of(app: Flask) -> tuple[Any, ...]:
    row = survey_row(app)
    return (
        row.opens_at,
        row.closes_at,
        row.timezone,
        row.grace_minutes,
        row.contact,
        row.schedule_set_by_admin,
    )


def user_row(app: Flask, email: str) -> User:
    """The account of `email`, with its channels."""
    query = select(User).where(User.email == email).options(selectinload(User.channel_rows))
    with app.extensions["survey_db"].reading() as session:
        return session.scalars(query).one()


def users_of(app: Flask) -> list[tuple[str, str, bool, str]]:
    with app.extensions["survey_db"].reading() as session:
        return [
            (user.email, user.role, user.active, user.password_hash)
            for user in session.scalars(select(User).order_by(User.email))
        ]


def audit_rows(app: Flask, action: str | None = None) -> list[AuditEvent]:
    with app.extensions["survey_db"].reading() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return list(session.scalars(query))


def responses(app: Flask) -> list[SurveyResponse]:
    with app.extensions["survey_db"].reading() as session:
        return list(session.scalars(select(SurveyResponse)))


def everything(app: Flask) -> tuple[Any, ...]:
    """What an admin POST could change: the schedule, the accounts, the audit log."""
    return (schedule_of(app), users_of(app), len(audit_rows(app)))


def error_summary(response: TestResponse) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', response.get_data(as_text=True), re.S)
    assert match, "page has no error summary"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(0)))


def input_value(response: TestResponse, name: str) -> str:
    page = response.get_data(as_text=True)
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def selected_option(response: TestResponse, name: str) -> str:
    page = response.get_data(as_text=True)
    select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    assert select_html, f"no select {name}"
    chosen = re.search(r'<option selected value="([^"]*)"', select_html.group(0)) or re.search(
        r'<option[^>]*value="([^"]*)"[^>]*selected', select_html.group(0)
    )
    assert chosen, f"nothing selected in {name}"
    return chosen.group(1)


def respondent(app: Flask, *sections: str) -> Respondent:
    """Someone who started the survey and saved `sections` (valid answers of a member)."""
    person = Respondent(app.test_client())
    assert person.start().status_code == 302
    for section_id in sections:
        assert person.save(section_id, MEMBER_ANSWERS[section_id]).status_code == 302
    return person


def assert_closed_page(answer: TestResponse) -> None:
    assert answer.status_code == 403
    assert CLOSED in text_of(answer)
