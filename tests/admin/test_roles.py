"""Who may see what: anonymous visitors sign in first, researchers only read, admins do all."""

from __future__ import annotations

import pytest

from tests.admin.console import (
    CLOSE,
    REOPEN,
    REOPEN_FORM,
    SCHEDULE,
    SCHEDULE_FORM,
    SIGN_IN,
    SURVEY,
    any_token,
    everything,
    user_row,
)
from tests.staff import form_token

READ_PAGES = ["/admin/", "/admin/surveys", SURVEY, "/admin/password"]
ADMIN_PAGES = [SCHEDULE, CLOSE, REOPEN, "/admin/users", "/admin/audit"]

# What each admin-only POST would do if it were allowed.
ADMIN_POSTS = {
    SCHEDULE: SCHEDULE_FORM,
    CLOSE: {},
    REOPEN: REOPEN_FORM,
    "/admin/users": {"email": "new.person@example.org", "role": "admin"},
}


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in READ_PAGES + ADMIN_PAGES:
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith(SIGN_IN), path


def test_anonymous_posts_are_sent_to_sign_in_and_change_nothing(app, client, make_user):
    admin_email, _password = make_user("admin")
    admin_id = user_row(app, admin_email).id
    token = form_token(client, SIGN_IN)
    before = everything(app)
    posts = {
        **ADMIN_POSTS,
        f"/admin/users/{admin_id}": {"role": "researcher"},
        "/admin/password": {"current": "x", "new": "a brand new password"},
    }
    for path, data in posts.items():
        answer = client.post(path, data={"csrf_token": token, **data})
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith(SIGN_IN), path
    assert everything(app) == before


def test_a_researcher_reads_the_surveys_and_the_dashboard(researcher_client):
    for path in READ_PAGES:
        answer = researcher_client.get(path, follow_redirects=True)
        assert answer.status_code == 200, path


def test_a_researcher_sees_no_admin_links(researcher_client):
    page = researcher_client.get(SURVEY).get_data(as_text=True)
    for path in (SCHEDULE, "/admin/users", "/admin/audit"):
        assert f'href="{path}"' not in page


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_researcher_gets_403_on_admin_pages(researcher_client, path):
    assert researcher_client.get(path).status_code == 403


def test_a_researcher_gets_403_on_admin_posts_and_nothing_changes(
    app, researcher_client, admin_account
):
    admin_id = user_row(app, admin_account[0]).id
    token = any_token(researcher_client)
    before = everything(app)
    posts = {**ADMIN_POSTS, f"/admin/users/{admin_id}": {"role": "researcher"}}
    for path, data in posts.items():
        answer = researcher_client.post(path, data={"csrf_token": token, **data})
        assert answer.status_code == 403, path
    assert everything(app) == before


def test_an_admin_gets_every_page(admin_client):
    for path in READ_PAGES + ADMIN_PAGES:
        answer = admin_client.get(path, follow_redirects=True)
        assert answer.status_code == 200, path
    page = admin_client.get(SURVEY).get_data(as_text=True)
    for word in ("Dashboard", "Users", "Audit log"):
        assert word in page


def test_an_unknown_survey_is_404_for_staff(admin_client, researcher_client):
    assert researcher_client.get("/admin/surveys/nope").status_code == 404
    for path in ("/admin/surveys/nope", "/admin/surveys/nope/schedule"):
        assert admin_client.get(path).status_code == 404
