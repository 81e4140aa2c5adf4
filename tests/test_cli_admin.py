"""`survey user add`, `schedule`, `close`, `reopen` and `init` as an operator types them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from survey import accounts
from survey.models import AuditEvent, Survey, User
from tests.staff import sign_in

SLUG = "we-own-it"


def run(app, *args: str, stdin: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def assert_ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def assert_refused(result, reason: str) -> None:
    """Exit 1, one line saying why, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert reason in lines[0], result.output


def authenticate(app, clock, email: str, password: str) -> User | None:
    with app.extensions["survey_db"].writing() as session:
        return accounts.authenticate(session, email, password, clock.now)


def users(app) -> list[tuple[str, str]]:
    with app.extensions["survey_db"].reading() as session:
        return [(user.email, user.role) for user in session.scalars(select(User))]


def survey_row(app) -> Survey:
    with app.extensions["survey_db"].reading() as session:
        return session.scalars(select(Survey).where(Survey.slug == SLUG)).one()


def audit_actions(app) -> list[tuple[str, str]]:
    with app.extensions["survey_db"].reading() as session:
        return [(event.action, event.actor) for event in session.scalars(select(AuditEvent))]


def printed_password(output: str) -> str:
    found = re.findall(r"password[^:]*: (\S+)", output)
    assert len(found) == 1, output
    return found[0]


def utc(*parts: int):
    from datetime import UTC, datetime

    return datetime(*parts, tzinfo=UTC)


# -- user add ----------------------------------------------------------------------------------


def test_user_add_prints_a_password_once_that_works(app, clock):
    output = assert_ok(run(app, "user", "add", "Ana@Example.org", "--role", "researcher"))
    password = printed_password(output)
    assert output.count(password) == 1
    assert users(app) == [("ana@example.org", "researcher")]
    user = authenticate(app, clock, "ana@example.org", password)
    assert user is not None and user.role == "researcher"
    assert ("user.add", "command line") in audit_actions(app)


def test_user_add_with_password_stdin_prints_no_password(app, clock):
    chosen = "a long chosen password"
    output = assert_ok(
        run(
            app,
            "user",
            "add",
            "boss@example.org",
            "--role",
            "admin",
            "--password-stdin",
            stdin=chosen + "\n",
        )
    )
    assert chosen not in output
    assert "password" not in output.lower()
    assert authenticate(app, clock, "boss@example.org", chosen) is not None


def test_a_too_short_password_from_stdin_is_refused(app):
    assert_refused(
        run(
            app,
            "user",
            "add",
            "boss@example.org",
            "--role",
            "admin",
            "--password-stdin",
            stdin="short\n",
        ),
        "at least 12 characters",
    )
    assert users(app) == []


def test_a_password_of_spaces_only_is_refused_and_a_padded_one_signs_in(app):
    """The sign-in form reads spaces only as no password: such a one could never be used."""
    add = ("user", "add", "boss@example.org", "--role", "admin", "--password-stdin")
    assert_refused(run(app, *add, stdin=" " * 14 + "\n"), "cannot be spaces only")
    assert users(app) == []
    assert_ok(run(app, *add, stdin="  padded-password-1  \n"))
    client = app.test_client()
    assert sign_in(client, "boss@example.org", "padded-password-1").status_code == 401
    signed_in = sign_in(client, "boss@example.org", "  padded-password-1  ")
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)


def test_a_bad_email_is_refused(app):
    assert_refused(run(app, "user", "add", "not-an-email", "--role", "admin"), "not a valid email")
    assert users(app) == []


def test_a_bad_role_is_refused(app):
    assert_refused(run(app, "user", "add", "ana@example.org", "--role", "owner"), "owner")
    assert users(app) == []


def test_a_duplicate_email_is_refused(app):
    assert_ok(run(app, "user", "add", "ana@example.org", "--role", "researcher"))
    assert_refused(run(app, "user", "add", "ANA@example.org", "--role", "admin"), "already exists")
    assert users(app) == [("ana@example.org", "researcher")]


def partner_channels(app, email: str) -> tuple[str, ...]:
    with app.extensions["survey_db"].reading() as session:
        user = accounts.find_user(session, email)
        assert user is not None
        return user.channels


