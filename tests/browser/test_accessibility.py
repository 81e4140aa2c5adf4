"""axe-core on every respondent page: no serious or critical violation (the shipped survey's,
and the pages of the note, acknowledge and geopoint question types)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from survey.questionnaire_store import load_questionnaire
from tests.admin.dashboards import add_response, survey_ids
from tests.browser import test_notes_and_places as places
from tests.browser.journey import (
    expect_section,
    fill_section,
    label_for,
    next_page,
    start,
    welcome_url,
)
from tests.respondent import MEMBER_ANSWERS, SLUG

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


class Audit:
    """Runs axe on each page it is shown and keeps the serious and critical violations."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.found: list[str] = []

    def __call__(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        results = self.axe.run(page).response
        assert results.get("passes"), f"axe did not run on {name}: {results}"
        violations: list[dict[str, Any]] = results["violations"]
        for violation in violations:
            if violation.get("impact") in BLOCKING:
                targets = [node["target"] for node in violation["nodes"]][:5]
                self.found.append(
                    f"{name} ({page.url}): [{violation['impact']}] {violation['id']}: "
                    f"{violation['help']} at {targets}"
                )

    def assert_clean(self) -> None:
        assert not self.found, "axe found:\n" + "\n".join(self.found)


@pytest.fixture
def audit() -> Audit:
    return Audit()


@pytest.mark.one_database
def test_every_page_of_the_member_journey(page, app, live_server, audit):
    page.goto(welcome_url(live_server))
    audit(page, "welcome")
    page.get_by_role("button", name="Start the survey").click()
    expect(page.locator(".error-summary")).to_be_focused()
    audit(page, "welcome with the consent error")

    label_for(page, "f-consent").check()
    page.get_by_role("button", name="Start the survey").click()
    expect_section(page, "About you", 1, 4)
    next_page(page)
    expect(page.locator(".error-summary")).to_be_focused()
    audit(page, "about_you with errors")

    for section_id, answers in MEMBER_ANSWERS.items():
        expect(page.locator(".progress")).to_be_visible()
        fill_section(page, answers)  # reveals the conditional questions and other boxes
        audit(page, section_id)
        next_page(page)

    expect(page.locator("h1")).to_have_text("Check your answers before you submit")
    audit(page, "review")
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.locator("h1")).to_have_text("Thank you, your answers were submitted")
    audit(page, "thanks")

    # Enough others for the participation page to show its charts and tables.
    with app.extensions["survey_db"].writing() as session:
        for index, country in enumerate(["KE"] * 6 + ["AR"] * 2 + ["FR"] * 9):
            started = datetime(2027, 1, 10 + index % 3, 9, tzinfo=UTC)
            add_response(
                session,
                survey_ids(app),
                status="complete",
                started=started,
                seconds=600,
                answers={"country": country},
            )
    page.get_by_role("link", name="See how many people have taken part").click()
    expect(page.locator("h1")).to_have_text("How many people have taken part")
    expect(page.locator("#table-by-country")).to_contain_text("fewer than 5")
    audit(page, "participation")
    audit.assert_clean()


@pytest.mark.one_database
def test_end_and_error_pages(page, live_server, audit):
    start(page, live_server)
    fill_section(page, {"age": "15"})
    next_page(page)
    expect(page.locator("main")).to_contain_text("for people aged 16 and over")
    audit(page, "screened out")

    page.context.clear_cookies()
    page.goto(welcome_url(live_server))
    page.get_by_label("Resume code").fill("not-a-code")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit(page, "resume code error")

    page.goto(f"{welcome_url(live_server)}/resume/AAAA-BBBB-CCCC")
    expect(page.locator(".error-summary")).to_contain_text("No answers were found")
    audit(page, "unknown resume code")

    response = page.goto(f"{live_server}/s/{SLUG}/no-such-page")
    assert response is not None and response.status == 404
    audit(page, "404")
    audit.assert_clean()


@pytest.mark.one_database
def test_notes_tick_boxes_and_places(new_context, app, live_server, audit):
    """With the "Use my location" button shown and its status said, and with every kind of
    error beside the tick box and the two boxes of a place."""
    with app.extensions["survey_db"].writing() as session:
        load_questionnaire(session, places.NOTES_AND_PLACES)
    page = new_context(geolocation=places.DAKAR, permissions=["geolocation"]).new_page()
    places.start(page, live_server)
    audit(page, "note and tick box")
    next_page(page)
    expect(page.locator(".error-summary")).to_be_focused()
    audit(page, "tick box with its error")

    label_for(page, "f-rules").check()
    next_page(page)
    places.locate_button(page, "office").click()
    expect(places.block(page, "office").get_by_role("status")).to_have_text(places.LOCATED)
    audit(page, "places, one located")
    places.box(page, "office", "latitude").fill("")
    places.box(page, "site", "latitude").fill("north")
    next_page(page)
    expect(page.locator(".error-summary li")).to_have_count(3)
    audit(page, "places with errors")
    audit.assert_clean()
