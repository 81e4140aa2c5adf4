"""Accounts page: adding people, roles, disabling, the last admin, and the audit log."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from tests.admin.console import (
    SCHEDULE,
    any_token,
    audit_rows,
    error_summary,
    everything,
    is_signed_in,
    signed_in_client,
    text_of,
    user_row,
    users_of,
)
from tests.staff import post_form, sign_in

USERS = "/admin/users"


def add_account(client, email: str, role: str = "researcher"):
    return post_form(client, USERS, {"email": email, "role": role})


def shown_password(answer) -> str:
    match = re.search(r'<p class="code" translate="no">([^<]+)</p>', answer.get_data(as_text=True))
    assert match, "no password shown"
    return match.group(1)


def update(client, email: str, role: str, active: bool, channels: str = ""):
    """Save the row of `email` on the users page: a role, a partner's channels and, if ticked,
    "Active"."""
    data = {"csrf_token": any_token(client), "role": role, "channels": channels}
    if active:
        data["active"] = "y"
    return client.post(f"/admin/users/{user_row(client.application, email).id}", data=data)


def flashed(client) -> str:
    return text_of(client.get(USERS))


def refusal(answer) -> str:
    """A row's change refused: the page comes back (400) with the summary naming the account."""
    assert answer.status_code == 400
    summary = re.search(r'<div class="error-summary".*?</div>', answer.get_data(as_text=True), re.S)
    assert summary is not None
    return html.unescape(re.sub(r"<[^>]+>", "", summary.group(0)))


def test_adding_a_researcher_shows_a_password_once_that_works(app, admin_client, admin_account):
    answer = add_account(admin_client, "Ana.Researcher@Example.org")
    assert answer.status_code == 200
    assert "ana.researcher@example.org" in text_of(answer)
    password = shown_password(answer)
    assert len(password) >= 12
    assert ("ana.researcher@example.org", "researcher", True) in [row[:3] for row in users_of(app)]
    assert password not in admin_client.get(USERS).get_data(as_text=True)
    newcomer = app.test_client()
    assert sign_in(newcomer, "ana.researcher@example.org", password).status_code == 302
    assert is_signed_in(newcomer)
    assert newcomer.get(USERS).status_code == 403


def test_adding_an_admin(app, admin_client):
    answer = add_account(admin_client, "second.admin@example.org", "admin")
    password = shown_password(answer)
    other = signed_in_client(app, "second.admin@example.org", password)
    assert other.get(USERS).status_code == 200


def test_adding_an_account_is_audited(app, admin_client, admin_account):
    add_account(admin_client, "ana@example.org")
    (event,) = [row for row in audit_rows(app, "user.add") if row.target == "ana@example.org"]
    assert event.actor == admin_account[0]
    assert event.after == {"email": "ana@example.org", "role": "researcher", "active": True}


def test_a_duplicate_email_is_refused(app, admin_client, admin_account):
    add_account(admin_client, "ana@example.org")
    before = everything(app)
    answer = add_account(admin_client, "ANA@example.org", "admin")
    assert answer.status_code == 400
    assert "already exists" in error_summary(answer)
    assert '<p class="code"' not in answer.get_data(as_text=True)
    assert everything(app) == before


def test_a_bad_email_is_refused(app, admin_client):
    before = everything(app)
    answer = add_account(admin_client, "not an email")
    assert answer.status_code == 400
    assert "Email" in error_summary(answer)
    assert everything(app) == before


def test_changing_a_role_is_audited(app, admin_client, admin_account, make_user):
    email, _password = make_user("researcher")
    answer = update(admin_client, email, "admin", active=True)
    assert answer.status_code == 302
    assert f"The account of {email} was saved." in flashed(admin_client)
    assert user_row(app, email).role == "admin"
    (event,) = audit_rows(app, "user.update")
    assert event.actor == admin_account[0]
    assert event.target == email
    assert event.before == {"role": "researcher", "active": True}
    assert event.after == {"role": "admin", "active": True}


