"""Partners (member federations): the dashboard of their own channels only, and nothing else.

The data set mixes the partner's channel (cecop) with another federation's (other-fed), a
third one and responses without a tag, so that every figure of the whole survey differs from
the partner's. It is the only survey with responses: the dashboard's shortcut for a survey that
holds every response must not apply to a partner's figures.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from tests.admin.console import (
    CLOSE,
    REOPEN,
    REOPEN_FORM,
    SCHEDULE,
    SCHEDULE_FORM,
    SURVEY,
    any_token,
    audit_rows,
    everything,
    signed_in_client,
    text_of,
    user_row,
)
from tests.admin.dashboards import (
    SECTIONS,
    Page,
    add_response,
    at,
    dashboard,
    naive_figures,
    survey_ids,
)

OTHER = "other-fed"
EXPORTS = f"{SURVEY}/exports"


def fill_known_data_set(app: Flask) -> None:
    """120 responses: about a quarter each of cecop, other-fed, union and no tag."""
    ids = survey_ids(app)
    chance = random.Random(20270526)
    with app.extensions["survey_db"].writing() as session:
        for _number in range(120):
            status = chance.choice(["complete", "complete", "in_progress", "screened_out"])
            answers: dict[str, Any] = {"country": chance.choice(["FR", "AR", "KE", "JP", "BR"])}
            if chance.random() < 0.6:
                answers["coop_type"] = chance.choice(["worker", "social", "platform"])
            depth = chance.randint(1, len(SECTIONS))
            path = [sid for sid, _ in SECTIONS[:depth]]
            add_response(
                session,
                ids,
                status=status,
                started=at(3) + timedelta(minutes=chance.randint(0, 60 * 24 * 9)),
                seconds=2 * chance.randint(30, 4000),
                channel=chance.choice([None, "cecop", OTHER, "union"]),
                language=chance.choice(["en", "fr", "es"]),
                answers=answers,
                reached=path,
                finished=path[: chance.randint(0, depth)],
            )


def status_counts(markup: str) -> list[str]:
    """The complete, partial and screened-out counts of the surveys list's only survey row."""
    row = re.search(r"we-own-it, version.*?</tr>", markup, re.S)
    assert row, "no row for we-own-it"
    return re.findall(r'<td class="num">(\d+)</td>', row.group(0))


def test_a_partner_sees_the_figures_of_its_channel_only(app, partner_client, make_user):
    fill_known_data_set(app)
    ours, whole = naive_figures(app, {"cecop"}), naive_figures(app)
    # The data set is such that no figure of the whole survey equals the partner's.
    for name, figure in ours.items():
        assert figure != whole[name], name
    for name, value in ours["headline"].items():
        assert value != whole["headline"][name], name

    page = dashboard(partner_client)
    assert page.figures() == ours
    assert page.counts("table-by-channel") == [("cecop", ours["channel"][0][1])]
    assert [label for label, _series, _value in page.chart("chart-by-channel")] == ["cecop"]
    for chart in ("per-day", "by-country", "breakdown-coop_type", "by-language"):
        bars = [(label, value) for label, _series, value in page.chart(f"chart-{chart}")]
        assert bars == page.counts(f"table-{chart}"), chart
    for other in (OTHER, "union", "(none)"):
        assert other not in page.markup
    assert "your links: cecop." in page.markup

    # The surveys list counts cecop's responses only too.
    listed = partner_client.get("/admin/surveys").get_data(as_text=True)
    headline = ours["headline"]
    shown = [headline["completed"], headline["partial"], headline["screened-out"]]
    assert status_counts(listed) == shown
    assert OTHER not in listed and "your links: cecop." in listed

    # A researcher, on the same data, still sees the whole survey and every channel.
    researcher = signed_in_client(app, *make_user("researcher"))
    assert dashboard(researcher).figures() == whole
    listed = researcher.get("/admin/surveys").get_data(as_text=True)
    assert status_counts(listed) != shown and "your links" not in listed


def test_a_partner_of_several_channels_sees_each_even_without_responses(app, make_user):
    ids = survey_ids(app)
    with app.extensions["survey_db"].writing() as session:
        for channel in ("cecop", "cecop", OTHER):
            add_response(session, ids, started=at(4), channel=channel)
    partner = signed_in_client(app, *make_user("partner", channels=["quiet-fed", "cecop"]))
    page = dashboard(partner)
    assert page.figure("started") == "2"
    assert page.counts("table-by-channel") == [("cecop", 2), ("quiet-fed", 0)]
    assert OTHER not in page.markup


def test_a_partner_reads_the_surveys_its_dashboards_and_its_password(partner_client):
    for path in ("/admin/", "/admin/surveys", SURVEY, "/admin/password"):
        assert partner_client.get(path, follow_redirects=True).status_code == 200, path


def test_the_console_shows_a_partner_only_what_it_may_open(partner_client):
    page = partner_client.get(SURVEY).get_data(as_text=True)
    nav = re.findall(r'href="(/admin/[^"?]*)"', page)
    assert set(nav) == {"/admin/surveys", SURVEY, f"{SURVEY}/share", "/admin/password"}
    for button in ("Close now", "Reopen"):
        assert button not in page
    assert "(partner)" in page  # "Signed in as … (partner)"


