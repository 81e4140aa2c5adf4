"""Who is signed in to the admin console, and what their role lets them do.

Sign-ins are kept on the server (`admin_sessions`): the browser's cookie holds a random token,
and the row of its hash says who it is and since when. A session ends at sign-out (the row is
deleted, so a copied cookie stops working), after IDLE_LIMIT without a request and after
ABSOLUTE_LIMIT in all; "Sign out everywhere" and a password change end the others.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import UserMixin, current_user, login_required
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from survey import current_time, get_db
from survey.db import affected
from survey.extensions import login_manager
from survey.models import PARTNER, ROLES, AdminSession, User

View = TypeVar("View", bound=Callable[..., Any])

IDLE_LIMIT = timedelta(minutes=30)
ABSOLUTE_LIMIT = timedelta(hours=12)
# A request refreshes the last-seen time at most this often (not a write per page).
SEEN_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Account(UserMixin):
    """The signed-in person as this request knows them (not a database object)."""

    user_id: int
    email: str
    role: str
    token: str

    def get_id(self) -> str:
        return self.token

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_partner(self) -> bool:
        """A member federation: the dashboards of its own channels, nothing else."""
        return self.role == PARTNER


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db_session: Session, user: User, now: datetime) -> Account:
    """A new server-side session for `user`; the account holds its token for the cookie."""
    token = secrets.token_urlsafe(32)
    db_session.add(
        AdminSession(id=_digest(token), user_id=user.id, created_at=now, last_seen_at=now)
    )
    db_session.flush()
    return Account(user.id, user.email, user.role, token)


def end_session(db_session: Session, token: str) -> None:
    db_session.execute(delete(AdminSession).where(AdminSession.id == _digest(token)))


def end_other_sessions(db_session: Session, user_id: int, keep: str | None = None) -> int:
    """End every session of a user (but `keep`'s); returns how many ended."""
    query = delete(AdminSession).where(AdminSession.user_id == user_id)
    if keep is not None:
        query = query.where(AdminSession.id != _digest(keep))
    return affected(db_session.execute(query))


@login_manager.user_loader
def _load(token: str) -> Account | None:
    if not token or len(token) > 100:
        return None
    now = current_time()
    key = _digest(token)
    with get_db().reading() as db_session:
        row = db_session.get(AdminSession, key)
        if row is None:
            return None
        user = db_session.get(User, row.user_id)
        ended = now - row.last_seen_at > IDLE_LIMIT or now - row.created_at > ABSOLUTE_LIMIT
        account = None
        if user is not None and user.active:
            account = Account(user.id, user.email, user.role, token)
        seen = row.last_seen_at
    if ended or account is None:
        with get_db().writing() as db_session:
            db_session.execute(delete(AdminSession).where(AdminSession.id == key))
        return None
    if now - seen >= SEEN_EVERY:
        with get_db().writing() as db_session:
            db_session.execute(
                update(AdminSession).where(AdminSession.id == key).values(last_seen_at=now)
            )
    return account


def role_required(*roles: str) -> Callable[[View], View]:
    """Signed in, and in one of `roles` (403 otherwise)."""

    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


admin_required = role_required("admin")
# Exports and what researchers read beside the dashboards: never a partner's.
staff_required = role_required("admin", "researcher")
# The surveys list, the dashboards (a partner's limited to its channels), one's own password.
signed_in_required = role_required(*ROLES)
