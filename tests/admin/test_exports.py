"""The Exports page: an export run in the background by a worker that takes it from the
queue, its progress, downloads of the file stored in the database, deletion, who may reach
which file, personal data for admins only, all in the audit log."""

from __future__ import annotations

import csv
import io
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select, update

from survey.accounts import find_user
from survey.export import jobs as export_jobs
from survey.export import worker
from survey.models import AuditEvent, ExportChunk, ExportJob
from survey.questionnaire_store import find_survey
from tests.admin.console import (
    SIGN_IN,
    SLUG,
    SURVEY,
    any_token,
    audit_rows,
    signed_in_client,
    text_of,
)
from tests.respondent import MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS, Respondent
from tests.staff import post_form

# The exports run in a worker beside the app (as `survey serve` runs one), which reads the
# database on connections of its own: what the test writes is really committed
# (tests/conftest.py, `app`).
pytestmark = pytest.mark.usefixtures("real_commits", "export_worker")

EXPORTS = f"{SURVEY}/exports"
WAIT_SECONDS = 30


class _Worker:
    """The export worker's loop (survey.export.worker.work) in a thread, as `survey serve`
    runs one beside the app."""

    def __init__(self, app) -> None:
        self.app = app
        self.start()

    def start(self) -> None:
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=worker.work,
            args=(self.app.extensions["survey_db"], self.stopping),
            kwargs={"poll_seconds": 0.05, "clock": self.app.config["SURVEY_CLOCK"]},
            daemon=True,
        )
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(WAIT_SECONDS)
        assert not self.thread.is_alive()


@pytest.fixture
def export_worker(app) -> Iterator[_Worker]:
    running = _Worker(app)
    yield running
    running.stop()


@pytest.fixture
def answered(app) -> None:
    """Two complete responses (one with an email) and one partial."""
    for answers in (MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS):
        person = Respondent(app.test_client())
        assert person.start().status_code == 302
        person.answer_all(answers)
        assert person.submit().status_code == 302
    person = Respondent(app.test_client())
    assert person.start().status_code == 302
    assert person.save("about_you", MEMBER_ANSWERS["about_you"]).status_code == 302


@pytest.fixture
def researcher_a(app, make_user):
    return make_user("researcher", "a@example.org")


@pytest.fixture
def researcher_b(app, make_user):
    return make_user("researcher", "b@example.org")


def jobs(app) -> list[ExportJob]:
    with app.extensions["survey_db"].reading() as session:
        return list(session.scalars(select(ExportJob).order_by(ExportJob.created_at)))


def job_row(app, job_id: str) -> ExportJob | None:
    with app.extensions["survey_db"].reading() as session:
        return session.get(ExportJob, job_id)


def wait_until_finished(app, job_id: str) -> ExportJob:
    """Poll the database, as the page does, until the child process has finished the job."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job = job_row(app, job_id)
        assert job is not None
        if job.state in ("done", "failed"):
            return job
        time.sleep(0.1)
    pytest.fail(f"export {job_id} did not finish")


def start_export(client, **fields) -> str:
    """POST the form; return the new job's id (the only job not there before)."""
    app = client.application
    before = {job.id for job in jobs(app)}
    answer = post_form(
        client, EXPORTS, {"format": "csv", "values": "codes", "language": "en", **fields}
    )
    assert answer.status_code == 303, text_of(answer)
    assert answer.headers["Location"].endswith(EXPORTS)
    [job_id] = {job.id for job in jobs(app)} - before
    return job_id


def finished_export(client, **fields) -> ExportJob:
    job = wait_until_finished(client.application, start_export(client, **fields))
    assert job.state == "done", job.error
    return job


def downloaded_rows(client, job_id: str) -> list[dict[str, str]]:
    answer = client.get(f"/admin/exports/{job_id}/download")
    try:
        assert answer.status_code == 200, text_of(answer)
        assert answer.headers["Content-Disposition"].startswith("attachment")
        assert answer.headers["Cache-Control"] == "private, no-store"
        return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    finally:
        answer.close()  # the file is streamed


