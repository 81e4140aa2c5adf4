"""The Share page: a channel's links in every language of the survey, and QR codes that a phone
reads back to those links (drawn to pixels and decoded here as a scanner would)."""

from __future__ import annotations

import html
import io
import re

import cairosvg
import pytest
import zxingcpp
from PIL import Image

from tests.admin.console import SIGN_IN, SURVEY, audit_rows, signed_in_client
from tests.respondent import LANGUAGE_NAMES, shipped_questionnaire

SHARE = f"{SURVEY}/share"
PUBLIC = "https://survey.example.org"
LANGUAGES = shipped_questionnaire().languages
_LINK = re.compile(r'<a class="share-url" href="([^"]+)"')
_INLINE_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


def decoded(image: bytes) -> list[str]:
    """The texts of the QR codes a scanner finds in a PNG image."""
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))]


def drawn(svg: str) -> bytes:
    """An SVG drawn to a PNG, as a browser or a printer would (the inline element included,
    which has no namespace of its own in an HTML page)."""
    if "xmlns=" not in svg:
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    return cairosvg.svg2png(bytestring=svg.encode(), output_width=400)


def shown_links(page: str) -> list[str]:
    return [html.unescape(link) for link in _LINK.findall(page)]


@pytest.mark.settings(public_url=PUBLIC)
def test_a_channel_gets_a_link_and_a_code_in_every_language(admin_client):
    answer = admin_client.get(f"{SHARE}?via=cecop")
    page = answer.get_data(as_text=True)

    assert answer.status_code == 200
    expected = [f"{PUBLIC}/s/we-own-it?via=cecop&lang={language}" for language in LANGUAGES]
    assert shown_links(page) == expected
    assert "Links for the channel cecop" in page
    for language in LANGUAGES:
        assert LANGUAGE_NAMES[language] in page
    # Each code on the page reads back to the link beside it.
    codes = _INLINE_SVG.findall(page)
    assert [decoded(drawn(svg)) for svg in codes] == [[link] for link in expected]
    # The page's Content-Security-Policy allows no style attributes.
    assert "style=" not in page


@pytest.mark.settings(public_url=PUBLIC)
def test_the_codes_download_as_svg_and_png_and_decode_to_the_link(admin_client):
    link = f"{PUBLIC}/s/we-own-it?via=cecop&lang=fr"
    page = admin_client.get(f"{SHARE}?via=cecop").get_data(as_text=True)
    for kind, mimetype in (("svg", "image/svg+xml"), ("png", "image/png")):
        path = f"{SHARE}/qr.{kind}?via=cecop&lang=fr"
        assert html.escape(path) in page, kind  # the page links to it

        answer = admin_client.get(path)

        assert answer.status_code == 200, kind
        assert answer.mimetype == mimetype
        assert answer.headers["Content-Disposition"] == (
            f'attachment; filename="we-own-it-cecop-fr.{kind}"'
        )
        image = drawn(answer.get_data(as_text=True)) if kind == "svg" else answer.data
        assert decoded(image) == [link], kind
    # Big enough to print: at least 600 pixels square.
    png = Image.open(io.BytesIO(admin_client.get(f"{SHARE}/qr.png?via=cecop&lang=fr").data))
    assert png.size[0] == png.size[1] >= 600


def test_links_without_a_channel(admin_client):
    page = admin_client.get(f"{SHARE}?via=").get_data(as_text=True)

    assert shown_links(page) == [
        f"http://localhost/s/we-own-it?lang={language}" for language in LANGUAGES
    ]
    assert "Links without a channel" in page
    png = admin_client.get(f"{SHARE}/qr.png?lang=es")
    assert decoded(png.data) == ["http://localhost/s/we-own-it?lang=es"]
    assert 'filename="we-own-it-link-es.png"' in png.headers["Content-Disposition"]


def test_the_page_first_asks_for_the_channel(admin_client):
    page = admin_client.get(SHARE).get_data(as_text=True)

    assert 'name="via"' in page
    assert "Make the links" in page
    assert shown_links(page) == []
    assert "<svg" not in page


@pytest.mark.parametrize("tag", ["cecop fed", "-cecop", "cecop/../x", "é", "x" * 65])
def test_a_tag_that_no_link_could_carry_is_refused_with_its_reason(admin_client, tag):
    answer = admin_client.get(SHARE, query_string={"via": tag})
    page = answer.get_data(as_text=True)

    assert answer.status_code == 400
    assert "There is a problem" in page
    assert "A channel tag has 1 to 64 letters, digits and _ . : -" in page
    assert shown_links(page) == []
    assert html.escape(tag) in page  # kept in the field, to correct it


def test_codes_exist_only_for_good_tags_and_the_survey_languages(admin_client):
    for path in (
        f"{SHARE}/qr.png?via=bad/tag&lang=fr",
        f"{SHARE}/qr.png?via=cecop&lang=de",
        f"{SHARE}/qr.png?via=cecop",
        f"{SHARE}/qr.gif?via=cecop&lang=fr",
        "/admin/surveys/no-such-survey/share?via=cecop",
        "/admin/surveys/no-such-survey/share/qr.png?via=cecop&lang=fr",
    ):
        assert admin_client.get(path).status_code == 404, path


def test_the_share_page_is_in_the_survey_navigation(admin_client):
    page = admin_client.get(SURVEY).get_data(as_text=True)

    assert f'<a href="{SHARE}">Share</a>' in page


def test_researchers_and_visitors_cannot_make_links(researcher_client, client):
    for path in (f"{SHARE}?via=cecop", f"{SHARE}/qr.png?via=cecop&lang=fr"):
        assert researcher_client.get(path).status_code == 403, path
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith(SIGN_IN), path
    assert f'href="{SHARE}"' not in researcher_client.get(SURVEY).get_data(as_text=True)


# -- partners: the links of their own channels -------------------------------------------------


def test_a_partner_gets_the_links_and_codes_of_its_own_channel_at_once(partner_client):
    page = partner_client.get(SHARE).get_data(as_text=True)

    assert shown_links(page) == [
        f"http://localhost/s/we-own-it?via=cecop&lang={language}" for language in LANGUAGES
    ]
    assert re.search(r'<select [^>]*name="via"', page)  # its channels to pick from
    png = partner_client.get(f"{SHARE}/qr.png?via=cecop&lang=it")
    assert decoded(png.data) == ["http://localhost/s/we-own-it?via=cecop&lang=it"]


def test_a_partner_of_several_channels_picks_one(app, make_user):
    partner = signed_in_client(app, *make_user("partner", channels=["cecop", "cicopa-americas"]))
    page = partner.get(f"{SHARE}?via=cicopa-americas").get_data(as_text=True)

    assert shown_links(page)[0] == "http://localhost/s/we-own-it?via=cicopa-americas&lang=en"
    assert '<option selected value="cicopa-americas">' in page


def test_a_partner_makes_no_link_for_another_channel_nor_for_none(partner_client):
    for query in ("?via=other-fed", "?via="):
        answer = partner_client.get(SHARE + query)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400, query
        assert "Choose one of your channels." in page
        assert shown_links(page) == []
        assert "other-fed" not in page.split("</select>")[0]  # never offered
    for query in ("?via=other-fed&lang=en", "?lang=en"):
        assert partner_client.get(f"{SHARE}/qr.png{query}").status_code == 404, query


def test_a_partner_s_views_of_the_share_page_are_in_the_audit_log(app, partner_client):
    partner_client.get(SHARE)

    [event] = audit_rows(app, "share.view")
    assert event.target == "survey:we-own-it"
    assert event.after == {"channels": ["cecop"]}