@pytest.mark.parametrize(
    "path",
    [EXPORTS, SCHEDULE, CLOSE, REOPEN, "/admin/users", "/admin/audit"]
    + [f"/admin/exports/{'a' * 32}/{what}" for what in ("download", "progress")],
)
def test_a_partner_gets_403_on_every_other_page(partner_client, path):
    assert partner_client.get(path).status_code == 403


def test_a_partner_gets_403_on_every_post_and_nothing_changes(app, partner_client, admin_account):
    admin_id = user_row(app, admin_account[0]).id
    token = any_token(partner_client)
    before = everything(app)
    posts = {
        EXPORTS: {"format": "csv", "values": "codes", "language": "en"},
        f"/admin/exports/{'a' * 32}/delete": {},
        SCHEDULE: SCHEDULE_FORM,
        CLOSE: {},
        REOPEN: REOPEN_FORM,
        "/admin/users": {"email": "new.person@example.org", "role": "admin"},
        f"/admin/users/{admin_id}": {"role": "partner", "channels": "cecop"},
    }
    for path, data in posts.items():
        answer = partner_client.post(path, data={"csrf_token": token, **data})
        assert answer.status_code == 403, path
    assert everything(app) == before


def test_a_partner_s_sign_ins_and_views_are_in_the_audit_log(
    app, partner_client, partner_account, admin_client, make_user
):
    email = partner_account[0]
    (signed_in,) = [row for row in audit_rows(app, "sign_in") if row.actor == email]
    assert signed_in.after == {"channels": ["cecop"]}

    assert partner_client.get("/admin/surveys").status_code == 200
    dashboard(partner_client)
    dashboard(partner_client, "?labels=fr")
    listed = audit_rows(app, "surveys.view")
    assert [(event.target, event.after) for event in listed] == [
        ("surveys", {"channels": ["cecop"]})
    ]
    views = audit_rows(app, "dashboard.view")
    assert [(row.actor, row.target, row.after) for row in views] == [
        (email, "survey:we-own-it", {"channels": ["cecop"]})
    ] * 2
    assert views[0].actor_id == user_row(app, email).id

    # Staff's views are not recorded (they see every channel, as before).
    dashboard(signed_in_client(app, *make_user("researcher")))
    dashboard(admin_client)
    admin_client.get("/admin/surveys")
    assert len(audit_rows(app, "dashboard.view")) == 2
    assert len(audit_rows(app, "surveys.view")) == 1

    log = text_of(admin_client.get("/admin/audit"))
    assert "dashboard.view" in log
    row = re.search(rf"<td>{re.escape(email)}</td>\s*<td>dashboard.view</td>.*?</tr>", log, re.S)
    assert row and "survey:we-own-it" in row.group(0)
    assert "<dt>channels</dt><dd>cecop</dd>" in row.group(0)


def test_a_partner_s_channels_changed_by_an_admin_apply_at_its_next_page(
    app, partner_client, partner_account, admin_client
):
    ids = survey_ids(app)
    with app.extensions["survey_db"].writing() as session:
        add_response(session, ids, started=at(4), channel="cecop")
        add_response(session, ids, started=at(4), channel=OTHER)
    assert Page(partner_client.get(SURVEY).get_data(as_text=True)).figure("started") == "1"
    partner_id = user_row(app, partner_account[0]).id
    answer = admin_client.post(
        f"/admin/users/{partner_id}",
        data={
            "csrf_token": any_token(admin_client),
            "role": "partner",
            "channels": OTHER,
            "active": "y",
        },
    )
    assert answer.status_code == 302
    page = dashboard(partner_client)
    assert page.counts("table-by-channel") == [(OTHER, 1)]
    assert "cecop" not in page.markup


def test_the_service_that_changes_a_partner_s_channels(app, clock, partner_account, make_user):
    from survey import accounts

    db = app.extensions["survey_db"]
    researcher, _password = make_user("researcher")
    with db.writing() as session:
        partner = accounts.find_user(session, partner_account[0])
        assert partner is not None
        change = {"active": True, "actor": None, "now": clock.now}
        accounts.update_user(
            session, partner, role="partner", channels=["union", "cecop"], **change
        )
        assert partner.channels == ("cecop", "union")
        for user, given, reason in (
            (partner, [], "at least one channel"),
            (partner, ["cecop", "bad tag"], "is not a channel tag"),
            (accounts.find_user(session, researcher), ["cecop"], "only partners"),
        ):
            with pytest.raises(accounts.AccountError, match=reason):
                accounts.update_user(session, user, role=user.role, channels=given, **change)
        assert accounts.channels_of(partner) == ("cecop", "union")
        assert accounts.channels_of(accounts.find_user(session, researcher)) is None
    (event,) = audit_rows(app, "user.channels")
    assert (event.actor, event.before, event.after) == (
        "command line",
        {"channels": ["cecop"]},
        {"channels": ["cecop", "union"]},
    )