def stored_file(app, job: ExportJob) -> bytes:
    """The file of a job as the database holds it (nothing if none)."""
    with app.extensions["survey_db"].reading() as session:
        pieces = session.scalars(
            select(ExportChunk.data)
            .where(ExportChunk.job_id == job.id)
            .order_by(ExportChunk.number)
        )
        return b"".join(pieces)


# -- running in the background -----------------------------------------------------------------


def test_researcher_exports_in_the_background_and_downloads_the_csv(
    app, answered, researcher_a, export_worker
):
    client = signed_in_client(app, *researcher_a)
    export_worker.stop()  # the job waits until a worker is there to take it
    started = time.monotonic()
    job_id = start_export(client)
    assert time.monotonic() - started < 5, "the request does not wait for the export"
    job = job_row(app, job_id)
    assert job.state in ("queued", "running"), "the POST returned before the export finished"
    assert job.created_by == "a@example.org"

    page = client.get(EXPORTS)
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="3">' in page.get_data(as_text=True)

    export_worker.start()
    job = wait_until_finished(app, job_id)
    assert job.state == "done", job.error
    assert (job.rows_done, job.rows_total) == (2, 2)
    assert job.file_name.startswith("we-own-it_") and job.file_name.endswith(".csv")
    assert job.size_bytes == len(stored_file(app, job)) > 0

    rows = downloaded_rows(client, job_id)
    assert sorted(row["country"] for row in rows) == ["AR", "KE"]
    assert "email" not in rows[0]

    page = text_of(client.get(EXPORTS))
    assert 'http-equiv="refresh"' not in page
    assert "a@example.org" in page and "Done" in page and "2 of 2 rows" in page
    assert f"/admin/exports/{job_id}/download" in page

    assert client.get(f"/admin/exports/{job_id}/progress").get_json() == {
        "state": "done",
        "rows_done": 2,
        "rows_total": 2,
    }


def test_options_reach_the_export_and_the_audit_log(app, answered, researcher_a):
    client = signed_in_client(app, *researcher_a)
    job = finished_export(
        client, values="labels", include_partial="y", since="2027-01-01T00:00", country="ar"
    )
    rows = downloaded_rows(client, job.id)
    assert [row["country"] for row in rows] == ["Argentina", "Argentina"]
    [event] = audit_rows(app, "export")
    assert event.actor == "a@example.org"
    assert event.target == f"survey:{SLUG}"
    assert event.after["job"] == job.id
    options = event.after["options"]
    assert options["labels"] is True and options["include_partial"] is True
    assert options["country"] == "AR"
    assert options["since"] == "2026-12-31T23:00:00+00:00"  # Brussels time, stored in UTC
    assert options["with_personal_data"] is False


def test_the_study_package_names_its_csv_after_the_file_downloaded(app, answered, researcher_a):
    client = signed_in_client(app, *researcher_a)
    job = finished_export(client, format="zip")
    answer = client.get(f"/admin/exports/{job.id}/download")
    assert answer.status_code == 200, text_of(answer)
    assert answer.headers["Content-Disposition"] == f"attachment; filename={job.file_name}"
    assert job.file_name.startswith("we-own-it_") and job.file_name.endswith(".zip")
    data_file = f"{Path(job.file_name).stem}.csv"
    with zipfile.ZipFile(io.BytesIO(answer.get_data())) as archive:
        assert sorted(archive.namelist()) == sorted([data_file, "codebook.csv", "README.txt"])
        assert f"  {data_file}  one row per response" in archive.read("README.txt").decode()
        with archive.open(data_file) as handle:
            responses = pd.read_csv(handle, dtype=str, keep_default_na=False)
    assert sorted(responses["country"]) == ["AR", "KE"]


def test_the_export_survives_the_client_going_away(app, answered, researcher_a, export_worker):
    client = signed_in_client(app, *researcher_a)
    export_worker.stop()
    job_id = start_export(client)
    assert job_row(app, job_id).state == "queued"
    del client  # the page is closed: no further request is made
    export_worker.start()
    job = wait_until_finished(app, job_id)
    assert job.state == "done", job.error
    assert stored_file(app, job)


