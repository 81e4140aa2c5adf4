"""/healthz: 200 when the app and its database answer, 503 otherwise."""

from __future__ import annotations

import pytest

from survey import create_app
from survey.settings import PROJECT_ROOT, Settings


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
    settings = Settings(
        instance_path=tmp_path,
        database_url=unreachable.format(tmp=tmp_path),
        secret_key="test-secret-key",
        ratelimit_storage_url="memory://",
        trusted_proxies=0,
        questionnaires_path=PROJECT_ROOT / "questionnaires",
        exports_path=tmp_path / "exports",
        secure_cookies=False,
    )
    app = create_app(settings)
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_data(as_text=True).strip() != "ok"
        assert "Traceback" not in response.get_data(as_text=True)
    finally:
        app.extensions["survey_db"].dispose()
