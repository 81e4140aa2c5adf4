"""The note, acknowledge and geopoint question types in Chromium, on a 360 px wide phone: the
notes-and-places survey (tests/questionnaires/notes-and-places.yaml) answered with the page
script and the browser's location, with the location refused, and with JavaScript off.

Section `before` shows the note `about` (two paragraphs and a hint) and asks the required tick
box `rules`; `places` asks the optional place `office`, `shared` (shown once `office` is
answered) and the required place `site`; `end` asks the optional tick box `on_map` and shows the
note `map_note` once it is ticked.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from survey.settings import PROJECT_ROOT
from tests.browser.journey import (
    agree_and_start,
    assert_fits_the_phone,
    block,
    expect_section,
    label_for,
    next_page,
    review_and_submit,
    serve,
)
from tests.respond.helpers import stored
from tests.respondent import interface_text

# What the page does: on SQLite only (see tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.one_database]

NOTES_AND_PLACES = PROJECT_ROOT / "tests" / "questionnaires" / "notes-and-places.yaml"
SLUG = "notes-and-places"
TITLES = {
    "en": {"before": "Before you start", "places": "Your places", "end": "Last question"},
    "fr": {"before": "Avant de commencer", "places": "Vos lieux", "end": "Dernière question"},
}
LABELS = {
    "rules": "I have read how my answers will be used.",
    "office": "Where is your cooperative's office?",
    "shared": "Do you share this office with other cooperatives?",
    "site": "Where do you work on most days?",
    "on_map": "Show my cooperative on the public map.",
}
ABOUT = (
    "This survey asks where your cooperative works.",
    "You may type the places or let your phone find them.",
)
MAP_NOTE = "The map is published in June."
# Dakar, as a phone gives it: more digits than the six the survey keeps.
DAKAR = {"latitude": 14.6928123, "longitude": -17.4467209}
LOCATED = "Your location has been filled in."
NOT_READ = "Your location could not be read; type it instead."
USE_MY_LOCATION = "Use my location"


@pytest.fixture
def base(app: Flask, live_server: str) -> str:
    """The live server, with the notes-and-places survey loaded next to the shipped one."""
    return serve(app, live_server, NOTES_AND_PLACES)


def start(page: Page, base: str, language: str = "en") -> None:
    """Welcome page (in `language` by ?lang=) → consent → the first section."""
    query = "" if language == "en" else f"?lang={language}"
    page.goto(f"{base}/s/{SLUG}{query}")
    agree_and_start(page, TITLES[language]["before"], language)
    expect_section(page, TITLES[language]["before"], 1, 3, language)


def box(page: Page, question_id: str, axis: str) -> Any:
    """The latitude or longitude box of a place question, found by its label."""
    return block(page, question_id).get_by_label(interface_text(axis.capitalize(), "en"))


def locate_button(page: Page, question_id: str) -> Any:
    return block(page, question_id).get_by_role("button", name=USE_MY_LOCATION)


def expect_error(page: Page, field: str, message: str, focuses: str) -> None:
    """`message` beside the field (after the hidden "Error:") and in the error summary after the
    question's label, its link going to the input `focuses`, which is marked invalid when it is
    the one the message is about."""
    expect(page.locator(f'[id="e-{field}"]')).to_have_text(
        f"{interface_text('Error:', 'en')} {message}"
    )
    question_id = field.partition("__")[0]
    link = page.locator(f'.error-summary a[href="#{focuses}"]')
    expect(link).to_have_text(
        interface_text(
            "%(question)s — %(problem)s", "en", question=LABELS[question_id], problem=message
        )
    )
    described = page.locator(f'[id="{"f-" + field if "__" in field else focuses}"]')
    if "__" in field or field == "rules":
        expect(described).to_have_attribute("aria-invalid", "true")
        assert f"e-{field}" in (described.get_attribute("aria-describedby") or "").split()
    else:  # a whole place: the group names the message
        group = block(page, question_id).locator("fieldset")
        assert f"e-{field}" in (group.get_attribute("aria-describedby") or "").split()


def review_answer(page: Page, question_id: str) -> Any:
    row = page.locator(".summary-row").filter(has=page.locator("dt", has_text=LABELS[question_id]))
    return row.locator("dd")


def expect_notes_are_text_only(page: Page) -> None:
    about = block(page, "about")
    expect(about.locator("p").nth(0)).to_have_text(ABOUT[0])
    expect(about.locator("p").nth(1)).to_have_text(ABOUT[1])
    expect(about.locator(".hint")).to_have_text("It takes two minutes.")
    expect(about.locator("input, select, textarea, button, label, legend")).to_have_count(0)
    expect(about).not_to_contain_text(interface_text("(optional)", "en"))


# -- with the page script and the browser's location -------------------------------------------


def test_use_my_location_fills_both_boxes_and_the_answers_reach_the_review(
    new_context, app: Flask, base: str, offsite_requests: list[str]
):
    context = new_context(geolocation=DAKAR, permissions=["geolocation"])
    page = context.new_page()
    start(page, base)
    expect_notes_are_text_only(page)
    assert_fits_the_phone(page)
    label_for(page, "f-rules").check()
    next_page(page)

    expect_section(page, TITLES["en"]["places"], 2, 3)
    expect(block(page, "shared")).to_be_hidden()
    expect(locate_button(page, "site")).to_be_visible()
    expect(block(page, "site").get_by_role("status")).to_have_text("")  # nothing said yet
    assert_fits_the_phone(page)
    locate_button(page, "site").click()
    expect(block(page, "site").get_by_role("status")).to_have_text(LOCATED)
    expect(box(page, "site", "latitude")).to_have_value("14.692812")  # six digits kept
    expect(box(page, "site", "longitude")).to_have_value("-17.446721")
    expect(block(page, "shared")).to_be_hidden()  # the office is still unanswered

    # The office, located then corrected by hand: the boxes stay typeable.
    locate_button(page, "office").click()
    expect(block(page, "shared")).to_be_visible()  # answered(office)
    box(page, "office", "latitude").fill("14,7")
    box(page, "office", "longitude").fill("-17.45")
    label_for(page, "f-shared-no").check()
    assert_fits_the_phone(page)
    next_page(page)

    expect_section(page, TITLES["en"]["end"], 3, 3)
    expect(block(page, "map_note")).to_be_hidden()
    label_for(page, "f-on_map").check()
    expect(block(page, "map_note")).to_be_visible()
    expect(block(page, "map_note")).to_have_text(MAP_NOTE)
    next_page(page)

    expect(page.locator("h1")).to_have_text("Check your answers before you submit")
    expect(review_answer(page, "rules")).to_have_text("Yes")
    expect(review_answer(page, "office")).to_have_text("14.7, -17.45")
    expect(review_answer(page, "shared")).to_have_text("No")
    expect(review_answer(page, "site")).to_have_text("14.692812, -17.446721")
    expect(review_answer(page, "on_map")).to_have_text("Yes")
    # Notes have no answer: they are not on the review page.
    expect(page.locator("main")).not_to_contain_text(ABOUT[0])
    expect(page.locator("main")).not_to_contain_text(MAP_NOTE)
    expect(page.locator(".summary-row")).to_have_count(5)
    review_and_submit(page)

    saved = stored(app)
    assert saved["site"] == {"latitude": 14.692812, "longitude": -17.446721}
    assert saved["office"] == {"latitude": 14.7, "longitude": -17.45}
    assert saved["rules"] == 1 and saved["on_map"] == 1 and saved["shared"] == "no"
    assert "about" not in saved and "map_note" not in saved
    assert offsite_requests == []


def test_a_refused_location_is_explained_and_the_place_can_be_typed(
    new_context, app: Flask, base: str, offsite_requests: list[str]
):
    page = new_context().new_page()  # location permission not granted
    start(page, base)
    label_for(page, "f-rules").check()
    next_page(page)
    expect_section(page, TITLES["en"]["places"], 2, 3)

    locate_button(page, "site").click()
    expect(block(page, "site").get_by_role("status")).to_have_text(NOT_READ)
    expect(box(page, "site", "latitude")).to_have_value("")
    expect(box(page, "site", "longitude")).to_have_value("")
    box(page, "site", "latitude").fill("-33.9249")
    box(page, "site", "longitude").fill("18,4241")
    assert_fits_the_phone(page)
    next_page(page)
    expect_section(page, TITLES["en"]["end"], 3, 3)
    assert stored(app)["site"] == {"latitude": -33.9249, "longitude": 18.4241}
    assert offsite_requests == []


def test_a_required_box_must_be_ticked(page: Page, app: Flask, base: str):
    start(page, base)
    next_page(page)
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect_error(page, "rules", "Tick the box to continue.", "f-rules")
    expect(page.locator(".error-summary li")).to_have_count(1)  # nothing about the note
    expect_notes_are_text_only(page)
    page.locator('.error-summary a[href="#f-rules"]').click()
    expect(page.locator("#f-rules")).to_be_focused()
    assert_fits_the_phone(page)

    label_for(page, "f-rules").check()
    next_page(page)
    expect_section(page, TITLES["en"]["places"], 2, 3)
    assert stored(app)["rules"] == 1


# -- without JavaScript ------------------------------------------------------------------------


def test_without_javascript_places_are_typed_and_every_mistake_explained(
    new_context, app: Flask, base: str, offsite_requests: list[str]
):
    page = new_context(
        java_script_enabled=False, geolocation=DAKAR, permissions=["geolocation"]
    ).new_page()
    start(page, base)
    expect_notes_are_text_only(page)
    label_for(page, "f-rules").check()
    next_page(page)

    # No script, no button: the place is typed. Every question shows, whatever is typed.
    expect(page.get_by_role("button", name=USE_MY_LOCATION)).to_have_count(0)
    expect(block(page, "shared")).to_be_visible()
    next_page(page)
    expect_error(page, "site", "Enter the latitude and the longitude.", "f-site__latitude")

    box(page, "office", "latitude").fill("50.85045")
    box(page, "site", "latitude").fill("north")
    box(page, "site", "longitude").fill("181")
    next_page(page)
    expect_error(
        page,
        "office__longitude",
        "Enter the longitude too, or leave both boxes empty.",
        "f-office__longitude",
    )
    expect_error(
        page,
        "site__latitude",
        "Enter the latitude in degrees, like 12.34567.",
        "f-site__latitude",
    )
    expect_error(
        page, "site__longitude", "Enter a longitude from -180 to 180.", "f-site__longitude"
    )
    expect(page.locator(".error-summary li")).to_have_count(3)
    expect(box(page, "office", "latitude")).to_have_value("50.85045")
    expect(box(page, "site", "latitude")).to_have_value("north")
    expect(box(page, "site", "longitude")).to_have_value("181")
    assert_fits_the_phone(page)

    box(page, "office", "longitude").fill("4.1234567")
    box(page, "site", "latitude").fill("14.69281")
    box(page, "site", "longitude").fill("-17.44672")
    next_page(page)
    expect_error(
        page,
        "office__longitude",
        "Use at most 6 digits after the decimal point.",
        "f-office__longitude",
    )
    expect(page.locator(".error-summary li")).to_have_count(1)
    expect(box(page, "site", "longitude")).to_have_value("-17.44672")

    box(page, "office", "longitude").fill("4,34878")
    next_page(page)
    expect_section(page, TITLES["en"]["end"], 3, 3)
    expect(block(page, "map_note")).to_be_visible()  # no script to hide it: it is only text
    next_page(page)
    expect(review_answer(page, "office")).to_have_text("50.85045, 4.34878")
    expect(review_answer(page, "shared")).to_have_text(interface_text("Not answered", "en"))
    expect(review_answer(page, "site")).to_have_text("14.69281, -17.44672")
    expect(review_answer(page, "on_map")).to_have_text(interface_text("Not answered", "en"))
    expect(page.locator("main")).not_to_contain_text(MAP_NOTE)

    # Back to the places: the saved answers fill the boxes again.
    page.get_by_role("link", name=f"Change {TITLES['en']['places']}").click()
    expect(box(page, "office", "latitude")).to_have_value("50.85045")
    expect(box(page, "office", "longitude")).to_have_value("4.34878")
    expect(box(page, "site", "longitude")).to_have_value("-17.44672")
    saved = stored(app)
    assert saved["office"] == {"latitude": 50.85045, "longitude": 4.34878}
    assert "on_map" not in saved
    assert offsite_requests == []


# -- in French ---------------------------------------------------------------------------------


def test_in_french_the_button_the_status_and_the_messages(
    new_context, base: str, offsite_requests: list[str]
):
    page = new_context(locale="fr-FR").new_page()  # location permission not granted
    start(page, base, "fr")
    next_page(page, "fr")
    expect(page.locator('[id="e-rules"]')).to_contain_text(
        interface_text("Tick the box to continue.", "fr")
    )
    label_for(page, "f-rules").check()
    next_page(page, "fr")
    expect_section(page, TITLES["fr"]["places"], 2, 3, "fr")
    site = block(page, "site")
    site.get_by_role("button", name=interface_text(USE_MY_LOCATION, "fr")).click()
    expect(site.get_by_role("status")).to_have_text(interface_text(NOT_READ, "fr"))
    site.get_by_label(interface_text("Latitude", "fr")).fill("14,69281")
    next_page(page, "fr")
    expect(page.locator('[id="e-site__longitude"]')).to_contain_text(
        interface_text("Enter the longitude too, or leave both boxes empty.", "fr")
    )
    expect(page.locator('[id="fmt-site"]')).to_have_text(
        interface_text("In decimal degrees, for example 12.34567 and -1.23456", "fr")
    )
    assert_fits_the_phone(page)
    assert offsite_requests == []
