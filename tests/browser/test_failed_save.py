"""A failed save in Chromium, with the page script: the network down or the database down when
Next is pressed leaves the page as it was, with everything typed and the page's notice that
nothing was saved yet; the answers are sent again once the browser is back online, come back
after a reload, and are saved by the next press."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.journey import (
    expect_answers,
    expect_section,
    fill_section,
    next_page,
    start,
)
from tests.outage import database_down
from tests.respond.helpers import completed_sections, stored
from tests.respondent import MEMBER_ANSWERS, interface_text, shipped_questionnaire

# What the page does: on SQLite only (see tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.one_database]

NOT_SAVED = "Your answers were not saved yet, press Next again"


def title(section_id: str) -> str:
    section = shipped_questionnaire().section(section_id)
    assert section is not None
    return section.title["en"]


def expect_not_saved(page: Page, section_id: str, answers: dict[str, Any]) -> None:
    """Still the section's page, with its notice and every answer typed."""
    notice = page.locator("[data-unsaved-notice]")
    expect(notice).to_be_visible()
    expect(notice).to_have_text(interface_text(NOT_SAVED, "en"))
    expect(page.locator("h1")).to_have_text(title(section_id))
    expect_answers(page, answers)


def kept_in_tab(page: Page) -> list[str]:
    return page.evaluate("() => Object.keys(sessionStorage)")


def answer_up_to(page: Page, section_id: str) -> None:
    for name, answers in MEMBER_ANSWERS.items():
        expect(page.locator("h1")).to_have_text(title(name))
        if name == section_id:
            return
        fill_section(page, answers)
        next_page(page)


def test_offline_at_next_the_page_stays_and_saves_once_back_online(
    app: Flask, live_server: str, page: Page
):
    start(page, live_server)
    answers = MEMBER_ANSWERS["about_you"]  # a list, choices with "Please specify" texts
    fill_section(page, answers)
    page.context.set_offline(True)
    next_page(page)
    expect_not_saved(page, "about_you", answers)
    expect_section(page, title("about_you"), 1, 4)  # the page was not replaced
    assert stored(app) == {}
    page.context.set_offline(False)  # back online: sent again without a press
    expect_section(page, title("involvement"), 2, 4)
    assert stored(app)["gender_other"] == "Genderfluid"
    assert stored(app)["country"] == "AR"
    assert kept_in_tab(page) == []


def test_a_reload_brings_back_the_answers_not_saved_and_next_saves_them(
    app: Flask, live_server: str, page: Page
):
    start(page, live_server)
    answer_up_to(page, "starting")
    answers = MEMBER_ANSWERS["starting"]  # a matrix, several choices
    fill_section(page, answers)
    # The network fails for this save only (offline, the retry would start as soon as the
    # browser is back online, before a reload).
    page.route("**/p/starting", lambda route: route.abort("internetdisconnected"))
    next_page(page)
    expect_not_saved(page, "starting", answers)
    page.unroute("**/p/starting")
    page.reload()
    expect_not_saved(page, "starting", answers)  # from the tab's storage, not from the server
    assert "starting" not in completed_sections(app)
    next_page(page)
    expect_section(page, title("participation"), 5, 7)
    assert stored(app)["obstacles"] == {"finance": 4, "legal": 9}
    assert kept_in_tab(page) == []
    page.go_back()
    expect(page.locator("[data-unsaved-notice]")).to_be_hidden()


def test_the_database_down_at_next_keeps_the_page_and_the_next_press_saves(
    app: Flask, live_server: str, page: Page, tmp_path
):
    start(page, live_server)
    answers = MEMBER_ANSWERS["about_you"]
    fill_section(page, answers)
    with database_down(app, tmp_path / "down"):
        next_page(page)
        expect_not_saved(page, "about_you", answers)
    expect_section(page, title("about_you"), 1, 4)
    next_page(page)
    expect_section(page, title("involvement"), 2, 4)
    assert stored(app)["situation"] == ["worker_member", "other"]


def test_a_refused_save_shows_its_messages_as_without_the_script(live_server: str, page: Page):
    start(page, live_server)
    next_page(page)  # nothing answered
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()  # the page script ran on the page the server sent
    expect(page.locator("[data-unsaved-notice]")).to_be_hidden()
    fill_section(page, MEMBER_ANSWERS["about_you"])
    next_page(page)
    expect_section(page, title("involvement"), 2, 4)
