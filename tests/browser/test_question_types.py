"""The decimal and date question types in Chromium, on a 360 px wide phone: the numbers-and-dates
survey (tests/questionnaires/numbers-and-dates.yaml) answered with the page script, in French,
and with JavaScript off.

Its first section asks `hours` (decimal 0..24, one digit after the point), `overtime` (shown when
hours > 8.5), `joined` (a date from 1950-01-01 to 2027-12-31), `founding` (shown when joined <
2000-01-01) and `share` (decimal, two digits, optional); the second asks `remarks`.
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
    field,
    label_for,
    next_page,
    review_and_submit,
    serve,
)
from tests.respond.helpers import stored
from tests.respondent import interface_plural, interface_text

# What the page does: on SQLite only (see tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.one_database]

NUMBERS_AND_DATES = PROJECT_ROOT / "tests" / "questionnaires" / "numbers-and-dates.yaml"
SLUG = "numbers-and-dates"
TITLES = {
    "en": {"work": "Your work", "end": "Last question"},
    "fr": {"work": "Votre travail", "end": "Dernière question"},
}
LABELS = {
    "en": {
        "hours": "How many hours a day do you work on average?",
        "overtime": "Is that more than you would like?",
        "joined": "When did you join your cooperative?",
        "founding": "Were you among its founders?",
        "share": "Your capital share, in euros",
    },
    "fr": {
        "hours": "Combien d'heures par jour travaillez-vous en moyenne ?",
        "overtime": "Est-ce plus que vous ne le souhaiteriez ?",
        "joined": "Quand avez-vous rejoint votre coopérative ?",
        "founding": "Faisiez-vous partie des fondateurs ?",
        "share": "Votre part de capital, en euros",
    },
}
ONE_DIGIT = (
    "Use at most %(num)s digit after the decimal point.",
    "Use at most %(num)s digits after the decimal point.",
)
NOT_A_NUMBER = "Enter a number, like 2.5."
DATE_RANGE = "Enter a date from %(min)s to %(max)s."
DATE_HINT = "Year, month and day, for example 2001-03-28"
NARROW_NBSP = "\u202f"


@pytest.fixture
def base(app: Flask, live_server: str) -> str:
    """The live server, with the numbers-and-dates survey loaded next to the shipped one."""
    return serve(app, live_server, NUMBERS_AND_DATES)


def start(page: Page, base: str, language: str = "en") -> None:
    """Welcome page (in `language` by ?lang=) → consent → the first section."""
    query = "" if language == "en" else f"?lang={language}"
    page.goto(f"{base}/s/{SLUG}{query}")
    agree_and_start(page, TITLES[language]["work"], language)
    expect_section(page, TITLES[language]["work"], 1, 2, language)


def expect_error(page: Page, question_id: str, message: str, language: str = "en") -> None:
    """`message` next to the field (hidden "Error:" prefix before it) and in the error summary,
    after the question's label; the field says it is invalid and names the message."""
    expect(page.locator(f"#e-{question_id}")).to_have_text(
        f"{interface_text('Error:', language)} {message}"
    )
    expect(field(page, question_id)).to_have_attribute("aria-invalid", "true")
    described = field(page, question_id).get_attribute("aria-describedby") or ""
    assert f"e-{question_id}" in described.split(), described
    link = page.locator(f'.error-summary a[href="#f-{question_id}"]')
    expect(link).to_have_text(
        interface_text(
            "%(question)s — %(problem)s",
            language,
            question=LABELS[language][question_id],
            problem=message,
        )
    )


def expect_no_error(page: Page, question_id: str) -> None:
    expect(page.locator(f"#e-{question_id}")).to_have_count(0)
    expect(page.locator(f'.error-summary a[href="#f-{question_id}"]')).to_have_count(0)


def review_answer(page: Page, question_id: str, language: str = "en") -> Any:
    """The answer cell of a question's row on the review page."""
    row = page.locator(".summary-row").filter(
        has=page.locator("dt", has_text=LABELS[language][question_id])
    )
    return row.locator("dd")


def expect_review(page: Page, answers: dict[str, str | None], language: str = "en") -> None:
    """The review page shows each answer as people read it; questions mapped to None are not
    on it (their condition is false)."""
    expect(page.locator("h1")).to_have_text(
        interface_text("Check your answers before you submit", language)
    )
    for question_id, shown in answers.items():
        if shown is None:
            expect(page.locator("dt", has_text=LABELS[language][question_id])).to_have_count(0)
        else:
            expect(review_answer(page, question_id, language)).to_have_text(shown)


