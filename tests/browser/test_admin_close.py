"""An admin closes the survey in the console; a respondent then meets the closed page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.journey import welcome_url
from tests.respondent import SLUG

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1024, "height": 768}


def test_admin_closes_the_survey_and_a_respondent_sees_the_closed_page(
    new_context, live_server, make_user, offsite_requests
):
    email, password = make_user("admin")

    # The admin, at a desk: sign in, find the survey, close it now and confirm.
    admin = new_context().new_page()
    admin.set_viewport_size(DESKTOP)
    admin.goto(f"{live_server}/admin/sign-in")
    admin.get_by_label("Email").fill(email)
    admin.get_by_label("Password").fill(password)
    admin.get_by_role("button", name="Sign in").click()
    expect(admin.locator("h1")).to_have_text("Surveys")

    # "Close now" is on the survey's first page: one click, then the confirmation.
    admin.get_by_role("row").filter(has_text=SLUG).get_by_role("link").first.click()
    expect(admin.locator("h1")).to_have_text("Dashboard")
    admin.get_by_role("button", name="Close now").click()

    expect(admin.locator("h1")).to_have_text(f"Close {SLUG} now?")
    admin.get_by_role("button", name="Close now").click()

    expect(admin.get_by_role("status")).to_contain_text(
        f"{SLUG} is closed: no new responses are accepted."
    )
    expect(admin.locator("h1")).to_have_text("Schedule")
    expect(admin.get_by_role("button", name="Close now")).to_have_count(0)
    expect(admin.get_by_role("button", name="Reopen")).to_be_visible()

    # A respondent on a phone, in a fresh browser: the closed page, and no way to start.
    respondent = new_context().new_page()
    respondent.goto(welcome_url(live_server))
    expect(respondent.get_by_role("heading", name="This survey is closed")).to_be_visible()
    expect(respondent.get_by_role("button", name="Start the survey")).to_have_count(0)
    expect(respondent.locator('input[name="consent"]')).to_have_count(0)

    assert offsite_requests == []