def test_bad_options_are_shown_and_start_nothing(app, researcher_a):
    client = signed_in_client(app, *researcher_a)
    for fields in (
        {"since": "yesterday"},
        {"country": "ARG"},
        {"country": "zz"},  # two letters, no country: the command line refuses it too
        {"channel": "bad tag!"},
        {"format": "docx"},
        {"language": "xx"},
    ):
        answer = post_form(
            client, EXPORTS, {"format": "csv", "values": "codes", "language": "en", **fields}
        )
        assert answer.status_code == 400, fields
        assert "There is a problem" in text_of(answer)
        typed = next(iter(fields.values()))
        if "country" in fields or "channel" in fields:  # what was typed, kept to be mended
            assert f'value="{typed}"' in answer.get_data(as_text=True).replace("&#34;", '"')
    assert jobs(app) == []
    assert audit_rows(app, "export") == []


# -- personal data -----------------------------------------------------------------------------


def test_admin_may_export_personal_data(app, answered, admin_client):
    assert "Include personal data (email)" in text_of(admin_client.get(EXPORTS))
    job = finished_export(admin_client, with_personal_data="y")
    rows = downloaded_rows(admin_client, job.id)
    assert sorted(row["email"] for row in rows) == ["", "ana@example.org"]
    [event] = audit_rows(app, "export")
    assert event.after["options"]["with_personal_data"] is True


def test_researcher_is_never_offered_nor_given_personal_data(app, answered, researcher_a):
    client = signed_in_client(app, *researcher_a)
    page = text_of(client.get(EXPORTS))
    assert "Include personal data" not in page
    assert 'name="with_personal_data"' not in page
    forged = post_form(
        client,
        EXPORTS,
        {"format": "csv", "values": "codes", "language": "en", "with_personal_data": "1"},
    )
    assert forged.status_code == 403
    assert jobs(app) == []
    assert audit_rows(app, "export") == []


def test_researcher_cannot_download_an_admins_personal_data_even_if_once_theirs(
    app, answered, make_user
):
    email, password = make_user("admin", "was-admin@example.org")
    client = signed_in_client(app, email, password)
    job = finished_export(client, with_personal_data="y")
    # Demoted to researcher: the personal data they exported as an admin is out of reach.
    from survey.models import User

    with app.extensions["survey_db"].writing() as session:
        session.execute(update(User).where(User.email == email).values(role="researcher"))
    client = signed_in_client(app, email, password)
    assert client.get(f"/admin/exports/{job.id}/download").status_code == 403


# -- who reaches which file --------------------------------------------------------------------


def test_researchers_reach_only_their_own_files_admins_reach_all(
    app, answered, researcher_a, researcher_b, admin_client
):
    client_a = signed_in_client(app, *researcher_a)
    client_b = signed_in_client(app, *researcher_b)
    job = finished_export(client_a)
    download = f"/admin/exports/{job.id}/download"
    delete = f"/admin/exports/{job.id}/delete"

    page_a = text_of(client_a.get(EXPORTS))
    assert "a@example.org" in page_a and download in page_a, "the list says who made it"
    page_b = text_of(client_b.get(EXPORTS))
    assert "a@example.org" not in page_b, "a researcher's list holds their own exports only"
    assert job.id not in page_b
    assert client_b.get(download).status_code == 403
    assert client_b.get(f"/admin/exports/{job.id}/progress").status_code == 403
    assert client_b.post(delete, data={"csrf_token": any_token(client_b)}).status_code == 403
    assert job_row(app, job.id) is not None and stored_file(app, job)

    assert len(downloaded_rows(admin_client, job.id)) == 2
    assert client_a.get("/admin/exports/nope/download").status_code == 404