# -- with the page script ----------------------------------------------------------------------


def test_decimal_and_date_answers_show_and_hide_the_questions_that_depend_on_them(
    page: Page, base: str, offsite_requests: list[str]
):
    start(page, base)
    overtime, founding = block(page, "overtime"), block(page, "founding")
    expect(overtime).to_be_hidden()
    expect(founding).to_be_hidden()
    expect(field(page, "joined")).to_have_attribute("type", "date")
    expect(page.locator("#fmt-joined")).to_have_text(DATE_HINT)
    expect(field(page, "hours")).to_have_attribute("inputmode", "decimal")
    assert_fits_the_phone(page)

    # hours > 8.5: a decimal comma counts as a point; 8.5 itself is not more than 8.5.
    for typed, shown in [
        ("9,5", True),
        ("8", False),
        ("8,5", False),
        ("8.6", True),
        ("abc", False),
        ("24", True),
        ("", False),
    ]:
        field(page, "hours").fill(typed)
        if shown:
            expect(overtime, f"hours {typed!r}").to_be_visible()
        else:
            expect(overtime, f"hours {typed!r}").to_be_hidden()

    # joined < 2000-01-01, through the browser's date input.
    for typed, shown in [
        ("1998-04-01", True),
        ("2000-01-01", False),
        ("1999-12-31", True),
        ("", False),
        ("2005-11-30", False),
    ]:
        field(page, "joined").fill(typed)
        if shown:
            expect(founding, f"joined {typed!r}").to_be_visible()
        else:
            expect(founding, f"joined {typed!r}").to_be_hidden()
    expect(overtime).to_be_hidden()
    assert offsite_requests == []


def test_a_wrong_decimal_or_date_is_explained_and_the_rest_is_kept(
    page: Page, app: Flask, base: str, offsite_requests: list[str]
):
    start(page, base)

    # Not a number, a date before the earliest allowed, too many digits after the point.
    field(page, "hours").fill("abc")
    field(page, "joined").fill("1940-05-01")
    field(page, "share").fill("1234,567")
    next_page(page)
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect_error(page, "hours", NOT_A_NUMBER)
    expect_error(page, "joined", "Enter a date from 1 January 1950 to 31 December 2027.")
    expect_error(page, "share", "Use at most 2 digits after the decimal point.")
    expect(field(page, "hours")).to_have_value("abc")
    expect(field(page, "joined")).to_have_value("1940-05-01")
    expect(field(page, "share")).to_have_value("1234,567")
    expect(block(page, "founding")).to_be_visible()  # the script decides again on the new page
    expect(block(page, "overtime")).to_be_hidden()
    assert_fits_the_phone(page)

    # One digit too many in hours; the other answers are right and stay as typed and picked.
    field(page, "hours").fill("2.55")
    field(page, "joined").fill("1998-04-01")
    label_for(page, "f-founding-yes").check()
    field(page, "share").fill("1234,56")
    next_page(page)
    expect_error(page, "hours", "Use at most 1 digit after the decimal point.")
    expect_no_error(page, "joined")
    expect_no_error(page, "share")
    expect(page.locator(".error-summary li")).to_have_count(1)
    expect(field(page, "hours")).to_have_value("2.55")
    expect(field(page, "joined")).to_have_value("1998-04-01")
    expect(field(page, "share")).to_have_value("1234,56")
    expect(block(page, "founding")).to_be_visible()
    expect(page.locator("#f-founding-yes")).to_be_checked()

    # Right at last: the comma is read as the decimal point; saved, the next section follows.
    field(page, "hours").fill("9,5")
    expect(block(page, "overtime")).to_be_visible()
    label_for(page, "f-overtime-yes").check()
    next_page(page)
    expect_section(page, TITLES["en"]["end"], 2, 2)
    next_page(page)  # remarks are optional

    expect_review(
        page,
        {
            "hours": "9.5",
            "overtime": "Yes",
            "joined": "1 April 1998",
            "founding": "Yes",
            "share": "1,234.56",
        },
    )
    review_and_submit(page)
    saved = stored(app)
    assert saved["hours"] == 9.5 and isinstance(saved["hours"], float)
    assert saved["share"] == 1234.56
    assert saved["joined"] == "1998-04-01"
    assert saved["overtime"] == "yes" and saved["founding"] == "yes"
    assert offsite_requests == []


