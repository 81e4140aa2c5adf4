"""Signing in and out of the admin console, throttling, and changing one's password."""

from __future__ import annotations

import statistics
import time
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
from tests.waits import seconds_to_wait, wait_headers


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


def from_address(app, address: str):
    """A browser whose requests come from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_failures_from_one_address_slow_that_address_for_that_account(app, make_user):
    email, password = make_user("admin")
    attacker = from_address(app, "203.0.113.7")
    for _ in range(5):
        assert sign_in(attacker, email, "wrong password!!").status_code == 401
    blocked = sign_in(attacker, email, password)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many failed sign-ins from this address" in text_of(blocked)
    assert 0 < seconds_to_wait(blocked) <= 61  # the per-minute limit was reached
    assert not is_signed_in(attacker)


def test_only_a_refused_sign_in_is_told_to_wait(client, make_user):
    """The sign-in page, a wrong password and a sign-in let through ask no one to wait and
    tell nothing of the limiter's counts (how many guesses are left): only a 429 does."""
    email, password = make_user("admin")
    page = client.get(SIGN_IN)
    assert page.status_code == 200 and wait_headers(page) == {}
    refused = sign_in(client, email, "wrong password!!")
    assert refused.status_code == 401 and wait_headers(refused) == {}
    signed_in = sign_in(client, email, password)
    assert signed_in.status_code == 302 and wait_headers(signed_in) == {}


def test_the_right_person_is_never_locked_out_from_another_address(app, make_user):
    email, password = make_user("admin")
    for number in range(1, 4):  # failures from several addresses, each up to its limit
        attacker = from_address(app, f"203.0.113.{number}")
        for _ in range(6):
            sign_in(attacker, email, "wrong password!!")
    office = from_address(app, "198.51.100.20")
    assert sign_in(office, email, password).status_code == 302
    assert is_signed_in(office)


def test_failures_for_many_accounts_from_one_address_slow_that_address(app, make_user):
    email, password = make_user("admin")
    script = from_address(app, "203.0.113.9")
    failed = 0
    for number in range(25):
        answer = sign_in(script, f"guess{number}@example.org", "wrong password!!")
        if answer.status_code == 429:
            break
        assert answer.status_code == 401
        failed += 1
    assert 5 < failed <= 20  # every attempt per address, and failed ones, are counted
    assert sign_in(script, email, password).status_code == 429
    assert sign_in(from_address(app, "198.51.100.20"), email, password).status_code == 302


def test_throttling_one_email_leaves_other_accounts_alone(client, make_user):
    email, _password = make_user("admin")
    other, other_password = make_user("researcher")
    for _ in range(5):
        sign_in(client, email, "wrong password!!")
    assert sign_in(client, other, other_password).status_code == 302


def test_unknown_and_disabled_accounts_answer_as_slowly_as_active_ones(
    app, clock, make_user, real_password_hashing
):
    """Timing tells no one which emails have an account: each attempt checks one password
    hash. A wrong password for an active account is the yardstick."""
    make_user("admin")
    active, _password = make_user("researcher")
    disabled, _other = make_user("researcher")
    with app.extensions["survey_db"].writing() as session:
        user = accounts.find_user(session, disabled)
        accounts.update_user(
            session, user, role="researcher", active=False, actor=None, now=clock.now
        )
    with app.extensions["survey_db"].writing() as session:  # the stand-in hash, made once
        accounts.authenticate(session, "warm-up@example.org", "x", clock.now)

    # Taken in turns, and as the CPU time of this thread (the hash is computed in it): the load
    # of other programs, which changes from one second to the next, moves neither.
    seconds: dict[str, list[float]] = {active: [], disabled: [], "nobody@example.org": []}
    for _ in range(5):
        for email, times in seconds.items():
            with app.extensions["survey_db"].writing() as session:
                started = time.thread_time()
                assert accounts.authenticate(session, email, "wrong password!!", clock.now) is None
                times.append(time.thread_time() - started)

    yardstick = statistics.median(seconds[active])
    for email in (disabled, "nobody@example.org"):
        assert statistics.median(seconds[email]) > 0.5 * yardstick, email


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
    for target in (
        "https://evil.example/admin",
        "//evil.example/admin",
        "/s/we-own-it",
        "/admin\r\nSet-Cookie: x=y",
        "/admin/users\nLocation: https://evil.example",
        "/admin\\/evil.example",
    ):
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


def copy_of(app, client):
    """Another browser holding a copy of `client`'s cookie."""
    thief = app.test_client()
    thief.set_cookie("survey", client.get_cookie("survey").value)
    return thief


def test_a_copied_cookie_stops_working_at_sign_out(app, make_user):
    client = signed_in_client(app, *make_user("admin"))
    thief = copy_of(app, client)
    assert is_signed_in(thief)
    client.post("/admin/sign-out", data={"csrf_token": any_token(client)})
    assert not is_signed_in(thief)


def test_a_session_ends_after_30_minutes_without_activity(app, clock, make_user):
    client = signed_in_client(app, *make_user("admin"))
    clock.now += timedelta(minutes=29)
    assert is_signed_in(client)
    clock.now += timedelta(minutes=29)  # 29 minutes after the last request
    assert is_signed_in(client)
    clock.now += timedelta(minutes=31)
    assert not is_signed_in(client)


def test_a_session_ends_after_12_hours_however_active(app, clock, make_user):
    email, password = make_user("admin")
    client = signed_in_client(app, email, password)
    signed_in_at = clock.now
    while clock.now < signed_in_at + timedelta(hours=11, minutes=40):
        clock.now += timedelta(minutes=20)
        assert is_signed_in(client), clock.now - signed_in_at
    clock.now = signed_in_at + timedelta(hours=12, seconds=1)
    assert not is_signed_in(client)
    assert is_signed_in(signed_in_client(app, email, password))  # signing in again works


def test_sign_out_everywhere_ends_every_session_of_the_account(app, make_user):
    email, password = make_user("admin")
    other_email, other_password = make_user("researcher")
    phone = signed_in_client(app, email, password)
    laptop = signed_in_client(app, email, password)
    colleague = signed_in_client(app, other_email, other_password)
    page = text_of(laptop.get("/admin/password"))
    assert "Sign out everywhere" in page
    answer = laptop.post(
        "/admin/sign-out-everywhere", data={"csrf_token": form_token(laptop, "/admin/password")}
    )
    assert answer.status_code == 302
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert is_signed_in(colleague)
    assert [row.actor for row in audit_rows(app, "sign_out.everywhere")] == [email]


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