def test_researchers_never_see_an_admins_exports_nor_the_admins_email(
    app, answered, researcher_a, admin_account, admin_client
):
    job = finished_export(admin_client, with_personal_data="y")
    client = signed_in_client(app, *researcher_a)
    page = text_of(client.get(EXPORTS))
    assert admin_account[0] not in page and job.id not in page
    assert client.get(f"/admin/exports/{job.id}/progress").status_code == 403
    assert admin_client.get(f"/admin/exports/{job.id}/progress").json["state"] == "done"


def test_one_running_export_per_person_and_a_few_in_all(app, answered, make_user):
    now = app.config["SURVEY_CLOCK"]()

    def running(email: str) -> None:
        """A job another request started and whose process is still beating."""
        with app.extensions["survey_db"].writing() as session:
            user = find_user(session, email)
            survey = find_survey(session, SLUG)
            session.add(
                ExportJob(
                    id=f"running-{email}"[:32],
                    survey_id=survey.id,
                    created_by_id=user.id,
                    created_by=user.email,
                    options={"format": "csv"},
                    state="running",
                    rows_done=0,
                    created_at=now,
                    heartbeat_at=now,
                )
            )

    first = make_user("researcher", "first@example.org")
    client = signed_in_client(app, *first)
    running("first@example.org")
    refused = post_form(client, EXPORTS, {"format": "csv", "values": "codes", "language": "en"})
    assert refused.status_code == 303
    assert "You already have an export running" in text_of(client.get(EXPORTS))
    assert len(jobs(app)) == 1
    for number in range(2, export_jobs.MAX_RUNNING + 1):
        running(make_user("researcher", f"r{number}@example.org")[0])
    other = signed_in_client(app, *make_user("researcher", "late@example.org"))
    post_form(other, EXPORTS, {"format": "csv", "values": "codes", "language": "en"})
    page = text_of(other.get(EXPORTS))
    assert f"{export_jobs.MAX_RUNNING} exports are running on the platform" in page
    assert len(jobs(app)) == export_jobs.MAX_RUNNING


def test_the_file_is_kept_in_the_database_and_nowhere_on_disk(
    app, answered, researcher_a, tmp_path, monkeypatch
):
    """Any server offers it: nothing is left in the exports folder or the temporary folder."""
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    client = signed_in_client(app, *researcher_a)
    job = finished_export(client)
    answer = client.get(f"/admin/exports/{job.id}/download")
    assert answer.get_data() == stored_file(app, job)
    assert answer.headers["Content-Length"] == str(job.size_bytes)
    assert answer.mimetype == "text/csv"
    exports = app.config["SURVEY_SETTINGS"].exports_path
    assert not exports.exists() or list(exports.iterdir()) == []
    assert list(temporary.iterdir()) == []


def test_delete_removes_the_file_and_the_row_and_is_logged(app, answered, researcher_a):
    client = signed_in_client(app, *researcher_a)
    job = finished_export(client)
    assert stored_file(app, job)
    answer = client.post(f"/admin/exports/{job.id}/delete", data={"csrf_token": any_token(client)})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(EXPORTS)
    assert job_row(app, job.id) is None
    assert stored_file(app, job) == b""
    [event] = audit_rows(app, "export.delete")
    assert event.actor == "a@example.org"
    assert event.before["job"] == job.id and event.before["file"] == job.file_name
    assert client.get(f"/admin/exports/{job.id}/download").status_code == 404


def test_an_export_whose_worker_has_gone_is_shown_stopped_and_may_be_deleted(
    app, clock, answered, researcher_a, export_worker
):
    client = signed_in_client(app, *researcher_a)
    job = finished_export(client)
    export_worker.stop()  # no worker takes the job again while the test looks at it

    def running_with_heartbeat(seconds_ago: int) -> str:
        with app.extensions["survey_db"].writing() as session:
            session.execute(
                update(ExportJob)
                .where(ExportJob.id == job.id)
                .values(state="running", heartbeat_at=clock.now - timedelta(seconds=seconds_ago))
            )
        return text_of(client.get(EXPORTS))

    alive = running_with_heartbeat(30)  # a long export, still beating
    assert "Stopped: its worker has gone" not in alive
    client.post(f"/admin/exports/{job.id}/delete", data={"csrf_token": any_token(client)})
    assert job_row(app, job.id) is not None  # refused: it is still being written

    gone = running_with_heartbeat(180)  # no sign of life for 3 minutes
    assert "Stopped: its worker has gone; another worker takes it again" in gone
    answer = client.post(f"/admin/exports/{job.id}/delete", data={"csrf_token": any_token(client)})
    assert answer.status_code == 303
    assert job_row(app, job.id) is None


