"""Accounts of the admin console: the list, adding one (a partner with its channels), changing
a role or a partner's channels, (dis)abling one."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from survey import accounts, current_time, get_db
from survey.admin.auth import admin_required
from survey.admin.blueprint import bp, me, sentence
from survey.admin.forms import UserForm, UserUpdateForm
from survey.models import User
from survey.rendering import Later, Outcome, Page, later, render


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users() -> Page:
    with get_db().transaction(write=request.method == "POST") as db_session:
        outcome = _users(db_session)
    return render(outcome)


def _users(db_session: Session) -> Later:
    form = UserForm()
    error = None
    created = None
    if form.validate_on_submit():
        password_text = accounts.generate_password()
        try:
            user = accounts.create_user(
                db_session,
                email=form.email.data or "",
                role=form.role.data or "researcher",
                password=password_text,
                actor=me(db_session),
                now=current_time(),
                channels=form.channels.tags(),
            )
        except accounts.AccountError as problem:
            error = sentence(problem)
        else:
            created = (user.email, password_text)
            form = UserForm(formdata=None)
    return _page(db_session, form, error=error, created=created)


def _page(
    db_session: Session,
    form: UserForm,
    *,
    error: str | None = None,
    created: tuple[str, str] | None = None,
    refused: tuple[int, UserUpdateForm, str] | None = None,
) -> Later:
    """The accounts, each in a row with its own form, and the form to add one. `refused`: a
    row's change that was not saved (its account, its form as posted, and why), shown in
    that row with what was typed."""
    people = accounts.all_users(db_session)
    forms = {
        person.id: UserUpdateForm(
            formdata=None,
            data={
                "role": person.role,
                "channels": " ".join(person.channels),
                "active": person.active,
            },
        )
        for person in people
    }
    row_error = None
    if refused is not None:
        forms[refused[0]] = refused[1]
        row_error = (refused[0], refused[2])
    failed = error is not None or form.errors or refused is not None
    return later(
        "admin/users.html",
        400 if failed else 200,
        form=form,
        people=people,
        forms=forms,
        error=error,
        created=created,
        row_error=row_error,
    )


@bp.post("/users/<int:user_id>")
@admin_required
def update_user(user_id: int) -> Page:
    form = UserUpdateForm()
    with get_db().writing() as db_session:
        user = db_session.get(User, user_id)
        if user is None:
            abort(404)
        if not form.validate_on_submit():
            problem = "; ".join(
                str(message)
                for name, messages in form.errors.items()
                if name != "csrf_token"
                for message in messages
            )
            if not problem:  # the token: sent again from a fresh page
                return redirect(url_for("admin.users"))
            outcome: Outcome = _page(
                db_session, UserForm(formdata=None), refused=(user.id, form, problem)
            )
        else:
            try:
                accounts.update_user(
                    db_session,
                    user,
                    role=form.role.data or user.role,
                    active=bool(form.active.data),
                    actor=me(db_session),
                    now=current_time(),
                    channels=form.channels.tags(),
                )
            except accounts.AccountError as problem:  # refused before anything was changed
                outcome = _page(
                    db_session, UserForm(formdata=None), refused=(user.id, form, sentence(problem))
                )
            else:
                flash(_("The account of %(email)s was saved.", email=user.email))
                outcome = redirect(url_for("admin.users"))
    return render(outcome)
