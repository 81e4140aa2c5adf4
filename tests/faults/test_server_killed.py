"""One app server dies (SIGKILL to gunicorn's master and workers) while 200 people answer
through the balancer: every one of them still finishes, on the other server, and the database
holds each response exactly once, with all its answers."""

from __future__ import annotations

from tests.faults.conftest import FAULTS
from tests.faults.respondents import (
    MEMBER_QUESTIONS,
    Crowd,
    complete_responses,
    stored_responses,
    through_balancer,
)

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
    problems = [outcome.problem for outcome in outcomes if not outcome.thanked]
    assert problems == []
    codes = [outcome.code for outcome in outcomes]
    assert len(set(codes)) == RESPONDENTS, "each person has a resume code of their own"

    assert complete_responses(faults.database_url) - before == RESPONDENTS
    stored = stored_responses(faults.database_url, faults.resume_key, codes)
    assert sorted(stored) == sorted(codes)
    reference = stored[codes[0]][1]
    assert set(reference) == MEMBER_QUESTIONS
    assert reference["age"] == 27 and reference["email"] == "ana@example.org"
    for code in codes:
        status, answers = stored[code]
        assert status == "complete", code
        assert answers == reference, code