def test_answers_to_questions_hidden_again_are_not_kept(
    page: Page, app: Flask, base: str, offsite_requests: list[str]
):
    """A question answered while shown, then hidden by a new answer, is not saved."""
    start(page, base)
    field(page, "hours").fill("10")
    label_for(page, "f-overtime-no").check()
    field(page, "joined").fill("1975-06-15")
    label_for(page, "f-founding-yes").check()
    field(page, "hours").fill("7,5")
    field(page, "joined").fill("2015-06-15")
    expect(block(page, "overtime")).to_be_hidden()
    expect(block(page, "founding")).to_be_hidden()
    next_page(page)
    expect_section(page, TITLES["en"]["end"], 2, 2)
    next_page(page)
    expect_review(
        page,
        {
            "hours": "7.5",
            "overtime": None,
            "joined": "15 June 2015",
            "founding": None,
            "share": interface_text("Not answered", "en"),
        },
    )
    saved = stored(app)
    assert saved["hours"] == 7.5 and saved["joined"] == "2015-06-15"
    assert "overtime" not in saved and "founding" not in saved and "share" not in saved
    assert offsite_requests == []


def test_where_the_browser_has_no_date_picker_the_text_box_explains_the_format(
    page: Page, app: Flask, base: str, offsite_requests: list[str]
):
    """A browser without a date input shows a text box: the hint and the placeholder say how to
    write the date, and a date written otherwise is refused with the same explanation."""
    start(page, base)
    joined = field(page, "joined")
    expect(joined).to_have_attribute("placeholder", "YYYY-MM-DD")
    assert "fmt-joined" in (joined.get_attribute("aria-describedby") or "").split()
    joined.evaluate("el => { el.type = 'text'; }")  # as such a browser renders it
    field(page, "hours").fill("6")
    joined.fill("1/4/1998")
    expect(block(page, "founding")).to_be_hidden()  # not a date to the script either
    next_page(page)
    expect_error(page, "joined", "Enter a date as year-month-day, like 2001-03-28.")
    # Sent back as typed (Chromium's own date input then shows it empty: not a date).
    expect(joined).to_have_attribute("value", "1/4/1998")
    expect(field(page, "hours")).to_have_value("6")

    joined.evaluate("el => { el.type = 'text'; }")
    joined.fill("1998-04-01")
    expect(block(page, "founding")).to_be_visible()
    next_page(page)
    expect_section(page, TITLES["en"]["end"], 2, 2)
    assert stored(app)["joined"] == "1998-04-01"
    assert offsite_requests == []


def test_the_server_reads_spaces_and_a_plus_sign_around_a_decimal(
    new_context, base: str, offsite_requests: list[str]
):
    """Without the script: " +9 " is 9 hours, more than 8.5, so `overtime` applies and the
    review lists it (unanswered)."""
    page = new_context(java_script_enabled=False).new_page()
    start(page, base)
    field(page, "hours").fill(" +9 ")
    field(page, "joined").fill("2005-11-30")
    next_page(page)
    expect_section(page, TITLES["en"]["end"], 2, 2)
    next_page(page)
    not_answered = interface_text("Not answered", "en")
    expect_review(page, {"hours": "9", "overtime": not_answered, "founding": None})
    assert offsite_requests == []


@pytest.mark.parametrize(
    ("question_id", "typed", "dependent"),
    [
        ("hours", "9 ", "overtime"),
        ("hours", "+9", "overtime"),
        ("joined", " 1998-04-01 ", "founding"),
    ],
)
def test_the_page_reads_an_answer_as_the_server_does(
    page: Page, base: str, question_id: str, typed: str, dependent: str
):
    """What the server accepts as a number or a date counts as that in the page's conditions:
    a question the server asks is never hidden (a required one would be refused unseen)."""
    start(page, base)
    field(page, "joined").evaluate("el => { el.type = 'text'; }")  # a browser without a picker
    field(page, question_id).fill(typed)
    expect(block(page, dependent)).to_be_visible(timeout=1000)


# -- in French ---------------------------------------------------------------------------------


