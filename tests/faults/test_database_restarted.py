"""PostgreSQL goes away for a moment while people answer. A save that meets the outage is
refused in a way that keeps what the person typed, the same save succeeds once the database is
back, without restarting any server, and /healthz says what happened (503, then 200)."""

from __future__ import annotations

import html
import threading
import time
import urllib.error
import urllib.request

from tests.faults.conftest import FAULTS
from tests.faults.deployment import SLUG
from tests.faults.respondents import (
    Crowd,
    assert_stored_once_each,
    complete_responses,
    through_balancer,
)
from tests.respondent import MEMBER_ANSWERS

pytestmark = FAULTS

BASE = f"/s/{SLUG}"
RESPONDENTS = 20
OUTAGE_SECONDS = 1.5
NOT_SAVED = "Your answers were not saved yet, press Next again"


class HealthWatch:
    """/healthz of one server, asked every 0.1 s in a thread of its own until `stop()`."""

    def __init__(self, url: str):
        self.url = f"{url}/healthz"
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            try:
                with urllib.request.urlopen(self.url, timeout=5) as answer:
                    self.statuses.append(answer.status)
            except urllib.error.HTTPError as error:
                self.statuses.append(error.code)
                error.close()
            except OSError:
                self.statuses.append(0)

    def stop(self) -> list[int]:
        """The statuses seen, each change once: e.g. [200, 503, 200]."""
        self._stop.set()
        self._thread.join(timeout=10)
        seen = self.statuses
        return [
            status for index, status in enumerate(seen) if index == 0 or status != seen[index - 1]
        ]


def test_saves_succeed_again_once_the_database_is_back_without_restarting_a_server(faults):
    servers_before = [server.process.pid for server in faults.servers if server.process]
    before = complete_responses(faults.database_url)
    health = HealthWatch(faults.server_urls[0])
    # People press again after a 503 (what the app answers during the outage) as after the
    # balancer's 502: any other answer (a 500) ends their journey and fails the test.
    crowd = Crowd(lambda: through_balancer(faults), RESPONDENTS, 10)
    crowd.wait_until_finished(3)
    faults.postgres.stop()
    time.sleep(OUTAGE_SECONDS)
    faults.postgres.start()
    outcomes = crowd.outcomes()
    time.sleep(0.5)

    assert health.stop() == [200, 503, 200]
    failed = [attempt for outcome in outcomes for attempt in outcome.failed]
    assert failed, "the outage must meet some requests"
    saves = [attempt for attempt in failed if attempt.method == "POST" and "/p/" in attempt.path]
    for attempt in saves:  # a save that met the outage kept what was typed, and said so
        assert attempt.status == 503 and attempt.page is not None, attempt
        assert NOT_SAVED in html.unescape(attempt.page.text)
    assert [s.process.pid for s in faults.servers if s.process and s.running] == servers_before
    assert_stored_once_each(faults, outcomes, before)


def test_a_save_that_meets_the_outage_answers_503_with_what_was_typed(faults):
    person = through_balancer(faults, retry_on=frozenset())  # sees every answer as it is
    person.get(BASE)
    about_you = person.submit(f"{BASE}/start", {"consent": "yes"})
    faults.postgres.stop()
    try:
        refused = person.post(about_you.path, MEMBER_ANSWERS["about_you"])
    finally:
        faults.postgres.start()

    assert refused.status == 503
    assert NOT_SAVED in html.unescape(refused.text)
    for typed in ('value="27"', "Genderfluid", "Musician"):
        assert typed in refused.text
    again = person.submit(about_you.path, MEMBER_ANSWERS["about_you"])
    assert again.path == f"{BASE}/p/involvement"


def test_the_balancer_still_hands_requests_to_the_servers_while_the_database_is_down(faults):
    # Both servers fail their health check: the balancer's backup lines (deploy/haproxy.cfg)
    # still send requests to them, so people get the app's page, not the balancer's.
    faults.postgres.stop()
    try:
        faults.balancer.wait_until({"app1": "DOWN", "app2": "DOWN"})
        page = through_balancer(faults, retry_on=frozenset()).get(BASE)
    finally:
        faults.postgres.start()

    assert page.status == 503
    assert "No server is available" not in page.text
    assert page.headers.get("Content-Security-Policy"), "the app's own page"
