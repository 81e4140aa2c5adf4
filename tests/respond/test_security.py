"""HTTP hardening of the respondent pages: headers, cookies, nothing inline, nothing remote."""

from __future__ import annotations

import html
import re

import pytest

from tests.respond.helpers import BASE, location, text_of
from tests.respondent import MEMBER_ANSWERS, Respondent

OWN_ORIGIN = "http://localhost"


def every_respondent_page(app) -> dict[str, str]:
    """The HTML of every kind of page a respondent can meet, by a short name."""
    pages: dict[str, str] = {}
    person = Respondent(app.test_client())
    pages["welcome"] = person.get(BASE).get_data(as_text=True)
    pages["resume error"] = person.get(f"{BASE}/resume?code=nope").get_data(as_text=True)
    person.start()
    for section_id, answers in MEMBER_ANSWERS.items():
        pages[section_id] = person.get(f"{BASE}/p/{section_id}").get_data(as_text=True)
        if section_id == "about_you":
            pages["errors"] = person.post(f"{BASE}/p/about_you", {"age": "x"}).get_data(
                as_text=True
            )
        assert person.save(section_id, answers).status_code == 302
    pages["review"] = person.get(f"{BASE}/review").get_data(as_text=True)
    person.submit()
    pages["thanks"] = person.get(f"{BASE}/thanks").get_data(as_text=True)
    young = Respondent(app.test_client())
    young.start()
    young.save("about_you", {"age": "14"})
    pages["end"] = young.get(f"{BASE}/end").get_data(as_text=True)
    pages["404"] = young.get("/s/no-such-survey").get_data(as_text=True)
    pages["csrf"] = app.test_client().post(f"{BASE}/start").get_data(as_text=True)
    return pages


def test_welcome_page_security_headers(client):
    headers = client.get(BASE).headers
    policy = headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["script-src"] == ["'self'"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in ("no-referrer", "same-origin", "strict-origin")


def test_session_cookie_is_http_only_and_same_site_lax(client):
    response = Respondent(client).start()
    cookie = next(
        value for value in response.headers.getlist("Set-Cookie") if value.startswith("survey=")
    )
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].strip() == "SameSite=Lax"


def test_pages_have_nothing_inline_that_the_policy_would_block(app):
    for name, page in every_respondent_page(app).items():
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.DOTALL)
        assert scripts, name
        for attributes, body in scripts:
            assert "src=" in attributes and not body.strip(), (name, attributes, body)
        assert "<style" not in page, name
        assert not re.search(r"\sstyle=", page), name
        assert not re.search(r"\son[a-z]+=", page), name
        assert "javascript:" not in page, name


def test_pages_load_nothing_from_other_hosts(app, client):
    pages = every_respondent_page(app)
    for asset in ("/static/survey.css", "/static/survey.js"):
        response = client.get(asset)
        assert response.status_code == 200
        pages[asset] = response.get_data(as_text=True)
        response.close()
    for name, page in pages.items():
        for url in re.findall(r"""(?:https?:)?//[^\s"'<>)]+""", page):
            assert url.startswith(OWN_ORIGIN + "/"), (name, url)
        for attribute in re.findall(r"""\b(?:src|href|action)="([^"]*)\"""", page):
            assert attribute.startswith(("/", "#", "?", OWN_ORIGIN + "/")), (name, attribute)


def test_every_page_names_its_icon_and_the_icon_is_served(app, client):
    """Browsers ask for /favicon.ico (404) when a page names no icon of its own."""
    pages = {
        **every_respondent_page(app),
        "sign-in": client.get("/admin/sign-in").get_data(as_text=True),
    }
    icons = {re.search(r'<link rel="icon" href="([^"]+)"', page)[1] for page in pages.values()}
    assert len(icons) == 1, icons
    icon = client.get(html.unescape(icons.pop()))
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data
    icon.close()


def test_unknown_survey_is_a_404_page(client):
    response = client.get("/s/no-such-survey")
    assert response.status_code == 404
    page = text_of(response)
    assert "Page not found" in page
    assert "Traceback" not in page
    assert client.get("/s/no-such-survey/p/about_you").status_code == 404


@pytest.mark.parametrize("path", ["/", "/?via=flyer"])
def test_root_goes_to_the_only_open_survey(client, path):
    assert location(client.get(path)).endswith(BASE)
