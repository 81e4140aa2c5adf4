"""Rate limits seen from outside: signing in to the admin console (failures are limited per
account and address) and the counts the servers report, through one server or the other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.faults.deployment import SLUG, Deployment
from tests.faults.respondents import on_server
from tests.faults.visitor import Page, Route, Visitor

# Failed sign-ins a minute for one account from one address (survey/admin/signing_in.py).
FAILURES_ALLOWED = 5


def sign_in(visitor: Visitor, email: str, password: str) -> Page:
    visitor.get("/admin/sign-in")
    return visitor.post("/admin/sign-in", {"email": email, "password": password})


def on_both_servers(deployment: Deployment, address: str) -> tuple[Visitor, Visitor]:
    """One browser at `address`, as the first and as the second server sees it."""
    first = on_server(deployment, 0, address)
    return first, first.via(Route.to(deployment.server_urls[1], address))


def failures_count_together(deployment: Deployment, address: str) -> bool:
    """Whether failed sign-ins from `address` split between the two servers add up: the
    allowed failures, alternately on each, then a refusal (429) on both."""
    first, second = on_both_servers(deployment, address)
    visitors = [first, second] * FAILURES_ALLOWED
    for visitor in visitors[:FAILURES_ALLOWED]:
        assert sign_in(visitor, deployment.admin_email, "not the password").status in (401, 429)
    return all(
        sign_in(visitor, deployment.admin_email, "not the password").status == 429
        for visitor in (first, second)
    )


def counts_shared(deployment: Deployment, address: str, requests: int = 12) -> bool:
    """Whether every process that answers counts in Redis now: requests from `address` (the
    resume form with a malformed code: refused at once, cheap), several at a time on both
    servers so that every worker process gets some, and Redis's count for the address is
    their number (a process counting in its own memory leaves some out)."""

    def ask(number: int) -> int:
        visitor = on_server(deployment, number % 2, address)
        try:
            return visitor.get(f"/s/{SLUG}/resume?code=not-a-code").status
        finally:
            visitor.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(ask, range(requests))) == {400}
    return deployment.redis.counted(f"/{address}/", "/respond.resume_form/", "/minute") == requests
