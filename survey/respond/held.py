"""What this browser holds for a survey (its resume code, a start not yet saved), and the
response that makes it: see `survey.sessions` for how the cookie keeps them."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from flask import current_app, g, request, session
from sqlalchemy.orm import Session

from survey import current_time
from survey.i18n import current_language
from survey.models import Survey
from survey.questionnaire_store import schedule_of
from survey.responses import (
    ResponseState,
    SurveyNotOpen,
    draft,
    find_progress,
    is_draft,
)
from survey.sessions import (
    CODES_KEY,
    NO_DEADLINE_DAYS,
    STARTED_KEY,
    UNTIL_KEY,
    drop,
    forget,
    held,
    hold,
)


def resume_key() -> str:
    return current_app.config["SURVEY_SETTINGS"].resume_key


def saved_code(slug: str) -> str | None:
    code = held(session, CODES_KEY, slug)
    return code if isinstance(code, str) else None


def _held_until(survey: Survey) -> int:
    """When this browser forgets its code for `survey`: at the close plus grace (a survey
    without a deadline: some weeks after the last visit)."""
    ends = schedule_of(survey).grace_ends_at or current_time() + timedelta(days=NO_DEADLINE_DAYS)
    return math.ceil(ends.timestamp())


def _keep_until(survey: Survey) -> None:
    """Bring the held-until time up to date (a deadline moved; another visit without one)."""
    until = _held_until(survey)
    if abs(until - (held(session, UNTIL_KEY, survey.slug) or 0)) > 3600:
        hold(session, UNTIL_KEY, survey.slug, until)


def remember_code(survey: Survey, code: str) -> None:
    forget(session, survey.slug)
    hold(session, CODES_KEY, survey.slug, code)
    _keep_until(survey)


def progress_of(db_session: Session, survey: Survey) -> ResponseState | None:
    """What this browser is answering: a stored response, one started but not yet saved
    (a draft), or None."""
    code = saved_code(survey.slug)
    if code is None:
        return None
    progress = find_progress(db_session, survey, code, resume_key())
    if progress is not None:
        drop(session, STARTED_KEY, survey.slug)
    else:
        progress = draft_of(db_session, survey, code)
        if progress is None:
            forget(session, survey.slug)  # withdrawn, or never saved and forgotten
            return None
    _keep_until(survey)
    g.languages = progress.questionnaire.languages
    return progress


def draft_of(db_session: Session, survey: Survey, code: str) -> ResponseState | None:
    """The response this browser started with `code` and has not saved yet, from what it holds
    (None: it holds no start, or the survey has no content)."""
    started = held(session, STARTED_KEY, survey.slug)
    if not (isinstance(started, list) and len(started) == 2):
        return None
    try:
        return draft(
            db_session,
            survey,
            code,
            key=resume_key(),
            started_at=datetime.fromtimestamp(started[0], UTC),
            language=current_language(),
            channel=started[1],
        )
    except SurveyNotOpen:
        return None


def give_channel(channel: str) -> None:
    """A tag this browser came by is the channel of every start it holds without one, up to the
    first save that stores its response: the first tag wins, a start that has one keeps it."""
    for slug, started in dict(session.get(STARTED_KEY) or {}).items():
        if isinstance(started, list) and len(started) == 2 and started[1] is None:
            hold(session, STARTED_KEY, slug, [started[0], channel])


def shown_code(slug: str, progress: ResponseState | None) -> str | None:
    """The code to show: once the response is stored (from the first saved section on)."""
    if progress is None or is_draft(progress):
        return None
    return saved_code(slug)


def stored_code_held(slug: str) -> str | None:
    """The code to show when the database cannot be asked: the one this browser holds, once
    its response is stored (the first save drops the start the browser held until then)."""
    if held(session, STARTED_KEY, slug) is not None:
        return None
    return saved_code(slug)


def first_save() -> bool:
    """Whether this request may add a response: a section posted by a browser holding a draft."""
    slug = (request.view_args or {}).get("slug", "")
    return request.method == "POST" and held(session, STARTED_KEY, slug) is not None
