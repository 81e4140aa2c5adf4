"""/healthz for operators: 200 when the app and its database answer, 503 otherwise."""

from flask import Blueprint, Response

from survey import get_db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    healthy = get_db().ping()
    return Response(
        "ok\n" if healthy else "database unavailable\n",
        status=200 if healthy else 503,
        mimetype="text/plain",
    )
