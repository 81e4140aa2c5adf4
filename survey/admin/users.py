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
from survey.rendering import Later, Page, later, render


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
    return later(
        "admin/users.html",
        200 if error is None and not form.errors else 400,
        form=form,
        people=people,
        forms=forms,
        error=error,
        created=created,
    )


@bp.post("/users/<int:user_id>")
@admin_required
def update_user(user_id: int) -> Page:
    form = UserUpdateForm()
    with get_db().writing() as db_session:
        user = db_session.get(User, user_id)
        if user is None:
            abort(404)
        if form.validate_on_submit():
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
            except accounts.AccountError as problem:
                flash(sentence(problem))
            else:
                flash(_("The account of %(email)s was saved.", email=user.email))
    return redirect(url_for("admin.users"))
