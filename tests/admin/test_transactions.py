"""The console's pages that only show take no write lock; its writes commit before the page
that reports them is rendered."""

from __future__ import annotations

import time

import pytest

import survey.rendering
from tests.admin.console import CLOSE, REOPEN, SCHEDULE, SURVEY
from tests.staff import post_form
from tests.transactions import write_lock_held, writer_may_start

# Another connection holds the database's write lock while a page renders: what the tests
# write must really be committed (tests/conftest.py, `app`).
pytestmark = pytest.mark.usefixtures("real_commits")


def test_forms_and_figures_show_while_another_writer_holds_the_lock(app, admin_client):
    pages = [
        "/admin/surveys",
        SURVEY,
        SCHEDULE,
        CLOSE,
        REOPEN,
        "/admin/users",
        "/admin/audit",
        "/admin/password",
    ]
    with write_lock_held(app):
        for path in pages:
            began = time.monotonic()
            assert admin_client.get(path).status_code == 200, path
            assert time.monotonic() - began < 3, f"{path} waited for the write lock"


def test_a_page_after_a_write_is_rendered_once_it_is_committed(app, admin_client, monkeypatch):
    original = survey.rendering.render_template
    seen: list[tuple[str, bool]] = []

    def watching(template: str, **context):
        seen.append((template, writer_may_start(app)))
        return original(template, **context)

    monkeypatch.setattr(survey.rendering, "render_template", watching)
    added = post_form(admin_client, "/admin/users", {"email": "new@example.org", "role": "admin"})
    assert added.status_code == 200
    refused = post_form(admin_client, REOPEN, {"closes_at": "not a time"})
    assert refused.status_code == 400
    # Each form's page shown (a read), then again after its POST (a write).
    templates = [template for template, _free in seen]
    assert templates == ["admin/users.html"] * 2 + ["admin/reopen.html"] * 2
    assert all(free for _template, free in seen), seen
