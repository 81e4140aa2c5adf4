"""Signing in and out of the admin console, and changing one's password.

Failed sign-ins are slowed per address and per account from an address (never by locking an
account): see the limits below.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from survey import accounts, audit, current_time, get_db
from survey.admin.auth import (
    end_other_sessions,
    end_session,
    open_session,
    signed_in_required,
)
from survey.admin.blueprint import bp, me, sentence
from survey.admin.forms import PasswordForm, SignInForm, SignOutForm
from survey.error_pages import too_many_requests
from survey.extensions import limiter
from survey.rendering import Page

# Every sign-in attempt, per address.
SIGN_IN_LIMIT = "10 per minute;100 per hour"
# Failed attempts only: per email and address (someone guessing one account's password), and
# per address (one address trying many accounts). Past each limit the wait grows with the
# window (a minute, a quarter of an hour, a day). Failures from one address never slow the
# same account from another address: the right person is never locked out.
FAILED_PER_ACCOUNT = "5 per minute;10 per 15 minutes;30 per day"
FAILED_PER_ADDRESS = "20 per 15 minutes;100 per day"


def _safe_next(target: str | None) -> str:
    """`next=` if it is a plain path of this console (no other host, no control characters,
    no backslash a browser would read as a slash), else the surveys page."""
    if (
        target
        and target.startswith("/admin")
        and target.isprintable()
        and "\\" not in target
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("admin.surveys")


def _email_and_address() -> str:
    """The limiter's key for one account from one address (the email hashed: the limiter's
    storage, Redis say, holds no address book)."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"{hashlib.sha256(email.encode()).hexdigest()[:32]}|{get_remote_address()}"


def _failed(response: Response) -> bool:
    return response.status_code == 401


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"], scope="sign-in")
@limiter.limit(
    FAILED_PER_ACCOUNT,
    methods=["POST"],
    key_func=_email_and_address,
    deduct_when=_failed,
    scope="sign-in-failed-account",
)
@limiter.limit(
    FAILED_PER_ADDRESS, methods=["POST"], deduct_when=_failed, scope="sign-in-failed-address"
)
def sign_in() -> Page:
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        with get_db().writing() as db_session:
            now = current_time()
            user = accounts.authenticate(
                db_session, form.email.data or "", form.password.data or "", now
            )
            if user is None:
                error = _("The email or the password is not right.")
                account = None
            else:
                account = open_session(db_session, user, now)
        if account is not None:
            next_page = _safe_next(request.args.get("next"))
            session.clear()  # a fresh session at every sign-in
            login_user(account)
            return redirect(next_page)
    status = 200 if error is None else 401
    return render_template("admin/sign_in.html", form=form, error=error), status


@bp.errorhandler(429)
def _too_many(error: Any) -> Response:
    """Past a sign-in limit: the sign-in page says so (with the wait in Retry-After)."""
    message = _(
        "Too many failed sign-ins from this address. Wait a few minutes and try again; "
        "signing in from another network is not affected."
    )
    if request.endpoint != "admin.sign_in":
        message = _("Too many attempts. Wait a minute and try again.")
        return too_many_requests(render_template("error.html", code=429, message=message))
    return too_many_requests(
        render_template("admin/sign_in.html", form=SignInForm(), error=message)
    )


def _end_session(db_session: Session) -> None:
    """End this browser's sign-in (in the caller's transaction)."""
    if current_user.is_authenticated:
        end_session(db_session, current_user.token)


def _forget_sign_in() -> None:
    """Forget this browser's sign-in, once the transaction that ended it is committed."""
    logout_user()
    session.clear()


@bp.post("/sign-out")
def sign_out() -> Page:
    if SignOutForm().validate_on_submit():
        if current_user.is_authenticated:
            with get_db().writing() as db_session:
                _end_session(db_session)
        _forget_sign_in()
        flash(_("You are signed out."))
    return redirect(url_for("admin.sign_in"))


@bp.post("/sign-out-everywhere")
@signed_in_required
def sign_out_everywhere() -> Page:
    if not SignOutForm().validate_on_submit():
        abort(400)
    with get_db().writing() as db_session:
        ended = end_other_sessions(db_session, current_user.user_id)
        audit.record(
            db_session,
            actor=me(db_session),
            action="sign_out.everywhere",
            at=current_time(),
            target=current_user.email,
            after={"sessions_ended": ended},
        )
        _end_session(db_session)
    _forget_sign_in()
    flash(_("You are signed out on every device."))
    return redirect(url_for("admin.sign_in"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in_required
def password() -> Page:
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        with get_db().writing() as db_session:
            user = me(db_session)
            try:
                accounts.change_password(
                    db_session,
                    user,
                    current=form.current.data or "",
                    new=form.new.data or "",
                    now=current_time(),
                )
            except accounts.AccountError as problem:
                error = sentence(problem)
            else:
                # Every other sign-in of this account ends; this one goes on.
                end_other_sessions(db_session, user.id, keep=current_user.token)
        if error is None:
            flash(_("Your password was changed. You are signed out on your other devices."))
            return redirect(url_for("admin.surveys"))
    return render_template("admin/password.html", form=form, error=error)
