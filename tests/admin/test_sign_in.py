"""Signing in and out of the admin console, throttling, and changing one's password."""

from __future__ import annotations

from datetime import timedelta

from survey import accounts
from tests.admin.console import (
    SIGN_IN,
    WRONG,
    any_token,
    audit_rows,
    is_signed_in,
    signed_in_client,
    text_of,
    user_row,
)
from tests.staff import form_token, post_form, sign_in


def test_sign_in_page_has_email_password_and_sign_in_button(client):
    page = client.get(SIGN_IN)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert '<label class="label" for="f-email">Email</label>' in body
    assert '<label class="label" for="f-password">Password</label>' in body
    assert 'id="f-email"' in body and 'id="f-password"' in body
    assert '<button type="submit" class="button">Sign in</button>' in body


def test_right_credentials_lead_to_the_surveys(client, make_user):
    email, password = make_user("researcher")
    answer = sign_in(client, email, password)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/surveys"
    assert is_signed_in(client)
    assert [row.actor for row in audit_rows(client.application, "sign_in")] == [email]


def test_the_email_is_read_without_case_or_spaces(client, make_user):
    email, password = make_user("admin")
    assert sign_in(client, f"  {email.upper()} ", password).status_code == 302


def test_wrong_password_is_refused_and_audited(client, make_user):
    email, _password = make_user("admin")
    answer = sign_in(client, email, "not the password at all")
    assert answer.status_code == 401
    assert WRONG in text_of(answer)
    assert not is_signed_in(client)
    failed = audit_rows(client.application, "sign_in.failed")
    assert [(row.target, row.actor) for row in failed] == [(email, email)]


def test_unknown_email_gets_the_same_message(client, make_user):
    make_user("admin")
    answer = sign_in(client, "nobody@example.org", "correct horse battery 1")
    assert answer.status_code == 401
    assert WRONG in text_of(answer)
    assert [row.target for row in audit_rows(client.application, "sign_in.failed")] == [
        "nobody@example.org"
    ]


def test_five_failures_block_the_sixth_attempt_for_fifteen_minutes(client, clock, make_user):
    email, password = make_user("admin")
    for _ in range(5):
        assert sign_in(client, email, "wrong password!!").status_code == 401
    blocked = sign_in(client, email, password)
    assert blocked.status_code == 401
    assert "Too many failed attempts" in text_of(blocked)
    assert not is_signed_in(client)
    clock.now += timedelta(minutes=16)
    assert sign_in(client, email, password).status_code == 302
    assert is_signed_in(client)


def test_failures_older_than_fifteen_minutes_do_not_count(client, clock, make_user):
    email, password = make_user("admin")
    for _ in range(4):
        assert sign_in(client, email, "wrong password!!").status_code == 401
    clock.now += timedelta(minutes=16)
    assert sign_in(client, email, "wrong password!!").status_code == 401
    assert sign_in(client, email, password).status_code == 302


def test_throttling_one_email_leaves_other_accounts_alone(client, make_user):
    email, _password = make_user("admin")
    other, other_password = make_user("researcher")
    for _ in range(5):
        sign_in(client, email, "wrong password!!")
    assert sign_in(client, other, other_password).status_code == 302


def test_a_disabled_account_cannot_sign_in(app, client, clock, make_user):
    make_user("admin")
    email, password = make_user("researcher")
    with app.extensions["survey_db"].writing() as session:
        user = accounts.find_user(session, email)
        accounts.update_user(
            session, user, role="researcher", active=False, actor=None, now=clock.now
        )
    answer = sign_in(client, email, password)
    assert answer.status_code == 401
    assert WRONG in text_of(answer)
    assert not is_signed_in(client)


def test_next_is_followed_inside_the_admin_console(client, make_user):
    email, password = make_user("admin")
    redirect = client.get("/admin/users")
    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith(f"{SIGN_IN}?next=")
    answer = client.post(
        f"{SIGN_IN}?next=/admin/users",
        data={"csrf_token": form_token(client, SIGN_IN), "email": email, "password": password},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/users"


def test_next_outside_the_admin_console_is_ignored(app, make_user):
    email, password = make_user("admin")
    for target in ("https://evil.example/admin", "//evil.example/admin", "/s/we-own-it"):
        client = app.test_client()
        answer = client.post(
            SIGN_IN,
            query_string={"next": target},
            data={"csrf_token": form_token(client, SIGN_IN), "email": email, "password": password},
        )
        assert answer.status_code == 302
        assert answer.headers["Location"] == "/admin/surveys", target


def test_sign_out_ends_the_session(app, make_user):
    client = signed_in_client(app, *make_user("admin"))
    answer = client.post("/admin/sign-out", data={"csrf_token": any_token(client)})
    assert answer.status_code == 302
    assert answer.headers["Location"] == SIGN_IN
    assert not is_signed_in(client)


def test_sign_in_page_works_when_already_signed_in(app, make_user):
    client = signed_in_client(app, *make_user("admin"))
    assert client.get(SIGN_IN).status_code == 200


# -- changing one's password -------------------------------------------------------------------


def change_password(client, current: str, new: str):
    return post_form(client, "/admin/password", {"current": current, "new": new})


def test_password_change_with_a_wrong_current_password_is_refused(app, make_user):
    email, password = make_user("researcher")
    client = signed_in_client(app, email, password)
    before = user_row(app, email).password_hash
    answer = change_password(client, "not my password", "a brand new password")
    assert answer.status_code in (200, 400)
    assert "The current password is not right." in text_of(answer)
    assert user_row(app, email).password_hash == before


def test_a_too_short_new_password_is_refused(app, make_user):
    email, password = make_user("researcher")
    client = signed_in_client(app, email, password)
    before = user_row(app, email).password_hash
    answer = change_password(client, password, "short")
    assert answer.status_code in (200, 400)
    assert "12" in text_of(answer)
    assert user_row(app, email).password_hash == before
    assert signed_in_client(app, email, password)


def test_password_change_replaces_the_old_password(app, clock, make_user):
    email, password = make_user("researcher")
    client = signed_in_client(app, email, password)
    clock.now += timedelta(minutes=5)
    answer = change_password(client, password, "a brand new password")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/surveys"
    assert is_signed_in(client), "whoever changed the password stays signed in"
    assert sign_in(app.test_client(), email, password).status_code == 401
    assert sign_in(app.test_client(), email, "a brand new password").status_code == 302
    assert [row.actor for row in audit_rows(app, "user.password")] == [email]


def test_password_change_signs_out_the_other_sessions(app, clock, make_user):
    email, password = make_user("admin")
    phone = signed_in_client(app, email, password)
    laptop = signed_in_client(app, email, password)
    clock.now += timedelta(minutes=5)
    assert change_password(laptop, password, "a brand new password").status_code == 302
    assert is_signed_in(laptop)
    answer = phone.get("/admin/surveys")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(SIGN_IN)


def test_passwords_are_stored_as_argon2_hashes(app, make_user):
    email, password = make_user("researcher")
    stored = user_row(app, email).password_hash
    assert stored.startswith("$argon2")
    assert password not in stored
