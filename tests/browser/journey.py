"""Small steps of a respondent's journey, done the way a person does them in the browser."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flask import Flask
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.questionnaire_files import load_questionnaire_file
from tests.respondent import SLUG, interface_text

PHONE_WIDTH = 360


def welcome_url(base: str) -> str:
    return f"{base}/s/{SLUG}"


def assert_fits_the_phone(page: Page) -> None:
    """No sideways scrolling at 360 px."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} scrolls sideways: {width}px wide"


def label_for(page: Page, element_id: str) -> Any:
    return page.locator(f'label[for="{element_id}"]')


def start(page: Page, base: str) -> None:
    """Welcome page → tick consent by its label → first section."""
    page.goto(welcome_url(base))
    agree_and_start(page, "About you")


def agree_and_start(page: Page, first_title: str, language: str = "en") -> None:
    """On the welcome page, in `language`: tick consent by its label → the first section."""
    label_for(page, "f-consent").check()
    page.get_by_role("button", name=interface_text("Start the survey", language)).click()
    expect(page.locator("h1")).to_have_text(first_title)


def expect_section(page: Page, title: str, number: int, total: int, language: str = "en") -> None:
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".progress")).to_have_text(
        interface_text("Section %(number)s of %(total)s", language, number=number, total=total)
    )


def fill_section(page: Page, answers: dict[str, Any]) -> None:
    """Answer each question by clicking labels or typing, in the order of `answers`."""
    for field, value in answers.items():
        if isinstance(value, list):
            for code in value:
                label_for(page, f"f-{field}-{code}").check()
            continue
        choice = page.locator(f'[id="f-{field}-{value}"]')
        if choice.count():
            label_for(page, f"f-{field}-{value}").check()
            continue
        control = page.locator(f'[id="f-{field}"]')
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)


def expect_answers(page: Page, answers: dict[str, Any]) -> None:
    """The section shows `answers` (as fill_section gave them) ticked, picked or typed."""
    for field, value in answers.items():
        for code in value if isinstance(value, list) else [value]:
            choice = page.locator(f'[id="f-{field}-{code}"]')
            if choice.count():
                expect(choice).to_be_checked()
            else:
                expect(page.locator(f'[id="f-{field}"]')).to_have_value(code)


def next_page(page: Page, language: str = "en") -> None:
    """Press Next, and wait for the answer: the page script saves with fetch (the click returns
    before the next page, or this one with its messages, is shown) and marks the page meanwhile.

    Asked from here, not with `wait_for_function`, whose polling never runs in a page without
    JavaScript: there the first look must settle it, and it may come while the next page has
    no root element yet."""
    page.get_by_role("button", name=interface_text("Next", language)).click()
    deadline = time.monotonic() + SAVE_SECONDS
    while _saving(page):
        assert time.monotonic() < deadline, f"no answer to the save within {SAVE_SECONDS} s"
        page.wait_for_timeout(20)


SAVE_SECONDS = 10


def _saving(page: Page) -> bool:
    """Whether the page's save still waits for its answer, or the next page is on its way."""
    try:
        return bool(
            page.evaluate(
                "() => { const root = document.documentElement;"
                " return root === null || root.hasAttribute('data-saving'); }"
            )
        )
    except PlaywrightError:  # the page was replaced while it was asked
        return True


def review_and_submit(page: Page, language: str = "en") -> None:
    expect(page.locator("h1")).to_have_text(
        interface_text("Check your answers before you submit", language)
    )
    assert_fits_the_phone(page)
    page.get_by_role("button", name=interface_text("Submit my answers", language)).click()
    expect(page.locator("h1")).to_have_text(
        interface_text("Thank you, your answers were submitted", language)
    )
    assert_fits_the_phone(page)


def resume_code(page: Page) -> str:
    box = page.get_by_role("complementary", name="Your resume code")
    return box.locator(".code").inner_text().strip()


def serve(app: Flask, live_server: str, path: Path) -> str:
    """Load a questionnaire file (YAML or XLSForm) as an admin does, next to the shipped one,
    and give the live server's address."""
    with app.extensions["survey_db"].writing() as session:
        load_questionnaire_file(session, path)
    return live_server


def block(page: Page, question_id: str) -> Any:
    """A question's block on a section page."""
    return page.locator(f'[id="q-{question_id}"]')


def field(page: Page, question_id: str) -> Any:
    """A question's input."""
    return page.locator(f'[id="f-{question_id}"]')
