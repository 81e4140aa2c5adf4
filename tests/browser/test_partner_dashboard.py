"""An admin adds a member federation as a partner on the Users page; the partner signs in,
sees the figures of its own channel only, and takes the QR code of its link for a poster."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.admin.dashboards import add_response, at, survey_ids
from tests.admin.test_share import LANGUAGES, decoded
from tests.browser.test_accessibility import Audit
from tests.respondent import SLUG

# What the partner sees is checked on both databases over HTTP (tests/admin/test_partners.py).
pytestmark = [pytest.mark.browser, pytest.mark.one_database]

DESKTOP = {"width": 1024, "height": 768}


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/admin/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Surveys")


def test_an_admin_adds_a_partner_who_then_sees_only_its_channel(
    app, new_context, live_server, make_user, offsite_requests
):
    ids = survey_ids(app)
    with app.extensions["survey_db"].writing() as session:
        for channel in ("cecop", "cecop", "other-fed", "other-fed", "other-fed", None):
            add_response(
                session, ids, status="complete", started=at(10), seconds=600, channel=channel
            )
    audit = Audit()

    # The admin, at a desk: Users, then a partner for the federation's ?via=cecop links.
    admin = new_context().new_page()
    admin.set_viewport_size(DESKTOP)
    sign_in(admin, live_server, *make_user("admin"))
    admin.get_by_role("link", name="Users").click()
    expect(admin.locator("h1")).to_have_text("Users")
    admin.get_by_label("Email", exact=True).fill("cecop@example.org")
    admin.get_by_label("Role", exact=True).select_option("partner")
    admin.get_by_label("Channels (partners only)").fill("cecop")
    admin.get_by_role("button", name="Add account").click()
    expect(admin.get_by_role("status")).to_contain_text("Account created for cecop@example.org")
    password = admin.locator("p.code").inner_text()
    row = admin.get_by_role("row").filter(has_text="cecop@example.org")
    expect(row).to_contain_text("Channels: cecop")
    audit(admin, "users page with a partner")

    # The partner, on a phone: its survey, and cecop's two responses only.
    partner = new_context().new_page()
    sign_in(partner, live_server, "cecop@example.org", password)
    expect(partner.get_by_text("your links: cecop")).to_be_visible()
    expect(partner.get_by_role("link", name="Users")).to_have_count(0)
    partner.get_by_role("row").filter(has_text=SLUG).get_by_role("link").first.click()
    expect(partner.locator("h1")).to_have_text("Dashboard")
    expect(partner.locator("#figure-started dd")).to_have_text("2")
    expect(partner.locator("#figure-completed dd")).to_have_text("2")
    channels = partner.locator("#table-by-channel tbody tr")
    expect(channels).to_have_count(1)
    expect(channels).to_contain_text("cecop")
    expect(partner.get_by_text("other-fed")).to_have_count(0)
    expect(partner.get_by_role("link", name="Exports")).to_have_count(0)
    audit(partner, "a partner's dashboard")

    # Share: its channel's links in every language, and a code to print that reads back to one.
    partner.get_by_role("link", name="Share").click()
    expect(partner.locator("h1")).to_have_text("Share")
    links = partner.locator("a.share-url")
    expect(links).to_have_count(len(LANGUAGES))
    link = f"{live_server}/s/{SLUG}?via=cecop&lang=pt_BR"
    expect(links.nth(LANGUAGES.index("pt_BR"))).to_have_text(link)
    expect(partner.locator("svg.qr-code")).to_have_count(len(LANGUAGES))
    audit(partner, "a partner's share page")
    with partner.expect_download() as download:
        partner.locator("#link-pt_BR").get_by_role("link", name="PNG").click()
    assert download.value.suggested_filename == f"{SLUG}-cecop-pt_BR.png"
    assert decoded(Path(download.value.path()).read_bytes()) == [link]

    audit.assert_clean()
    assert offsite_requests == []