def test_admin_may_delete_a_researchers_export(app, answered, researcher_a, admin_client):
    job = finished_export(signed_in_client(app, *researcher_a))
    answer = admin_client.post(
        f"/admin/exports/{job.id}/delete", data={"csrf_token": any_token(admin_client)}
    )
    assert answer.status_code == 303
    assert job_row(app, job.id) is None
    assert stored_file(app, job) == b""


def test_only_a_finished_export_is_offered(app, answered, admin_client):
    """A job not done offers nothing, whatever pieces of a file are stored for it."""
    job = finished_export(admin_client)
    for state in ("queued", "running", "failed"):
        with app.extensions["survey_db"].writing() as session:
            session.execute(update(ExportJob).where(ExportJob.id == job.id).values(state=state))
        assert admin_client.get(f"/admin/exports/{job.id}/download").status_code == 404, state
    assert admin_client.get("/admin/exports/nosuchjob/download").status_code == 404


# -- forms and access --------------------------------------------------------------------------


def test_posts_need_the_csrf_token(app, answered, researcher_a):
    client = signed_in_client(app, *researcher_a)
    answer = client.post(EXPORTS, data={"format": "csv", "values": "codes", "language": "en"})
    assert answer.status_code == 400
    assert jobs(app) == []
    job = finished_export(client)
    assert client.post(f"/admin/exports/{job.id}/delete").status_code == 400
    assert job_row(app, job.id) is not None and stored_file(app, job)


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    for path in (EXPORTS, "/admin/exports/x/download", "/admin/exports/x/progress"):
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith(SIGN_IN)
    assert client.post(EXPORTS).status_code in (302, 400)
    assert jobs(app) == []


def test_exports_tab_for_staff(app, researcher_a, admin_client):
    client = signed_in_client(app, *researcher_a)
    for who in (client, admin_client):
        page = who.get(SURVEY).get_data(as_text=True)
        assert f'href="{EXPORTS}"' in page and ">Exports<" in page
    page = client.get(EXPORTS).get_data(as_text=True)
    assert f'href="{EXPORTS}" aria-current="page"' in page


def test_downloads_are_logged(app, answered, researcher_a):
    client = signed_in_client(app, *researcher_a)
    job = finished_export(client)
    downloaded_rows(client, job.id)
    events = [event for event in audit_rows(app) if event.action == "export.download"]
    assert [(event.actor, event.after["job"]) for event in events] == [("a@example.org", job.id)]
    assert isinstance(events[0], AuditEvent)


def test_flagged_responses_are_left_out_when_asked(app, researcher_a):
    from tests.export.test_quality_flags import KNOWN, PLAIN, add_known

    add_known(app)
    client = signed_in_client(app, *researcher_a)
    page = client.get(EXPORTS).get_data(as_text=True)
    assert "Leave out flagged responses" in page
    assert (
        'name="leave_out_flagged"' in page
        and "checked" not in page.split("leave_out_flagged")[1][:40]
    )

    everyone = downloaded_rows(client, finished_export(client, include_partial="y").id)
    unflagged = finished_export(client, include_partial="y", leave_out_flagged="y")

    assert len(everyone) == PLAIN + len(KNOWN)
    assert {row["channel"] for row in downloaded_rows(client, unflagged.id)} == {
        "plain",
        "at-the-line",
        "three-rows",
    }
    assert "flagged left out" in client.get(EXPORTS).get_data(as_text=True)
    events = audit_rows(app, "export")
    assert [event.after["options"]["leave_out_flagged"] for event in events] == [False, True]
