"""Whole journeys through the respondent pages in Chromium, on a 360 px wide phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.journey import (
    assert_fits_the_phone,
    expect_section,
    fill_section,
    label_for,
    next_page,
    resume_code,
    review_and_submit,
    start,
    welcome_url,
)
from tests.respondent import MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS, PAGE_WEIGHT_LIMIT

pytestmark = pytest.mark.browser

TITLES = {
    "about_you": "About you",
    "involvement": "You and cooperatives",
    "cooperative": "Your cooperative",
    "starting": "Starting and running a cooperative",
    "participation": "Participation and governance",
    "future": "The future of work",
    "contact": "Stay in touch",
}
# Shown on a section page without the page script, by the language links (in <noscript>:
# Playwright's pages without JavaScript still parse as scripted, so it is checked in
# tests/respond/test_languages.py, in the page's HTML).
SWITCHING_NOTE = (
    "Switching language keeps the answers you have saved. Press “Next” first to save this page."
)


def fill_revealing(page, answers, question_id: str, other_choice_id: str) -> None:
    """Fill a section in which `question_id` appears only once the answer that asks for it is
    picked: hidden at first, still hidden after `other_choice_id`, shown after `answers`."""
    block = page.locator(f"#q-{question_id}")
    expect(block).to_be_hidden()
    label_for(page, other_choice_id).check()
    expect(block).to_be_hidden()
    fill_section(page, answers)
    expect(block).to_be_visible()


def test_member_answers_every_section_on_a_phone(page, live_server, offsite_requests):
    page.goto(welcome_url(live_server))
    assert_fits_the_phone(page)
    start(page, live_server)

    # About you: the "Please specify" boxes appear only once their choice is picked.
    expect_section(page, TITLES["about_you"], 1, 4)
    # The page script carries what is typed across a language switch: no note about it.
    expect(page.get_by_text(SWITCHING_NOTE)).to_have_count(0)
    expect(page.locator("#f-gender_other")).to_be_hidden()
    expect(page.locator("#f-situation_other")).to_be_hidden()
    assert_fits_the_phone(page)
    fill_section(page, MEMBER_ANSWERS["about_you"])
    expect(page.locator("#f-gender_other")).to_be_visible()
    expect(page.locator("#f-situation_other")).to_be_visible()
    next_page(page)

    expect_section(page, TITLES["involvement"], 2, 4)
    assert_fits_the_phone(page)
    fill_section(page, MEMBER_ANSWERS["involvement"])
    next_page(page)

    # Your cooperative: "Which one?" only once the cooperative is in a federation.
    expect_section(page, TITLES["cooperative"], 3, 7)
    assert_fits_the_phone(page)
    fill_revealing(page, MEMBER_ANSWERS["cooperative"], "federation_name", "f-federation-no")
    next_page(page)

    for number, section_id in enumerate(["starting", "participation", "future"], start=4):
        expect_section(page, TITLES[section_id], number, 7)
        assert_fits_the_phone(page)
        fill_section(page, MEMBER_ANSWERS[section_id])
        next_page(page)

    # Stay in touch: the email address is asked only of someone who agrees to a follow-up.
    expect_section(page, TITLES["contact"], 7, 7)
    assert_fits_the_phone(page)
    fill_revealing(page, MEMBER_ANSWERS["contact"], "email", "f-follow_up-no")
    next_page(page)

    review = page.locator("main")
    expect(review).to_contain_text("Genderfluid")
    expect(review).to_contain_text("FACTA")
    expect(review).to_contain_text("ana@example.org")
    review_and_submit(page)
    assert offsite_requests == []


def test_someone_not_involved_sees_four_sections(page, live_server, offsite_requests):
    start(page, live_server)
    expect_section(page, TITLES["about_you"], 1, 4)
    fill_section(page, NOT_INVOLVED_ANSWERS["about_you"])
    next_page(page)

    expect_section(page, TITLES["involvement"], 2, 4)
    fill_section(page, NOT_INVOLVED_ANSWERS["involvement"])
    next_page(page)

    expect_section(page, TITLES["future"], 3, 4)
    assert_fits_the_phone(page)
    fill_section(page, NOT_INVOLVED_ANSWERS["future"])
    next_page(page)

    expect_section(page, TITLES["contact"], 4, 4)
    fill_section(page, NOT_INVOLVED_ANSWERS["contact"])
    next_page(page)

    expect(page.locator("main")).not_to_contain_text(TITLES["cooperative"])
    review_and_submit(page)
    assert offsite_requests == []


def test_resume_with_the_code_in_another_browser(new_context, live_server, offsite_requests):
    first = new_context()
    page = first.new_page()
    start(page, live_server)
    fill_section(page, MEMBER_ANSWERS["about_you"])
    next_page(page)
    expect_section(page, TITLES["involvement"], 2, 4)
    code = resume_code(page)
    assert len(code) == 14 and code.count("-") == 2, code
    first.close()

    page = new_context().new_page()
    page.goto(welcome_url(live_server))
    page.get_by_label("Resume code").fill(code.replace("-", "").lower())
    page.get_by_role("button", name="Continue", exact=True).click()
    expect_section(page, TITLES["involvement"], 2, 4)
    assert resume_code(page) == code

    page.get_by_role("link", name="Back").click()
    expect_section(page, TITLES["about_you"], 1, 4)
    expect(page.locator("#f-age")).to_have_value("27")
    expect(page.locator("#f-gender-self_describe")).to_be_checked()
    expect(page.locator("#f-gender_other")).to_have_value("Genderfluid")
    expect(page.locator("#f-country")).to_have_value("AR")
    expect(page.locator("#f-education-bachelor")).to_be_checked()
    expect(page.locator("#f-situation-worker_member")).to_be_checked()
    expect(page.locator("#f-situation-other")).to_be_checked()
    expect(page.locator("#f-situation_other")).to_have_value("Musician")
    assert offsite_requests == []


def test_the_survey_works_without_javascript(new_context, live_server, offsite_requests):
    page = new_context(java_script_enabled=False).new_page()
    start(page, live_server)

    # Nothing is hidden when no script runs: every "Please specify" box is there.
    others = page.locator("[data-other-of]")
    assert others.count() == 2
    for index in range(others.count()):
        expect(others.nth(index)).to_be_visible()

    # Sent empty: the error summary lists each problem and links to its field.
    next_page(page)
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: About you"))
    links = summary.get_by_role("link")
    targets = [links.nth(index).get_attribute("href") for index in range(links.count())]
    assert {"#f-age", "#f-country"} <= set(targets), targets
    for target in targets:
        assert target and target.startswith("#")
        expect(page.locator(f'[id="{target[1:]}"]')).to_be_visible()
    summary.get_by_role("link").first.click()
    expect(page.locator("#f-age")).to_be_focused()

    fill_section(page, NOT_INVOLVED_ANSWERS["about_you"])
    next_page(page)
    expect_section(page, TITLES["involvement"], 2, 4)
    fill_section(page, NOT_INVOLVED_ANSWERS["involvement"])
    next_page(page)
    expect_section(page, TITLES["future"], 3, 4)
    expect(page.locator("#f-help_needed_other")).to_be_visible()
    fill_section(page, NOT_INVOLVED_ANSWERS["future"])
    next_page(page)

    # The email question shows although "No" needs no email; answering "No" is enough.
    expect_section(page, TITLES["contact"], 4, 4)
    expect(page.locator("#f-email")).to_be_visible()
    fill_section(page, NOT_INVOLVED_ANSWERS["contact"])
    next_page(page)
    review_and_submit(page)
    assert offsite_requests == []


class Transfer:
    """Bytes of every response body the page receives (redirects carry none worth counting), as
    the browser received them: read from the request's sizes, which outlive the page (a body
    does not, and the icon a page names may arrive after its load, so after the next page's).

    On a page whose every request is routed, Chromium's HTTP cache is off, so each page fetches
    its stylesheet and script again, as a first visit with an empty cache does.
    """

    def __init__(self, page: Page) -> None:
        self.responses: list[Response] = []
        page.on("response", self._record)

    def _record(self, response: Response) -> None:
        self.responses.append(response)

    def take(self) -> dict[str, int]:
        sizes = {
            response.url: response.request.sizes()["responseBodySize"]
            for response in self.responses
            # A redirect, and the empty answer to the page script's save (204), carry no page.
            if not 300 <= response.status < 400 and response.status != 204
        }
        self.responses.clear()
        return sizes


@pytest.mark.one_database
def test_pages_are_light(page, live_server, offsite_requests):
    page.route("**/*", lambda route: route.continue_())  # each page as with an empty cache
    transfer = Transfer(page)
    page.goto(welcome_url(live_server))
    page.wait_for_load_state("load")
    weights = {"welcome": transfer.take()}
    label_for(page, "f-consent").check()
    page.get_by_role("button", name="Start the survey").click()
    for section_id, answers in MEMBER_ANSWERS.items():
        expect(page.locator("h1")).to_have_text(TITLES[section_id])
        page.wait_for_load_state("load")
        weights[section_id] = transfer.take()
        fill_section(page, answers)
        next_page(page)

    totals = {name: sum(sizes.values()) for name, sizes in weights.items()}
    largest = max(MEMBER_ANSWERS, key=totals.__getitem__)
    for name in ("welcome", largest):
        kinds = {url.rsplit("/", 1)[-1].split("?")[0] for url in weights[name]}
        assert {"survey.css", "survey.js"} <= kinds, weights[name]
        assert totals[name] < PAGE_WEIGHT_LIMIT, (name, weights[name])
    assert offsite_requests == []