def test_disabling_an_account_signs_it_out_and_is_audited(app, admin_client, make_user):
    email, password = make_user("researcher")
    theirs = signed_in_client(app, email, password)
    assert update(admin_client, email, "researcher", active=False).status_code == 302
    assert user_row(app, email).active is False
    assert not is_signed_in(theirs)
    assert sign_in(app.test_client(), email, password).status_code == 401
    (event,) = audit_rows(app, "user.update")
    assert event.after == {"role": "researcher", "active": False}
    assert "(disabled)" in flashed(admin_client)


def test_the_last_active_admin_cannot_be_demoted_or_disabled(app, admin_client, admin_account):
    email = admin_account[0]
    before = everything(app)
    for role, active in (("researcher", True), ("admin", False), ("researcher", False)):
        answer = update(admin_client, email, role, active)
        assert answer.status_code == 400
        message = f"{email}: This is the last active admin; add another admin first."
        assert message in refusal(answer)
        assert everything(app) == before
    assert is_signed_in(admin_client)


def test_a_disabled_admin_does_not_count_as_the_other_admin(
    app, admin_client, admin_account, make_user
):
    other, _password = make_user("admin")
    assert update(admin_client, other, "admin", active=False).status_code == 302
    before = everything(app)
    answer = update(admin_client, admin_account[0], "researcher", active=True)
    assert "last active admin" in refusal(answer)
    assert everything(app) == before


def test_with_two_admins_one_may_step_down(app, admin_client, admin_account, make_user):
    make_user("admin")
    assert update(admin_client, admin_account[0], "researcher", active=True).status_code == 302
    assert user_row(app, admin_account[0]).role == "researcher"