def test_user_add_a_partner_with_its_channels(app, clock):
    output = assert_ok(
        run(
            app,
            "user",
            "add",
            "fed@example.org",
            "--role",
            "partner",
            "--channel",
            "cicopa-americas",
            "--channel",
            "cecop",
        )
    )
    assert "partner fed@example.org added (channels: cecop, cicopa-americas)" in output
    assert partner_channels(app, "fed@example.org") == ("cecop", "cicopa-americas")
    assert authenticate(app, clock, "fed@example.org", printed_password(output)) is not None


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--role", "partner"], "a partner needs at least one channel"),
        (["--role", "partner", "--channel", "cecop", "--channel", "no tag"], "'no tag'"),
        (["--role", "researcher", "--channel", "cecop"], "only partners have channels"),
        (["--role", "admin", "--channel", "cecop"], "only partners have channels"),
    ],
)
def test_a_partner_without_channel_a_bad_tag_or_a_channel_for_staff_is_refused(app, args, reason):
    assert_refused(run(app, "user", "add", "fed@example.org", *args), reason)
    assert users(app) == []
    assert audit_actions(app) == []


# -- schedule ----------------------------------------------------------------------------------


def test_a_time_without_offset_is_read_in_the_survey_zone(app):
    output = assert_ok(run(app, "schedule", SLUG, "--closes-at", "2027-06-01T12:00"))
    row = survey_row(app)
    assert row.closes_at == utc(2027, 6, 1, 10, 0)
    assert row.timezone == "Europe/Brussels"
    assert row.grace_minutes == 60  # unchanged
    assert "2027-06-01 12:00 Europe/Brussels (UTC+0200)" in output
    assert ("schedule.change", "command line") in audit_actions(app)


def test_a_time_with_an_offset_is_that_instant(app):
    assert_ok(run(app, "schedule", SLUG, "--closes-at", "2027-06-01T12:00Z"))
    assert survey_row(app).closes_at == utc(2027, 6, 1, 12, 0)


def test_timezone_changes_the_zone_times_are_read_in(app):
    assert_ok(
        run(
            app,
            "schedule",
            SLUG,
            "--timezone",
            "America/Argentina/Buenos_Aires",
            "--closes-at",
            "2027-06-01T12:00",
            "--opens-at",
            "2027-02-01T09:00",
            "--grace-minutes",
            "15",
        )
    )
    row = survey_row(app)
    assert row.timezone == "America/Argentina/Buenos_Aires"
    assert row.closes_at == utc(2027, 6, 1, 15, 0)
    assert row.opens_at == utc(2027, 2, 1, 12, 0)
    assert row.grace_minutes == 15
    assert row.schedule_set_by_admin


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--closes-at", "2027-05-26T00:00", "--grace-minutes", "60"],
        ["--closes-at", "2027-05-25T22:00Z", "--timezone", "Europe/Brussels"],
        ["--opens-at", "none", "--contact", "CICOPA (www.cicopa.coop)"],
    ],
)
def test_a_schedule_set_to_what_it_is_changes_nothing_and_says_so(app, args):
    output = assert_ok(run(app, "schedule", SLUG, *args))
    assert output.splitlines()[0] == "Nothing changed."
    assert f"{SLUG}: open; opens at once; closes 2027-05-26 00:00" in output
    assert audit_actions(app) == []
    assert not survey_row(app).schedule_set_by_admin


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--closes-at", "2027-03-28T02:30"], "does not exist in Europe/Brussels"),
        (["--closes-at", "2027-10-31T02:30"], "happens twice in Europe/Brussels"),
        (["--closes-at", "tomorrow"], "is not a date and time"),
        # Times at the ends of Python's dates, where an offset or the grace would overflow.
        (["--closes-at", "9999-12-31T23:59-12:00"], "is too far off"),
        (["--closes-at", "0001-01-01T00:00+14:00"], "is too far off"),
        (["--opens-at", "1999-12-31T23:59"], "between the years 2000 and 9000"),
        (["--timezone", "Mars/Olympus_Mons"], "is not a time zone"),
        (["--timezone", ""], "'' is not a time zone"),
        (["--grace-minutes", "-1"], "grace period"),
        (
            ["--opens-at", "2027-06-01T00:00", "--closes-at", "2027-05-01T00:00"],
            "after the opening",
        ),
    ],
)
def test_a_schedule_that_cannot_be_is_refused(app, args, reason):
    before = survey_row(app)
    assert_refused(run(app, "schedule", SLUG, *args), reason)
    after = survey_row(app)
    assert (after.opens_at, after.closes_at, after.timezone, after.grace_minutes) == (
        before.opens_at,
        before.closes_at,
        before.timezone,
        before.grace_minutes,
    )
    assert not after.schedule_set_by_admin


