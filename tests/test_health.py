"""/healthz: 200 when the app and its database answer, 503 otherwise."""

from __future__ import annotations

import pytest

from survey import create_app
from tests.conftest import make_settings


def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == "ok"


@pytest.mark.parametrize(
    "unreachable",
    [
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
        "sqlite:///{tmp}",  # a directory, which SQLite cannot open as a database
    ],
)
def test_healthz_is_503_when_the_database_is_unreachable(tmp_path, unreachable):
    settings = make_settings(unreachable.format(tmp=tmp_path), tmp_path)
    app = create_app(settings)
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_data(as_text=True).strip() != "ok"
        assert "Traceback" not in response.get_data(as_text=True)
    finally:
        app.extensions["survey_db"].dispose()
