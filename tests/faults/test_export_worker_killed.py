"""An export worker killed (SIGKILL) in the middle of an export: the job is taken again by a
worker (the one `survey serve` starts in its place, or the other server's) and ends with the
whole file; until then neither server offers any file for it, and afterwards the file is
downloaded through the server that did not start the export."""

from __future__ import annotations

import csv
import io
import os
import signal
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, select, text

from survey.models import ExportJob
from tests.faults.conftest import FAULTS
from tests.faults.deployment import SLUG
from tests.faults.limits import sign_in
from tests.faults.respondents import answer_survey, on_server, through_balancer
from tests.faults.visitor import Route
from tests.respondent import MEMBER_ANSWERS

pytestmark = FAULTS

# Copies of one response in the database: enough that the export runs for a second or more
# and reports its progress 20 times (every 500 rows), for the test to kill its worker part way.
COPIES = 10_000
WAIT_SECONDS = 90
EXPORTS = f"/admin/surveys/{SLUG}/exports"
_COPY = """
INSERT INTO responses (id, survey_id, questionnaire_version_id, resume_code_hash, status, late,
    language, channel, consent_version, started_at, updated_at, submitted_at, last_section)
SELECT 'copy' || lpad(n::text, 28, '0'), survey_id, questionnaire_version_id,
    md5(resume_code_hash || n::text) || md5(n::text), status, late, language, channel,
    consent_version, started_at + n * interval '1 second', updated_at, submitted_at, last_section
FROM responses, generate_series(1, :copies) AS n WHERE id = :source;
INSERT INTO answers (response_id, question_id, section_id, value)
SELECT 'copy' || lpad(n::text, 28, '0'), question_id, section_id, value
FROM answers, generate_series(1, :copies) AS n WHERE response_id = :source;
INSERT INTO section_progress (response_id, section_id, reached_at, completed_at)
SELECT 'copy' || lpad(n::text, 28, '0'), section_id, reached_at, completed_at
FROM section_progress, generate_series(1, :copies) AS n WHERE response_id = :source;
"""


@pytest.fixture
def database(faults) -> Iterator[Engine]:
    engine = create_engine(faults.database_url)
    try:
        yield engine
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM responses WHERE id LIKE 'copy%'"))
            connection.execute(text("DELETE FROM export_jobs"))
        engine.dispose()


def many_responses(engine: Engine, faults) -> int:
    """One response answered through the balancer, copied COPIES times; the complete ones."""
    answer_survey(through_balancer(faults), MEMBER_ANSWERS)
    with engine.begin() as connection:
        source = connection.scalar(
            text("SELECT id FROM responses WHERE status = 'complete' ORDER BY started_at DESC")
        )
        for statement in filter(str.strip, _COPY.split(";")):
            connection.execute(text(statement), {"copies": COPIES, "source": source})
        return int(
            connection.scalar(text("SELECT count(*) FROM responses WHERE status = 'complete'"))
        )


def the_job(engine: Engine) -> ExportJob:
    with engine.connect() as connection:
        row = connection.execute(select(ExportJob.__table__)).one()
    return ExportJob(**row._mapping)


def wait_for(engine: Engine, what: str, condition) -> ExportJob:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job = the_job(engine)
        if condition(job):
            return job
        time.sleep(0.05)
    pytest.fail(f"{what} within {WAIT_SECONDS} s: {the_job(engine).__dict__}")


def test_a_worker_killed_mid_export_is_replaced_and_no_half_file_is_offered(faults, database):
    complete = many_responses(database, faults)
    admin = on_server(faults, 0, "198.51.100.40")
    assert sign_in(admin, faults.admin_email, faults.admin_password).status == 302
    admin.get(EXPORTS)
    started = admin.post(EXPORTS, {"format": "csv", "values": "codes", "language": "en"})
    assert started.status == 303, started.text[:400]

    running = wait_for(
        database,
        "no worker was part way through the export",
        lambda job: job.state == "running" and 0 < job.rows_done < (job.rows_total or 0),
    )
    holder = int(str(running.worker).rpartition(":")[2])
    os.kill(holder, signal.SIGKILL)
    on_other = admin.via(Route.to(faults.server_urls[1], "198.51.100.40"))  # same browser
    for who in (admin, on_other):
        assert who.get(f"/admin/exports/{running.id}/download").status == 404

    done = wait_for(database, "the export did not end", lambda job: job.state in ("done", "failed"))
    assert (done.state, done.attempts) == ("done", 2), done.error
    assert not done.worker.endswith(f":{holder}")
    download = on_other.get(f"/admin/exports/{running.id}/download")
    assert download.status == 200
    assert int(download.headers["Content-Length"]) == done.size_bytes
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert len(rows) == complete == done.rows_done
    assert len({row["response_id"] for row in rows}) == complete
