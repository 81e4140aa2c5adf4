"""The survey online as README's "Putting it online" sets it up: `survey serve` with
SURVEY_SECURE_COOKIES=1 and SURVEY_TRUSTED_PROXIES=1 behind Caddy's HTTPS
(deploy/Caddyfile.local), used in Chromium by a respondent on a phone and an admin.

The tests share one deployment and run in file order: the admin's closes the survey, and the
last one reads the logs all of them left (and stops the app to make Caddy log an error).
"""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import pandas
import pytest
from playwright.sync_api import Page, expect

from tests.browser.journey import (
    expect_section,
    fill_section,
    next_page,
    resume_code,
    review_and_submit,
    start,
    welcome_url,
)
from tests.browser.test_journeys import TITLES
from tests.deploy.site import Site, status_of, stop, upload_status
from tests.respondent import MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS, SLUG

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1024, "height": 768}


def answer_every_section(page: Page, answers: dict[str, dict[str, object]]) -> None:
    """From the first section to the thank-you page, answering `answers` section by section."""
    for section_id, section_answers in answers.items():
        expect(page.locator("h1")).to_have_text(TITLES[section_id])
        fill_section(page, section_answers)
        next_page(page)
    review_and_submit(page)


def assert_cookies_are_secure(context) -> None:
    cookies = context.cookies()
    assert cookies, "the site set no cookie"
    assert [cookie["name"] for cookie in cookies if not cookie["secure"]] == []


def test_a_respondent_answers_every_section_over_https(site: Site, new_context, offsite_requests):
    context = new_context(ignore_https_errors=True)
    page = context.new_page()
    welcome = page.goto(welcome_url(site.url))
    assert welcome is not None and welcome.ok
    assert page.url.startswith("https://")
    assert re.search(r"max-age=\d{6,}", welcome.headers.get("strict-transport-security", "")), (
        "no Strict-Transport-Security header over HTTPS"
    )

    start(page, site.url)
    answer_every_section(page, MEMBER_ANSWERS)
    assert_cookies_are_secure(context)
    assert offsite_requests == []


def test_a_resume_link_continues_in_another_browser(site: Site, new_context, offsite_requests):
    phone = new_context(ignore_https_errors=True).new_page()
    start(phone, site.url)
    fill_section(phone, MEMBER_ANSWERS["about_you"])
    next_page(phone)
    expect_section(phone, TITLES["involvement"], 2, 4)
    code = resume_code(phone)

    # Another device: the link shows how far the answers are and asks before continuing.
    laptop_context = new_context(ignore_https_errors=True)
    laptop = laptop_context.new_page()
    laptop.goto(f"{site.url}/s/{SLUG}/resume/{code}")
    expect(laptop.locator("main")).to_contain_text("Sections completed: 1 of 4.")
    laptop.get_by_role("button", name="Continue", exact=True).click()
    expect_section(laptop, TITLES["involvement"], 2, 4)
    assert resume_code(laptop) == code
    fill_section(laptop, MEMBER_ANSWERS["involvement"])
    next_page(laptop)
    expect_section(laptop, TITLES["cooperative"], 3, 7)
    assert_cookies_are_secure(laptop_context)
    assert offsite_requests == []


def test_an_admin_signs_in_downloads_an_export_and_closes_the_survey(
    site: Site, new_context, offsite_requests
):
    respondent = new_context(ignore_https_errors=True).new_page()
    start(respondent, site.url)
    answer_every_section(respondent, NOT_INVOLVED_ANSWERS)

    admin_context = new_context(ignore_https_errors=True, viewport=DESKTOP, accept_downloads=True)
    admin = admin_context.new_page()
    admin.goto(f"{site.url}/admin/sign-in")
    admin.get_by_label("Email").fill(site.admin_email)
    admin.get_by_label("Password").fill(site.admin_password)
    admin.get_by_role("button", name="Sign in").click()
    expect(admin.locator("h1")).to_have_text("Surveys")
    assert_cookies_are_secure(admin_context)

    # Exports: started in the background; the page refreshes itself until the file is there.
    admin.goto(f"{site.url}/admin/surveys/{SLUG}/exports")
    admin.get_by_label("Format").select_option("csv")
    admin.get_by_role("button", name="Start export").click()
    download_link = admin.get_by_role("link", name=re.compile(r"^Download"))
    expect(download_link).to_have_count(1, timeout=30_000)
    with admin.expect_download() as started:
        download_link.click()
    exported = pandas.read_csv(started.value.path(), dtype=str, keep_default_na=False)
    mine = exported[exported["country"] == "KE"]
    assert len(mine) == 1, exported
    assert mine.iloc[0]["age"] == "19"
    assert mine.iloc[0]["status"] == "complete"

    # Close now, from the survey's first page, with its confirmation step.
    admin.goto(f"{site.url}/admin/surveys/{SLUG}")
    admin.get_by_role("button", name="Close now").click()
    expect(admin.locator("h1")).to_have_text(f"Close {SLUG} now?")
    admin.get_by_role("button", name="Close now").click()
    expect(admin.get_by_role("status")).to_contain_text(f"{SLUG} is closed")

    late = new_context(ignore_https_errors=True).new_page()
    late.goto(welcome_url(site.url))
    expect(late.get_by_role("heading", name="This survey is closed")).to_be_visible()
    expect(late.get_by_role("button", name="Start the survey")).to_have_count(0)
    assert offsite_requests == []


def test_plain_http_is_sent_to_https_on_its_own_port(site: Site):
    """Caddy's own redirect left out a port other than 443: a dead link on a trial machine."""
    path = f"/s/{SLUG}/p/about_you?lang=fr"
    host, port = urlsplit(site.plain_url).hostname, urlsplit(site.plain_url).port
    connection = http.client.HTTPConnection(host or "", port, timeout=10)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        assert answer.status == 308
        assert answer.getheader("Location") == f"{site.url}{path}"
    finally:
        connection.close()


def test_bodies_over_the_cap_are_refused(site: Site):
    """Declared at 2 MB or more, refused by Caddy (413, where its proxy, cut at its cap, would
    answer 502); between 1 MiB and that, by the app, which reads them to the end first."""
    resume_link = f"{site.url}/s/{SLUG}/resume/K7QF-3MZP-9XWA"
    for size in (2_000_000, 3_000_000, 3_000_000, 30_000_000):
        assert upload_status(resume_link, size) == 413
    for size in (1_100_000, 1_999_999):
        assert upload_status(f"{site.url}/s/{SLUG}/start", size) == 413


def test_logs_hold_no_resume_code_password_or_email(site: Site):
    """Neither Caddy's log nor the app's, after all the tests above, and after a request that
    Caddy could not serve (its error log describes the request it failed)."""
    code = "K7QF-3MZP-9XWA"
    resume_link = f"{site.url}/s/{SLUG}/resume/{code}?email=someone%40example.org"
    assert status_of(resume_link) == 404  # no such response; the request reached the app
    stop(site.app)
    assert status_of(resume_link) == 502

    caddy_log = site.caddy_log.read_text(errors="replace")
    assert "http.log.error" in caddy_log, "the request Caddy could not serve left no entry"
    secrets = [code, code.replace("-", ""), "someone", site.admin_email, site.admin_password]
    for name, log in (("caddy", caddy_log), ("app", site.app_log.read_text(errors="replace"))):
        for secret in secrets:
            assert secret not in log, f"{name}'s log holds {secret!r}"
