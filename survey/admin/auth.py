"""Who is signed in to the admin console, and what their role lets them do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import UserMixin, current_user, login_required

from survey import get_db
from survey.extensions import login_manager
from survey.models import User

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Account(UserMixin):  # type: ignore[misc]
    """The signed-in person as the session knows them (not a database object)."""

    user_id: int
    email: str
    role: str
    password_stamp: str

    def get_id(self) -> str:
        # The stamp changes with the password, which signs out every other session.
        return f"{self.user_id}:{self.password_stamp}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def of(cls, user: User) -> Account:
        return cls(user.id, user.email, user.role, f"{user.password_changed_at.timestamp():.6f}")


@login_manager.user_loader
def _load(session_id: str) -> Account | None:
    user_id, _separator, stamp = session_id.partition(":")
    if not user_id.isdigit():
        return None
    with get_db().reading() as session:
        user = session.get(User, int(user_id))
        if user is None or not user.active:
            return None
        account = Account.of(user)
    return account if account.password_stamp == stamp else None


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
staff_required = role_required("admin", "researcher")
