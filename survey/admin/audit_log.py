"""The audit log, newest first, a page at a time (admins only)."""

from __future__ import annotations

from flask import render_template, request

from survey import audit, get_db
from survey.admin.auth import admin_required
from survey.admin.blueprint import bp
from survey.rendering import Page

AUDIT_PAGE_SIZE = 100


@bp.get("/audit")
@admin_required
def audit_log() -> Page:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    with get_db().reading() as db_session:
        events = audit.recent(
            db_session, limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE
        )
        total = audit.count(db_session)
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    return render_template("admin/audit.html", events=events, page=page, pages=pages)
