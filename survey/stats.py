"""Figures for the dashboard, aggregated in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import Response, Survey


def dashboard(session: Session, survey: Survey) -> dict[str, Any]:
    counts = dict(
        session.execute(
            select(Response.status, func.count())
            .where(Response.survey_id == survey.id)
            .group_by(Response.status)
        ).all()
    )
    return {"counts": counts}
