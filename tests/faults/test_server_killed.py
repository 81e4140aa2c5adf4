"""One app server dies (SIGKILL to gunicorn's master and workers at once) while 200 people
answer through the balancer: every one of them still finishes, on the other server, and the
database holds each response exactly once, with all its answers."""

from __future__ import annotations

import re

from tests.faults.conftest import FAULTS
from tests.faults.respondents import (
    Crowd,
    assert_stored_once_each,
    complete_responses,
    through_balancer,
)
from tests.respondent import MEMBER_ANSWERS

pytestmark = FAULTS

RESPONDENTS = 200
AT_ONCE = 20


def test_every_respondent_finishes_when_a_server_is_killed(faults):
    before = complete_responses(faults.database_url)
    crowd = Crowd(lambda: through_balancer(faults), RESPONDENTS, AT_ONCE)
    finished_at_kill = crowd.wait_until_finished(RESPONDENTS // 4)
    faults.servers[0].kill()
    outcomes = crowd.outcomes()

    assert 0 < finished_at_kill < RESPONDENTS, "the server must die while people answer"
    assert not faults.servers[0].running
    # The balancer sent to the other server what the dead one refused, and its log says so
    # without a path (resume codes are in paths) or an address.
    log = faults.balancer.log.read_text()
    assert re.search(r"^survey~ survey/app2 \d{3} .* retries=\+1$", log, re.M)
    assert "/s/" not in log and "127.0.0.1" not in log
    assert_stored_once_each(faults, outcomes, before)
    members = [outcome for outcome in outcomes if outcome.answers is MEMBER_ANSWERS]
    assert len(members) == RESPONDENTS // 5