def test_in_french_messages_and_answers_are_written_the_french_way(
    page: Page, base: str, offsite_requests: list[str]
):
    start(page, base, "fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#fmt-joined")).to_have_text(interface_text(DATE_HINT, "fr"))

    field(page, "hours").fill("2,55")
    field(page, "joined").fill("2030-01-01")
    field(page, "share").fill("beaucoup")
    next_page(page, "fr")
    expect(page.locator(".error-summary h2")).to_have_text(
        interface_text("There is a problem", "fr")
    )
    one_digit = interface_plural(*ONE_DIGIT, 1, "fr")
    assert one_digit == "Utilisez au plus 1 chiffre après la virgule."
    expect_error(page, "hours", one_digit, "fr")
    date_range = interface_text(DATE_RANGE, "fr", min="1 janvier 1950", max="31 décembre 2027")
    assert "janvier" in date_range and date_range != DATE_RANGE
    expect_error(page, "joined", date_range, "fr")
    not_a_number = interface_text(NOT_A_NUMBER, "fr")
    assert "2,5" in not_a_number
    expect_error(page, "share", not_a_number, "fr")
    expect(field(page, "hours")).to_have_value("2,55")
    expect(field(page, "joined")).to_have_value("2030-01-01")

    field(page, "hours").fill("9,5")
    expect(block(page, "overtime")).to_be_visible()
    label_for(page, "f-overtime-no").check()
    field(page, "joined").fill("1998-04-01")
    expect(block(page, "founding")).to_be_visible()
    field(page, "share").fill("1234,56")
    next_page(page, "fr")
    expect_section(page, TITLES["fr"]["end"], 2, 2, "fr")
    next_page(page, "fr")

    expect_review(
        page,
        {
            "hours": "9,5",
            "overtime": "Non",
            "joined": "1 avril 1998",
            "founding": interface_text("Not answered", "fr"),
            "share": f"1{NARROW_NBSP}234,56",
        },
        "fr",
    )
    review_and_submit(page, "fr")
    assert offsite_requests == []


# -- without JavaScript ------------------------------------------------------------------------


def test_without_javascript_the_server_decides_which_questions_apply(
    new_context, app: Flask, base: str, offsite_requests: list[str]
):
    """No script hides anything: every question of the section shows, whatever is typed. The
    server keeps an answer only where its condition holds for the answers sent with it, and the
    review shows only the questions that apply."""
    page = new_context(java_script_enabled=False).new_page()
    start(page, base)
    for question_id in ("hours", "overtime", "joined", "founding", "share"):
        expect(block(page, question_id)).to_be_visible()

    # Wrong first: the server explains, as with the script.
    field(page, "hours").fill("2.55")
    field(page, "joined").fill("1998-04-01")
    next_page(page)
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect_error(page, "hours", "Use at most 1 digit after the decimal point.")
    expect(field(page, "joined")).to_have_value("1998-04-01")
    expect(block(page, "overtime")).to_be_visible()

    # 8 hours and a date after 2000: "overtime" and "founding" show, and are answered, but
    # do not apply; the server drops those answers.
    field(page, "hours").fill("8")
    label_for(page, "f-overtime-yes").check()
    field(page, "joined").fill("2005-11-30")
    label_for(page, "f-founding-yes").check()
    next_page(page)
    expect_section(page, TITLES["en"]["end"], 2, 2)
    next_page(page)
    expect_review(
        page,
        {
            "hours": "8",
            "overtime": None,
            "joined": "30 November 2005",
            "founding": None,
            "share": interface_text("Not answered", "en"),
        },
    )
    assert "overtime" not in stored(app) and "founding" not in stored(app)

    # Changed: 9,5 hours and a date before 2000, typed digit by digit into the browser's date
    # input as a person does (day and month alike: the same in a day-first or month-first
    # order, whichever the browser's locale uses).
    page.get_by_role("link", name=f"Change {TITLES['en']['work']}").click()
    expect(page.locator("h1")).to_have_text(TITLES["en"]["work"])
    expect(field(page, "hours")).to_have_value("8")
    expect(field(page, "joined")).to_have_value("2005-11-30")
    expect(page.locator("#f-overtime-yes")).not_to_be_checked()
    expect(page.locator("#f-founding-yes")).not_to_be_checked()
    field(page, "hours").fill("9,5")
    label_for(page, "f-overtime-yes").check()
    field(page, "joined").fill("")
    field(page, "joined").focus()  # its first part: day or month
    page.keyboard.type("04041998")
    expect(field(page, "joined")).to_have_value("1998-04-04")
    label_for(page, "f-founding-no").check()
    field(page, "share").fill("0,5")
    page.get_by_role("button", name="Save and return to the review").click()
    expect_review(
        page,
        {
            "hours": "9.5",
            "overtime": "Yes",
            "joined": "4 April 1998",
            "founding": "No",
            "share": "0.5",
        },
    )
    review_and_submit(page)
    saved = stored(app)
    assert (saved["hours"], saved["overtime"], saved["joined"], saved["founding"]) == (
        9.5,
        "yes",
        "1998-04-04",
        "no",
    )
    assert saved["share"] == 0.5
    assert offsite_requests == []