def test_the_audit_log_lists_sign_ins_failures_and_schedule_changes(
    app, admin_client, admin_account, clock
):
    admin_email = admin_account[0]
    clock.now += timedelta(minutes=7)
    sign_in(app.test_client(), "intruder@example.org", "wrong password!!")
    clock.now += timedelta(minutes=3)
    post_form(
        admin_client,
        SCHEDULE,
        {
            "opens_at": "",
            "closes_at": "2027-06-01T12:00",
            "timezone": "Europe/Brussels",
            "grace_minutes": "60",
            "contact": "",
        },
    )
    page = admin_client.get("/admin/audit")
    assert page.status_code == 200
    rows = [
        [re.sub(r"<[^>]+>", " ", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", page.get_data(as_text=True), re.S)
    ]
    by_action = {row[2]: row for row in rows if len(row) == 6}
    assert by_action["sign_in"][:2] == ["2027-01-15 12:00:00", admin_email]
    assert by_action["sign_in.failed"][:4] == [
        "2027-01-15 12:07:00",
        "intruder@example.org",
        "sign_in.failed",
        "intruder@example.org",
    ]
    change = by_action["schedule.change"]
    assert change[:4] == ["2027-01-15 12:10:00", admin_email, "schedule.change", "survey:we-own-it"]
    assert "2027-05-25T22:00:00+00:00" in change[4]
    assert "2027-06-01T10:00:00+00:00" in change[5]
    actions = [row[2] for row in rows if len(row) == 6]
    assert actions.index("schedule.change") < actions.index("sign_in.failed"), "newest first"


# -- partners ----------------------------------------------------------------------------------


def test_adding_a_partner_with_its_channels(app, admin_client, admin_account):
    answer = post_form(
        admin_client,
        USERS,
        {"email": "fed@example.org", "role": "partner", "channels": "cecop, cicopa-americas"},
    )
    assert answer.status_code == 200, error_summary(answer)
    password = shown_password(answer)
    partner = user_row(app, "fed@example.org")
    assert partner.role == "partner"
    (event,) = [row for row in audit_rows(app, "user.add") if row.target == "fed@example.org"]
    assert event.actor == admin_account[0]
    assert event.after == {
        "email": "fed@example.org",
        "role": "partner",
        "active": True,
        "channels": ["cecop", "cicopa-americas"],
    }
    listed = text_of(admin_client.get(USERS))
    assert "Channels: cecop, cicopa-americas" in listed
    assert 'value="cecop cicopa-americas"' in listed  # its row's field, ready to change
    newcomer = signed_in_client(app, "fed@example.org", password)
    assert newcomer.get("/admin/surveys").status_code == 200
    assert newcomer.get(USERS).status_code == 403


@pytest.mark.parametrize(
    ("role", "channels", "reason"),
    [
        ("partner", "", "A partner needs at least one channel"),
        ("partner", "cecop fed!", "'fed!' is not a channel tag"),
        ("researcher", "cecop", "Only partners have channels"),
    ],
)
def test_a_partner_without_channel_a_bad_tag_or_channels_for_staff_are_refused(
    app, admin_client, role, channels, reason
):
    before = everything(app)
    answer = post_form(
        admin_client, USERS, {"email": "fed@example.org", "role": role, "channels": channels}
    )
    assert answer.status_code == 400
    assert reason in error_summary(answer)
    assert '<p class="code"' not in answer.get_data(as_text=True)
    assert everything(app) == before


def test_changing_a_partner_s_channels_is_audited(app, admin_client, admin_account, make_user):
    email, _password = make_user("partner", channels=["cecop"])
    answer = update(admin_client, email, "partner", active=True, channels="cecop,  new-fed")
    assert answer.status_code == 302
    assert f"The account of {email} was saved." in flashed(admin_client)
    assert user_row(app, email).channels == ("cecop", "new-fed")
    (event,) = audit_rows(app, "user.channels")
    assert (event.actor, event.target) == (admin_account[0], email)
    assert event.before == {"channels": ["cecop"]}
    assert event.after == {"channels": ["cecop", "new-fed"]}
    assert audit_rows(app, "user.update") == []  # role and access unchanged


def test_a_researcher_becomes_a_partner_and_back(app, admin_client, make_user):
    email, _password = make_user("researcher")
    before = everything(app)
    answer = update(admin_client, email, "partner", active=True)
    assert "A partner needs at least one channel" in refusal(answer)
    assert everything(app) == before

    update(admin_client, email, "partner", active=True, channels="cecop")
    assert (user_row(app, email).role, user_row(app, email).channels) == ("partner", ("cecop",))

    before = everything(app)
    answer = update(admin_client, email, "researcher", active=True, channels="cecop")
    assert "Only partners have channels" in refusal(answer)
    assert everything(app) == before
    update(admin_client, email, "researcher", active=True)
    assert (user_row(app, email).role, user_row(app, email).channels) == ("researcher", ())
    actions = [row.action for row in audit_rows(app) if row.target == email]
    assert actions[-4:] == ["user.update", "user.channels", "user.update", "user.channels"]


def test_a_refused_change_keeps_what_was_typed_in_its_row(app, admin_client, make_user):
    email, _password = make_user("partner", channels=["cecop"])
    before = everything(app)
    answer = update(admin_client, email, "partner", active=True, channels="cecop bad!tag")
    assert f"{email}: " in refusal(answer) and "'bad!tag' is not a channel tag" in refusal(answer)
    page = answer.get_data(as_text=True)
    row = re.search(r'<input[^>]*id="channels-\d+"[^>]*value="cecop bad!tag"[^>]*>', page)
    assert row is not None, "the typed channels are not kept"
    assert 'aria-invalid="true"' in row.group(0)
    assert everything(app) == before


def test_a_new_account_is_a_researcher_unless_another_role_is_chosen(admin_client):
    page = admin_client.get(USERS).get_data(as_text=True)
    add_form = page[page.index("Add an account") :]
    chosen = re.findall(
        r'<option[^>]*selected[^>]*value="(\w+)"|<option value="(\w+)" selected', add_form
    )
    assert [value or other for value, other in chosen][:1] == ["researcher"]
