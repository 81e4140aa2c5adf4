"""Rate limits when their shared storage (Redis) is down: each process keeps counting in its
own memory, so failed sign-ins are still slowed (tests/faults/test_redis_stopped.py shows the
same across two servers, and the return to Redis)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap

import pytest

from survey.settings import PROJECT_ROOT, Settings
from tests.ports import free_port

# An app on its own SQLite file whose limits are counted in a Redis nobody listens at. It runs
# in a process of its own: the limiter is one object per process, and this one would keep the
# dead Redis for every later test.
_SIGN_INS_WITHOUT_REDIS = textwrap.dedent(
    """
    import dataclasses, sys
    from pathlib import Path
    from argon2 import PasswordHasher
    from survey import accounts, create_app
    from survey.cli import migrate
    from survey.settings import Settings
    from tests.staff import sign_in

    folder, storage = Path(sys.argv[1]), sys.argv[2]
    settings = Settings.for_folder(folder, f"sqlite:///{folder / 'survey.db'}", "a-key")
    app = create_app(dataclasses.replace(settings, ratelimit_storage_url=storage))
    migrate(app)
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # as in tests
    client = app.test_client()
    statuses = [sign_in(client, "nobody@example.org", "wrong").status_code for _ in range(7)]
    print(" ".join(map(str, statuses)))
    """
)


@pytest.mark.slow
def test_failed_sign_ins_are_slowed_while_redis_is_down(tmp_path):
    storage = f"redis://127.0.0.1:{free_port()}/0"
    result = subprocess.run(
        [sys.executable, "-c", _SIGN_INS_WITHOUT_REDIS, str(tmp_path), storage],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # Five failures per account and address a minute (survey/admin/signing_in.py), counted in
    # memory: without the fallback every attempt would pass (401) as long as Redis is down.
    assert result.stdout.split() == ["401"] * 5 + ["429"] * 2


def test_a_redis_that_does_not_answer_within_a_second_counts_as_down(tmp_path):
    settings = Settings.for_folder(tmp_path, "sqlite://", "a-key")

    def options(url: str) -> dict[str, float]:
        return dataclasses.replace(settings, ratelimit_storage_url=url).ratelimit_storage_options

    timeouts = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
    assert options("redis://10.0.0.6:6379/0") == timeouts
    assert options("rediss://:secret@redis.example.org:6380/0") == timeouts
    assert options("memory://") == {}
