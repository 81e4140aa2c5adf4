"""Redis (the shared rate-limit counts) stops while the survey runs. People keep answering:
nothing they do needs Redis. Sign-in stays throttled: each app process counts in its own
memory meanwhile (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), so an address gets at most the limit
once per process. Once Redis is back, the processes go back to the shared counts."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.faults.conftest import FAULTS
from tests.faults.deployment import WORKERS
from tests.faults.limits import (
    FAILURES_ALLOWED,
    counts_shared,
    failures_count_together,
    sign_in,
)
from tests.faults.respondents import (
    Crowd,
    assert_stored_once_each,
    complete_responses,
    through_balancer,
)

pytestmark = FAULTS

RESPONDENTS = 20
ATTEMPTS = 30
AT_ONCE = 4
# Redis checks again after 1, 2, 4, ... 32 s (Flask-Limiter): every process is back on the
# shared counts well within this.
BACK_TO_REDIS_SECONDS = 45


def test_respondents_keep_answering_while_redis_is_down(faults):
    before = complete_responses(faults.database_url)
    crowd = Crowd(lambda: through_balancer(faults), RESPONDENTS, 10)
    crowd.wait_until_finished(3)
    faults.redis.stop()
    outcomes = crowd.outcomes()

    assert not faults.redis.running
    # Nothing failed, nothing was sent twice: people did not notice.
    assert [attempt for outcome in outcomes for attempt in outcome.failed] == []
    assert_stored_once_each(faults, outcomes, before)


def _failed_sign_in(faults) -> int:
    visitor = through_balancer(faults)
    try:
        return sign_in(visitor, faults.admin_email, "not the password").status
    finally:
        visitor.close()


def test_sign_in_stays_throttled_while_redis_is_down_and_shared_when_it_is_back(faults):
    faults.redis.stop()
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        statuses = list(pool.map(lambda _: _failed_sign_in(faults), range(ATTEMPTS)))
    # Each gunicorn worker of each server lets the allowed failures through, no more (give or
    # take the attempts in flight when one reaches the limit: a failure is counted once its
    # answer is known). Without the fallback, every attempt would be let through.
    processes = len(faults.servers) * WORKERS
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= processes * FAILURES_ALLOWED + AT_ONCE

    faults.redis.start()
    deadline = time.monotonic() + BACK_TO_REDIS_SECONDS
    round_number = 0
    while not _counted_together_again(faults, round_number):
        assert time.monotonic() < deadline, "the servers did not go back to Redis's counts"
        round_number += 1
        time.sleep(0.5)


def _counted_together_again(faults, round_number: int) -> bool:
    """Counts shared twice in a row (each process checks Redis again when its own wait is
    over), then failed sign-ins on both servers adding up; new addresses each round, so that
    what was counted in memory meanwhile plays no part."""
    addresses = [f"198.51.{round_number % 250}.{last}" for last in (1, 2, 3)]
    return (
        counts_shared(faults, addresses[0])
        and counts_shared(faults, addresses[1])
        and failures_count_together(faults, addresses[2])
    )
