"""Nothing one server needs from another lives on its disk: a browser may be sent to either
server at any request. Each test here reaches the two servers directly (as the balancer passes
requests on) and moves one browser from the first to the second."""

from __future__ import annotations

import html

from tests.faults.conftest import FAULTS
from tests.faults.deployment import SLUG
from tests.faults.limits import counts_shared, failures_count_together, sign_in
from tests.faults.respondents import on_server, resume_code_on
from tests.faults.visitor import Route, Visitor
from tests.respondent import MEMBER_ANSWERS

pytestmark = FAULTS

BASE = f"/s/{SLUG}"
CONSOLE = f"/admin/surveys/{SLUG}"


def on_b(visitor: Visitor, faults, address: str) -> Visitor:
    """The same browser, now answered by the second server."""
    return visitor.via(Route.to(faults.server_urls[1], address))


def test_an_admin_signed_in_on_one_server_sees_the_console_on_the_other(faults):
    address = "198.51.100.11"
    on_a = on_server(faults, 0, address)
    assert sign_in(on_a, faults.admin_email, faults.admin_password).status == 302
    console = on_b(on_a, faults, address).get(CONSOLE)
    assert console.status == 200
    assert "Close now" in console.text and "Audit log" in console.text


def test_a_respondent_goes_on_and_resumes_on_the_other_server(faults):
    address = "198.51.100.12"
    on_a = on_server(faults, 0, address)
    on_a.get(BASE)
    first = on_a.submit(f"{BASE}/start", {"consent": "yes"})
    second = on_a.submit(first.path, MEMBER_ANSWERS["about_you"])
    assert second.path == f"{BASE}/p/involvement"
    code = resume_code_on(second.text)
    assert code

    # The same browser, on the other server, is where it was.
    same = on_b(on_a, faults, address).get(f"{BASE}/p/involvement")
    assert same.status == 200 and "Section 2 of" in same.text
    # Another device types the code on the other server.
    other_device = on_server(faults, 1, "198.51.100.13")
    other_device.get(BASE)
    resumed = other_device.submit(f"{BASE}/resume", {"code": code})
    assert resumed.path == f"{BASE}/p/involvement"
    assert resumed.status == 200


def test_a_form_from_one_server_is_accepted_by_the_other(faults):
    address = "198.51.100.14"
    on_a = on_server(faults, 0, address)
    on_a.get(BASE)  # the form, and its CSRF token, from the first server
    started = on_b(on_a, faults, address).post(f"{BASE}/start", {"consent": "yes"})
    assert started.status == 302, started.text[:400]
    assert started.location == f"{BASE}/p/about_you"


def test_a_close_on_one_server_refuses_a_start_on_the_other_at_once(faults):
    admin = on_server(faults, 0, "198.51.100.15")
    assert sign_in(admin, faults.admin_email, faults.admin_password).status == 302
    person = on_server(faults, 1, "198.51.100.16")
    person.get(BASE)  # the welcome page, before the close
    try:
        admin.get(f"{CONSOLE}/close")
        assert admin.post(f"{CONSOLE}/close", {}).status == 302
        refused = person.post(f"{BASE}/start", {"consent": "yes"})
        assert refused.status == 403
        assert "This survey is closed" in html.unescape(refused.text)

        audit = on_b(admin, faults, "198.51.100.15").get("/admin/audit")
        assert audit.status == 200
        assert "survey.close" in audit.text and SLUG in audit.text
    finally:
        faults.open_survey(reopen=True)


def test_failed_sign_ins_on_both_servers_count_together(faults):
    # Five failures a minute for one account from one address: three on one server, two on
    # the other, and the next is refused on either.
    assert failures_count_together(faults, "198.51.100.17")
    # and any count: both servers report one count going down, request after request
    assert counts_shared(faults, "198.51.100.18")