# -- close and reopen --------------------------------------------------------------------------


def test_close_enters_the_grace_period(app, clock):
    output = assert_ok(run(app, "close", SLUG))
    assert f"{SLUG}: grace;" in output
    assert survey_row(app).closes_at == clock.now
    assert ("survey.close", "command line") in audit_actions(app)


def test_close_without_grace_is_closed(app):
    assert_ok(run(app, "schedule", SLUG, "--grace-minutes", "0"))
    assert f"{SLUG}: closed;" in assert_ok(run(app, "close", SLUG))


def test_closing_twice_is_refused(app, clock):
    assert_ok(run(app, "close", SLUG))
    clock.now += timedelta(minutes=5)
    assert_refused(run(app, "close", SLUG), "already closed")
    assert survey_row(app).closes_at == clock.now - timedelta(minutes=5)


def test_reopen_until_a_future_time(app, clock):
    assert_ok(run(app, "close", SLUG))
    clock.now += timedelta(days=2)
    output = assert_ok(run(app, "reopen", SLUG, "--closes-at", "2027-02-01T18:00"))
    assert f"{SLUG}: open;" in output
    assert survey_row(app).closes_at == utc(2027, 2, 1, 17, 0)
    assert ("survey.reopen", "command line") in audit_actions(app)


def test_reopen_until_the_time_it_already_closes_changes_nothing(app):
    output = assert_ok(run(app, "reopen", SLUG, "--closes-at", "2027-05-26T00:00"))
    assert output.splitlines()[0] == "Nothing changed."
    assert audit_actions(app) == []


def test_reopen_until_a_past_time_is_refused(app, clock):
    assert_ok(run(app, "close", SLUG))
    closed_at = clock.now
    clock.now += timedelta(days=2)
    assert_refused(run(app, "reopen", SLUG, "--closes-at", "2027-01-16T12:00"), "future")
    assert survey_row(app).closes_at == closed_at


def test_reopen_until_a_time_too_far_off_is_refused(app):
    assert_ok(run(app, "close", SLUG))
    closed_at = survey_row(app).closes_at
    assert_refused(run(app, "reopen", SLUG, "--closes-at", "9999-12-31T23:59"), "too far off")
    assert survey_row(app).closes_at == closed_at


@pytest.mark.parametrize(
    "args",
    [
        ["schedule", "nope", "--closes-at", "2027-06-01T12:00"],
        ["close", "nope"],
        ["reopen", "nope", "--closes-at", "2027-06-01T12:00"],
    ],
)
def test_an_unknown_slug_is_refused(app, args):
    assert_refused(run(app, *args), "no survey 'nope'")


# -- init --------------------------------------------------------------------------------------


def test_init_creates_the_first_admin_once(app, clock):
    first = assert_ok(run(app, "init"))
    assert "password" in first
    password = printed_password(first)
    assert users(app) == [("admin@example.org", "admin")]
    assert authenticate(app, clock, "admin@example.org", password) is not None
    second = assert_ok(run(app, "init"))
    assert "password" not in second
    assert users(app) == [("admin@example.org", "admin")]


def test_init_leaves_an_existing_admin_alone(app, make_user):
    make_user("admin")
    output = assert_ok(run(app, "init"))
    assert "password" not in output
    assert len(users(app)) == 1


def test_init_keeps_an_admin_schedule(app):
    assert_ok(run(app, "schedule", SLUG, "--closes-at", "2027-06-01T12:00"))
    assert_ok(run(app, "init"))
    assert survey_row(app).closes_at == utc(2027, 6, 1, 10, 0)


def test_the_survey_script_refuses_a_bad_role_with_exit_1(
    app, database_url, tmp_path, monkeypatch, capsys
):
    """The console script (survey.cli.main), not the Flask runner: a usage mistake exits 1."""
    from survey.cli import main

    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    monkeypatch.setenv("SURVEY_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr("sys.argv", ["survey", "user", "add", "ana@example.org", "--role", "owner"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 1
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines() if line.strip()]
    assert len(lines) == 1 and "owner" in lines[0], lines
    assert users(app) == []
