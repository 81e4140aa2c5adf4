"""Every admin form needs its CSRF token: without it, 400 and nothing changes."""

from __future__ import annotations

from tests.admin.console import (
    CLOSE,
    REOPEN,
    REOPEN_FORM,
    SCHEDULE,
    SCHEDULE_FORM,
    SIGN_IN,
    audit_rows,
    everything,
    is_signed_in,
    user_row,
)
from tests.staff import sign_in


def refused(client, path: str, data: dict[str, object]) -> str:
    answer = client.post(path, data=data)
    assert answer.status_code == 400, path
    return answer.get_data(as_text=True)


def test_sign_in_without_token(app, client, make_user):
    email, password = make_user("admin")
    refused(client, SIGN_IN, {"email": email, "password": password})
    assert not is_signed_in(client)
    assert [row.action for row in audit_rows(app)] == ["user.add"]


def test_sign_in_with_a_forged_token(client, make_user):
    email, password = make_user("admin")
    refused(client, SIGN_IN, {"csrf_token": "forged", "email": email, "password": password})
    assert not is_signed_in(client)


def test_sign_out_without_token(admin_client):
    refused(admin_client, "/admin/sign-out", {})
    assert is_signed_in(admin_client)


def test_password_change_without_token(app, admin_client, admin_account):
    email, password = admin_account
    refused(admin_client, "/admin/password", {"current": password, "new": "a brand new password"})
    assert sign_in(app.test_client(), email, password).status_code == 302
    assert is_signed_in(admin_client)


def test_schedule_close_reopen_users_without_token(app, admin_client, admin_account):
    admin_id = user_row(app, admin_account[0]).id
    before = everything(app)
    posts = {
        SCHEDULE: SCHEDULE_FORM,
        CLOSE: {},
        REOPEN: REOPEN_FORM,
        "/admin/users": {"email": "new.person@example.org", "role": "researcher"},
        f"/admin/users/{admin_id}": {"role": "researcher"},
    }
    for path, data in posts.items():
        page = refused(admin_client, path, data)
        assert "nothing was saved" in page, path
    assert everything(app) == before
    assert is_signed_in(admin_client)
