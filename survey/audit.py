"""The audit log: every change an admin makes, every export, every sign-in and failed sign-in,
and every view of a dashboard by a partner (with the channels it saw).

Events are added to the caller's transaction (flushed, never committed): an event is stored if
and only if what it records is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import AuditEvent, Survey, User

COMMAND_LINE = "command line"


def actor_label(user: User | None) -> str:
    return user.email if user is not None else COMMAND_LINE


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    at: datetime,
    target: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_text: str | None = None,
) -> AuditEvent:
    """Add one event to the log (in the caller's transaction)."""
    event = AuditEvent(
        at=at,
        actor_id=actor.id if actor is not None else None,
        actor=actor_text or actor_label(actor),
        action=action,
        target=target,
        before=before,
        after=after,
    )
    session.add(event)
    session.flush()
    return event


def record_partner_view(
    session: Session,
    *,
    actor: User,
    survey: Survey | None,
    channels: Sequence[str],
    at: datetime,
    page: str = "dashboard",
) -> AuditEvent:
    """A partner opened a page (`page`: surveys, the list with its counts; dashboard, share,
    of one survey): which survey, and the channels it was limited to."""
    return record(
        session,
        actor=actor,
        action=f"{page}.view",
        at=at,
        target=f"survey:{survey.slug}" if survey is not None else "surveys",
        after={"channels": list(channels)},
    )


def recent(session: Session, *, limit: int = 200, offset: int = 0) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0
