"""Error pages: whatever fails, a person meets a page in their language that says what to do,
never a traceback.

A database that does not answer (down, restarting, unreachable, out of connections) is not a
bug of ours: it gets 503 with Retry-After and a page that asks to try again, not the 500 page.
The respondent's pages turn it into pages that keep what was typed (`survey.respond.unsaved`).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, current_app, g, make_response, render_template, request, session
from flask_babel import lazy_gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.extensions import limiter, login_manager
from survey.i18n import interface_languages
from survey.rendering import Page
from survey.request_body import chunks_of
from survey.sessions import SurveySession

MESSAGES = {
    400: _("The form could not be read. Go back, reload the page and try again."),
    403: _("You do not have access to this page. Ask an admin if you need it."),
    404: _("There is no page at this address. Check the link you followed."),
    405: _("This page cannot be used that way."),
    413: _("What you sent is too large. Shorten your answers and try again."),
    429: _("Too many attempts. Wait a minute and try again."),
    500: _("Something went wrong on our side. Your saved answers are safe; try again."),
    503: _(
        "The survey is briefly unavailable. Your saved answers are safe; try again in a minute."
    ),
}
EXPIRED = _(
    "This form has expired or was not sent from this site. "
    "Reload the page and send it again; nothing was saved."
)
# The exceptions a database outage raises; `is_outage` tells them from our own mistakes.
DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, PoolTimeoutError)
# What a 503 tells browsers and scripts: a database restart or failover takes seconds.
RETRY_AFTER_SECONDS = 10
# What a 429 tells them when the limiter's storage cannot say when its window ends.
RETRY_AFTER_LIMIT_SECONDS = 60


def error_page(code: int, message: Any, status: int | None = None, **context: Any) -> Page:
    """The error page for `code` with `message` (a lazy text is made text only now).

    Outside a survey's pages (which set their languages), it is shown in the person's chosen or
    preferred language where the interface has it; the admin console stays in English. The
    page's language is decided once, at the first text translated.
    """
    admin = request.path.startswith("/admin")
    g.setdefault("languages", ("en",) if admin else interface_languages())
    html = render_template("error.html", code=code, message=str(message), **context)
    return html, status or code


def undo_cookie_changes() -> None:
    """The request's transaction was rolled back: what the view changed in the session cookie
    (a code held, a start dropped) is not kept either."""
    if isinstance(session, SurveySession):
        session.undo()


def unexpected(error: Exception) -> Page:
    """A bug: logged with its traceback, the person told their saved answers are safe."""
    current_app.logger.exception("unexpected error")
    undo_cookie_changes()
    return error_page(500, MESSAGES[500])


def is_outage(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached or cannot serve now (a lost or
    refused connection, a restart, a lock or statement timeout, no free connection), rather
    than a mistake in a query or a broken constraint, which is a bug (500)."""
    if isinstance(error, PoolTimeoutError | OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def note_outage(error: Exception) -> None:
    """Log one line (no statement, no parameters: they may hold answers), undo the cookie, and
    show the page as to someone signed out: who is signed in cannot be read either, and every
    page asks (Flask-Login's `current_user`)."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    current_app.logger.warning(
        "database unavailable (%s): %s", type(error).__name__, reason[0] if reason else "?"
    )
    undo_cookie_changes()
    g._login_user = login_manager.anonymous_user()


def unavailable(page: Page) -> Response:
    """`page` as a 503 response that says when to try again."""
    response = make_response(page)
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def seconds_until_allowed() -> int:
    """Seconds until the limit this request went past lets its sender in again (one at least)."""
    breached = limiter.current_limit
    if breached is None:
        return RETRY_AFTER_LIMIT_SECONDS
    try:
        reset_at = breached.reset_at  # asks the storage, which may have gone away since
    except Exception:
        current_app.logger.warning("rate limit storage did not say when its window ends")
        return RETRY_AFTER_LIMIT_SECONDS
    return max(1, int(reset_at - time.time()))


def too_many_requests(page: Page) -> Response:
    """`page` as a 429 response that says when to try again: the only answer of the rate
    limiter that asks for a wait (the limiter counts in real time, not the app's clock)."""
    response = make_response(page)
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds_until_allowed())
    return response


def database_unavailable(error: Exception) -> Page:
    """Any page (a GET, the admin console) that meets a database outage: 503, try again."""
    if not is_outage(error):
        return unexpected(error)
    note_outage(error)
    return unavailable(error_page(503, MESSAGES[503]))


# A body refused for its size (over MAX_CONTENT_LENGTH) is still read, and dropped, up to this
# size before the answer goes out: a reverse proxy still sending it then reads our 413, where
# on a connection the app stopped reading it may answer 502 Bad Gateway instead (Caddy did, now
# and then, under load). Beyond this size, which no proxy of deploy/ lets through, it is not.
DRAIN_AT_MOST = 2 * 1024 * 1024


def drain_refused_body() -> None:
    """Read what is left of the request's body, if it declared a length up to DRAIN_AT_MOST;
    one sent without a length is read until it ends or DRAIN_AT_MOST of it has been read."""
    stream = request.environ.get("wsgi.input")
    length = request.content_length
    if length is None and "wsgi.input_terminated" in request.environ:
        # The limit and one byte over it were read already (survey.request_body).
        left = DRAIN_AT_MOST - (request.max_content_length or 0) - 1
    elif length is not None and 0 < length <= DRAIN_AT_MOST:
        left = length
    else:
        return
    if stream is not None:
        for _dropped in chunks_of(stream, left):
            pass


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(SecurityError)
    def _untrusted_host(error: SecurityError) -> Response:
        # A Host the operator does not trust: no page is built from it (no links, no template).
        return Response("This address is not served here.\n", 400, mimetype="text/plain")

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Page:
        return error_page(400, EXPIRED)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> WerkzeugResponse | Page:
        code = error.code or 500
        if code == 413:
            drain_refused_body()
        if code not in MESSAGES or code == 503:
            return error.get_response()
        if code == 429:
            return too_many_requests(error_page(code, MESSAGES[code]))
        return error_page(code, MESSAGES[code])

    for kind in DATABASE_ERRORS:
        app.register_error_handler(kind, database_unavailable)
    app.register_error_handler(Exception, unexpected)
