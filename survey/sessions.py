"""The browser's session cookie: what a respondent's browser holds, and until when.

A respondent's browser holds, per survey, the resume code it answers with (and, until the first
section is saved, when it started). It holds them until the survey's close plus grace (or, for
a survey without a deadline, NO_DEADLINE_DAYS after the last visit): the cookie's expiry says so
to the browser, and the server drops what has passed even from a cookie kept or copied beyond
it. The admin console keeps its sign-ins on the server (survey.admin.auth); its part of the
cookie is a token that means nothing once that session has ended.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

CODES_KEY = "resume_codes"  # slug -> resume code
STARTED_KEY = "started"  # slug -> [start time (epoch seconds), channel], until the first save
UNTIL_KEY = "respondent_until"  # slug -> epoch seconds after which the browser forgets both
NO_DEADLINE_DAYS = 90
# How long a signed cookie is accepted at all (browsers keep none longer than 400 days); the
# entries inside end sooner, each at its own time.
LONGEST = timedelta(days=400)
_RESPONDENT_KEYS = (CODES_KEY, STARTED_KEY, UNTIL_KEY)


def _now(app: Flask) -> datetime:
    return app.config["SURVEY_CLOCK"]()


def held(session: Any, key: str, slug: str) -> Any:
    """What the browser holds under `key` for one survey (None: nothing)."""
    return (session.get(key) or {}).get(slug)


def hold(session: Any, key: str, slug: str, value: Any) -> None:
    entries = dict(session.get(key) or {})
    entries[slug] = value
    session[key] = entries


def drop(session: Any, key: str, slug: str) -> None:
    entries = dict(session.get(key) or {})
    if slug in entries:
        entries.pop(slug)
        session[key] = entries


def forget(session: Any, slug: str) -> None:
    """Remove what the browser holds for one survey."""
    for key in _RESPONDENT_KEYS:
        drop(session, key, slug)


class SurveySession(SecureCookieSession):
    """The cookie's content, and how to read it again as the browser sent it."""

    reopen: Callable[[], dict[str, Any]]

    def undo(self) -> None:
        """Back to what the browser sent: a request that fails (its transaction rolled back)
        changes nothing the browser holds either."""
        self.clear()
        self.update(self.reopen())


class SurveySessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, expiring when the last survey it holds a code for ends; a
    response that sets it is never left for shared caches to keep."""

    session_class = SurveySession

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's, made once for the app's keys (Flask makes a new one for every request)."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = app.extensions.get("survey_session_serializer")
        if made is None or made[0] != keys:
            made = (keys, super().get_signing_serializer(app))
            app.extensions["survey_session_serializer"] = made
        return made[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        session = self._read(app, request)
        if isinstance(session, SurveySession):
            # Read again only if a request fails (rare): no copy of every request's cookie.
            session.reopen = lambda: dict(self._read(app, request) or {})
        return session

    def _read(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The cookie as sent, without what has ended (each survey's entries end at its own
        time)."""
        session = super().open_session(app, request)
        if session is None:
            return None
        until = session.get(UNTIL_KEY)
        if isinstance(until, dict) and until:
            now = _now(app).timestamp()
            for slug, moment in list(until.items()):
                if not isinstance(moment, int | float) or moment <= now:
                    forget(session, slug)
        return session

    def get_expiration_time(self, app: Flask, session: Any) -> datetime | None:
        until = session.get(UNTIL_KEY)
        moments = [value for value in (until or {}).values() if isinstance(value, int | float)]
        if not moments:
            return None  # nothing of a respondent's: a cookie that ends with the browser
        return datetime.fromtimestamp(max(moments), UTC)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        super().save_session(app, session, response)
        if "Set-Cookie" in response.headers and response.cache_control.public:
            # A shared cache would hand this browser's cookie to whoever asks next.
            response.headers["Cache-Control"] = "no-store"
