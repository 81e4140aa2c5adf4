"""Racing the deadline, on SQLite and PostgreSQL, with a clock that really runs.

Twelve respondents, each in its own thread with its own cookie jar, start, save every section
and submit, again and again, while the deadline passes or an admin closes the survey. Every
HTTP call is recorded with what the server answered; afterwards the database must show that

- no response started at or after `closes_at`, and nothing was saved or submitted at or after
  the end of the grace period (a submission after `closes_at` is marked late);
- every write the server accepted is stored exactly, every accepted submission is complete, and
  a response that was not submitted stays in progress with all its saved answers;
- the run really raced the cut-off: writes were accepted just before it and refused after it.

An admin's close must also get through while respondents write: it may wait for the writes in
flight, not for the load to stop (CLOSE_WITHIN). The last test serves the app with `survey
serve --workers 3` and checks that after `survey close` every worker process shows the closed
page to the very next request.
"""

from __future__ import annotations

import http.client
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from survey import resume_codes, schedule_changes
from survey.models import Answer, PersonalAnswer, SectionProgress, Survey, SurveyResponse
from survey.questionnaire_store import find_survey
from tests.ports import free_port
from tests.respondent import MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS, SLUG, Respondent

# Threads and processes race for the database's locks, each on a connection of its own.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("real_commits")]

THREADS = 12
MAX_ITERATIONS = 60  # per thread: the loops are bounded by time and by count
HARD_STOP = 30.0  # seconds: no thread begins anything after this, whatever happened
JOIN_TIMEOUT = 60.0
READY_SUBMITS = 2  # the cut-off comes once this many respondents have submitted
LOAD_TIMEOUT = 15.0
CUTOFF_AFTER = 1.0  # seconds of real time from setting the deadline to the deadline
AFTER_CUTOFF = 0.3  # seconds of real time the respondents go on after the cut-off
CLOSE_WITHIN = 2.0  # seconds: "a close by an admin takes effect at once", even under load
BASE = f"/s/{SLUG}"
CLOSED = "This survey is closed"
START_FORM = f'action="{BASE}/start"'
WRITES = ("start", "view", "save", "submit")  # a section page, too, is refused after the cut-off

_addresses = itertools.count(1)


class RunningClock:
    """Real time from the moment it is made, optionally running `speed` times faster."""

    def __init__(self, speed: float = 1.0):
        self.speed = speed
        self.origin = datetime.now(UTC)
        self.started = time.monotonic()

    def __call__(self) -> datetime:
        return self.origin + timedelta(seconds=(time.monotonic() - self.started) * self.speed)

    def in_real_seconds(self, seconds: float) -> timedelta:
        """How much the clock moves while `seconds` of real time pass."""
        return timedelta(seconds=seconds * self.speed)


@dataclass
class Call:
    """One HTTP call of a respondent and what the server made of it."""

    kind: str  # welcome, start, view, save, submit
    sent: datetime  # app clock just before the call (the test client answers in this thread)
    done: datetime  # app clock just after it
    status: int
    accepted: bool
    code: str | None = None
    section: str | None = None
    answers: dict[str, Any] | None = None


@dataclass
class Race:
    """The shared record of a run; the cut-off is set by the controller once load is up."""

    app: Flask
    clock: RunningClock
    calls: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closes_at: datetime | None = None
    cutoff: datetime | None = None  # closes_at + grace: after it nothing is accepted
    # When an admin's close was committed. A section page only reads (no lock): it shows the
    # closed page once the close is committed; one sent while the close is being written may
    # still show the section (its save is refused, since saves queue on the survey's row).
    committed_at: datetime | None = None
    hard_stop: float = field(default_factory=lambda: time.monotonic() + HARD_STOP)
    # Set = respondents go on; cleared = each waits before its next request.
    gate: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.gate.set()

    def pause_point(self) -> None:
        self.gate.wait(timeout=max(0.0, self.hard_stop - time.monotonic()))

    def running(self) -> bool:
        """Go on until a moment after the cut-off (or the hard stop, if it never comes)."""
        if time.monotonic() >= self.hard_stop:
            return False
        cutoff = self.cutoff
        return cutoff is None or self.clock() < cutoff + self.clock.in_real_seconds(AFTER_CUTOFF)

    def accepted(self, kind: str) -> int:
        with self.lock:
            return sum(1 for call in self.calls if call.kind == kind and call.accepted)

    def wait_for_load(self) -> None:
        """Until some respondents got all the way through, so the cut-off meets a full load."""
        deadline = time.monotonic() + LOAD_TIMEOUT
        while self.accepted("submit") < READY_SUBMITS:
            if time.monotonic() >= deadline:
                raise AssertionError(f"fewer than {READY_SUBMITS} submits in {LOAD_TIMEOUT} s")
            time.sleep(0.02)

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    def person(self) -> Respondent:
        """A new person (new cookie jar, own address so the start limit counts them apart)."""
        client = self.app.test_client()
        number = next(_addresses)
        address = f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
        client.environ_base["REMOTE_ADDR"] = address
        return Respondent(client)

    # -- the steps, each recorded -------------------------------------------------------------

    def welcome(self, person: Respondent) -> str | None:
        """The welcome page: its start token, or None if it shows the closed notice."""
        self.pause_point()
        sent = self.clock()
        page = person.get(BASE)
        done = self.clock()
        body = page.get_data(as_text=True)
        has_form = page.status_code == 200 and START_FORM in body
        self.record(Call("welcome", sent, done, page.status_code, has_form))
        if has_form:
            return "consent"  # the form carries nothing that picks a response
        if page.status_code != 200 or CLOSED not in body:
            self.problem(f"welcome at {sent}: {page.status_code} without form or closed notice")
        return None

    def start(self, person: Respondent, _form_seen: str) -> str | None:
        """Consent and start; the resume code of the response if the server accepted it."""
        self.pause_point()
        sent = self.clock()
        answer = person.post(f"{BASE}/start", {"consent": "yes"})
        done = self.clock()
        accepted = self._judge("start", answer, sent, f"{BASE}/p/about_you")
        code = _resume_code(person) if accepted else None
        if accepted and code is None:
            self.problem(f"start at {sent} accepted but no resume code in the session")
        self.record(Call("start", sent, done, answer.status_code, accepted, code))
        return code

    def view(self, person: Respondent, code: str, section_id: str) -> None:
        self.pause_point()
        sent = self.clock()
        page = person.get(f"{BASE}/p/{section_id}")
        done = self.clock()
        if page.status_code == 200:
            accepted = True
        else:
            accepted = False
            self._refused("view", page, sent)
        self.record(Call("view", sent, done, page.status_code, accepted, code, section_id))

    def save(
        self, person: Respondent, code: str, section_id: str, values: dict[str, Any], after: str
    ) -> bool:
        self.pause_point()
        sent = self.clock()
        answer = person.post(f"{BASE}/p/{section_id}", values)
        done = self.clock()
        accepted = self._judge("save", answer, sent, after)
        self.record(
            Call("save", sent, done, answer.status_code, accepted, code, section_id, values)
        )
        return accepted

    def submit(self, person: Respondent, code: str) -> None:
        self.pause_point()
        person.get(f"{BASE}/review")
        self.pause_point()
        sent = self.clock()
        answer = person.post(f"{BASE}/submit", {})
        done = self.clock()
        accepted = self._judge("submit", answer, sent, f"{BASE}/thanks")
        self.record(Call("submit", sent, done, answer.status_code, accepted, code))

    def _judge(self, kind: str, answer: Any, sent: datetime, expected: str) -> bool:
        """Accepted: a redirect to the next page. Refused: the closed page with 403."""
        if answer.status_code == 302:
            where = answer.headers.get("Location", "")
            if where.endswith(expected):
                return True
            self.problem(f"{kind} at {sent}: redirected to {where}, expected {expected}")
            return False
        self._refused(kind, answer, sent)
        return False

    def _refused(self, kind: str, answer: Any, sent: datetime) -> None:
        if answer.status_code != 403 or CLOSED not in answer.get_data(as_text=True):
            self.problem(f"{kind} at {sent}: unexpected answer {answer.status_code}")


def _resume_code(person: Respondent) -> str | None:
    """The resume code the server put in the browser's cookie, read as the server wrote it.

    Not through `session_transaction`, which opens the session as of now: a start accepted just
    before a close without grace writes a code that ends at the close, so by the time the test
    looks, the server would already have dropped it."""
    app = person.client.application
    cookie = person.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return None
    serializer = app.session_interface.get_signing_serializer(app)
    code = serializer.loads(cookie.value).get("resume_codes", {}).get(SLUG)
    return code if isinstance(code, str) else None


def _respondent(race: Race, number: int) -> None:
    """One thread: start, save every section, submit, and again, until after the cut-off."""
    answers = MEMBER_ANSWERS if number % 2 == 0 else NOT_INVOLVED_ANSWERS
    order = list(answers)
    following = {
        section_id: f"{BASE}/p/{order[index + 1]}" if index + 1 < len(order) else f"{BASE}/review"
        for index, section_id in enumerate(order)
    }
    try:
        # A tab opened at the beginning and sent once the survey is seen closed: a start form
        # loaded before the close must not start a response after it.
        tab = race.person()
        tab_token = race.welcome(tab)
        # Someone who saved the first section at the beginning and comes back after the
        # cut-off: refused, and the first section stays saved as a partial response.
        sleeper = race.person()
        sleeper_token = race.welcome(sleeper)
        sleeper_code = race.start(sleeper, sleeper_token) if sleeper_token else None
        if sleeper_code is not None:
            race.view(sleeper, sleeper_code, order[0])
            race.save(sleeper, sleeper_code, order[0], answers[order[0]], following[order[0]])
        journeys = 0
        # Bounded by time (race.running: the hard stop at the latest) and by journeys. A
        # closed welcome page costs no journey: threads that used them all up waiting through
        # the grace period would leave nobody to be refused after the cut-off.
        while journeys < MAX_ITERATIONS and race.running():
            person = race.person()
            start_token = race.welcome(person)
            if start_token is None:
                if tab_token is not None:
                    race.start(tab, tab_token)
                    tab_token = None
                else:
                    time.sleep(0.02)
                continue
            journeys += 1
            code = race.start(person, start_token)
            if code is None:
                continue
            for section_id, values in answers.items():
                race.view(person, code, section_id)
                if not race.save(person, code, section_id, values, following[section_id]):
                    break
            else:
                race.submit(person, code)
        if tab_token is not None:
            race.start(tab, tab_token)
        if sleeper_code is not None:
            race.view(sleeper, sleeper_code, order[1])
            race.save(sleeper, sleeper_code, order[1], answers[order[1]], following[order[1]])
    except BaseException as error:  # noqa: BLE001 - reported by the test, never lost in a thread
        race.problem(f"respondent {number} failed: {error!r}")


def _run(race: Race, *extra: Callable[[], None]) -> None:
    """Run the respondents (and any extra actors) in threads; always join them all."""
    threads = [
        threading.Thread(target=_respondent, args=(race, number), name=f"respondent-{number}")
        for number in range(THREADS)
    ]
    threads += [threading.Thread(target=actor, name=actor.__name__) for actor in extra]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"threads did not finish within {JOIN_TIMEOUT} s: {stuck}"


# -- what the database holds ---------------------------------------------------------------


Item = tuple[str, str, tuple[str, ...]]  # section, field, sorted values as text


def _form_items(section_id: str, values: dict[str, Any]) -> set[Item]:
    return {
        (section_id, key, tuple(sorted(value if isinstance(value, list) else [value])))
        for key, value in values.items()
    }


def _stored_items(section_id: str, question_id: str, value: Any) -> set[Item]:
    if isinstance(value, dict):  # a matrix: one form field per row
        return {(section_id, f"{question_id}__{row}", (str(item),)) for row, item in value.items()}
    if isinstance(value, list):
        return {(section_id, question_id, tuple(sorted(str(item) for item in value)))}
    return {(section_id, question_id, (str(value),))}


@dataclass
class Stored:
    response: SurveyResponse
    items: set[Item] = field(default_factory=set)
    completed: set[str] = field(default_factory=set)
    progress_times: list[datetime] = field(default_factory=list)


def _stored(app: Flask) -> tuple[Survey, dict[str, Stored]]:
    """The survey and every response of it, keyed by resume code hash."""
    with app.extensions["survey_db"].reading() as session:
        survey = find_survey(session, SLUG)
        assert survey is not None
        rows = {
            response.id: Stored(response)
            for response in session.scalars(
                select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
            )
        }
        for model in (Answer, PersonalAnswer):
            for answer in session.scalars(select(model)):
                rows[answer.response_id].items |= _stored_items(
                    answer.section_id, answer.question_id, answer.value
                )
        for progress in session.scalars(select(SectionProgress)):
            row = rows[progress.response_id]
            row.progress_times.append(progress.reached_at)
            if progress.completed_at is not None:
                row.completed.add(progress.section_id)
                row.progress_times.append(progress.completed_at)
    return survey, {row.response.resume_code_hash: row for row in rows.values()}


def _check(race: Race, closes_at: datetime, grace_ends_at: datetime) -> Counter[str]:
    """Nothing accepted after the cut-off, nothing accepted lost; returns a few counts."""
    assert not race.problems, "\n".join(race.problems[:20])
    calls = race.calls
    writes = [call for call in calls if call.kind in WRITES]

    # What the server answered: a call sent after the cut-off was refused.
    views_from = race.committed_at or grace_ends_at
    after_close = [
        call
        for call in writes
        if call.accepted and call.sent >= (views_from if call.kind == "view" else grace_ends_at)
    ]
    after_close += [
        call for call in calls if call.kind == "start" and call.accepted and call.sent >= closes_at
    ]
    assert not after_close, f"accepted after the cut-off: {after_close[:5]}"

    # What the database holds: exactly the responses whose start and a save were accepted
    # (a start alone stores nothing).
    _survey, stored = _stored(race.app)
    codes = {call.code for call in calls if call.kind == "start" and call.accepted}
    assert len(codes) == len([c for c in calls if c.kind == "start" and c.accepted]), (
        "two accepted starts share a resume code"
    )
    saved = {call.code for call in calls if call.kind == "save" and call.accepted}
    key = race.app.config["SURVEY_SETTINGS"].resume_key
    expected = {resume_codes.code_hash(code, key): code for code in codes & saved if code}
    assert set(stored) == set(expected), (
        f"{len(set(expected) - set(stored))} accepted saves lost, "
        f"{len(set(stored) - set(expected))} responses nobody was told about"
    )

    by_code: dict[str, list[Call]] = {}
    for call in writes:
        if call.code is not None:
            by_code.setdefault(call.code, []).append(call)

    counts: Counter[str] = Counter()
    for code_hash, row in stored.items():
        response = row.response
        mine = by_code[expected[code_hash]]
        start = next(call for call in mine if call.kind == "start")
        assert start.sent <= response.started_at <= start.done
        assert response.started_at < closes_at
        assert response.updated_at < grace_ends_at
        assert all(moment < grace_ends_at for moment in row.progress_times)

        saves = [call for call in mine if call.kind == "save" and call.accepted]
        items: dict[str, set[Item]] = {}
        for call in saves:
            assert call.section is not None and call.answers is not None
            items[call.section] = _form_items(call.section, call.answers)
        assert row.items == set().union(*items.values()), (
            f"response {response.id}: stored answers differ from the accepted saves"
        )
        assert row.completed == set(items), f"response {response.id}: completed sections differ"

        submits = [call for call in mine if call.kind == "submit" and call.accepted]
        if submits:
            assert response.status == "complete", f"accepted submit lost: {response.id}"
            assert response.submitted_at is not None
            assert submits[0].sent <= response.submitted_at <= submits[0].done
            assert response.submitted_at < grace_ends_at
            assert response.late == (response.submitted_at >= closes_at)
            counts["late" if response.late else "complete"] += 1
        else:
            assert response.status == "in_progress", f"{response.id} is {response.status}"
            assert response.submitted_at is None
            assert not response.late
            counts["partial"] += 1
        counts["saves"] += len(saves)

    # The run really raced the cut-off: accepted just before it, refused after it.
    just_before = closes_at - race.clock.in_real_seconds(1.0)
    counts["accepted just before"] = sum(
        1 for call in writes if call.accepted and just_before <= call.sent < closes_at
    )
    counts["refused after"] = sum(
        1 for call in writes if not call.accepted and call.sent >= grace_ends_at
    )
    counts["starts refused after close"] = sum(
        1 for call in calls if call.kind == "start" and not call.accepted and call.sent >= closes_at
    )
    assert counts["accepted just before"] > 0, counts
    assert counts["refused after"] > 0, counts
    assert counts["starts refused after close"] > 0, counts
    assert counts["complete"] + counts["late"] > 0, counts
    print(f"race: {len(calls)} calls, {dict(counts)}")
    return counts


def _set_schedule(
    app: Flask, clock: RunningClock, grace: int, closes_in: timedelta
) -> tuple[datetime, datetime]:
    """Deadline `closes_in` from now, read after the survey row is locked, like the admin view;
    returns closes_at and the end of the grace period."""
    with app.extensions["survey_db"].writing() as session:
        survey = find_survey(session, SLUG, lock="update")
        assert survey is not None
        now = clock()
        schedule_changes.update_schedule(
            session,
            survey,
            actor=None,
            now=now,
            opens_at=None,
            closes_at=now + closes_in,
            timezone=survey.timezone,
            grace_minutes=grace,
            contact=None,
        )
    return now + closes_in, now + closes_in + timedelta(minutes=grace)


# -- the deadline passes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("speed", "grace_minutes"),
    [
        pytest.param(1.0, 0, id="no-grace-real-clock"),
        # Grace is whole minutes: a clock running 30 times faster makes one minute two seconds.
        pytest.param(30.0, 1, id="one-minute-grace-clock-30x"),
    ],
)
def test_nothing_is_accepted_after_the_deadline_passes(app, speed, grace_minutes):
    clock = RunningClock(speed)
    app.config["SURVEY_CLOCK"] = clock
    _set_schedule(app, clock, grace_minutes, timedelta(days=1))
    race = Race(app, clock)

    def deadline_in_a_second() -> None:
        """Once respondents are going, set the deadline a second ahead; it then passes by
        itself. The respondents wait while it is set: changing the schedule is not what this
        test is about (see the admin's close below)."""
        try:
            race.wait_for_load()
            race.gate.clear()
            try:
                race.closes_at, race.cutoff = _set_schedule(
                    app, clock, grace_minutes, clock.in_real_seconds(CUTOFF_AFTER)
                )
            finally:
                race.gate.set()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            race.problem(f"setting the deadline failed: {error!r}")
            race.hard_stop = time.monotonic()

    _run(race, deadline_in_a_second)

    assert not race.problems, "\n".join(race.problems[:20])
    assert race.closes_at is not None and race.cutoff is not None
    counts = _check(race, race.closes_at, race.cutoff)
    if grace_minutes:
        # People who had started went on saving and submitting in the grace period (late).
        in_grace = [
            call
            for call in race.calls
            if call.kind == "save" and call.accepted and call.sent >= race.closes_at
        ]
        assert in_grace, "no save was accepted during the grace period"
        assert counts["late"] > 0, counts


# -- an admin closes -------------------------------------------------------------------------


def test_nothing_is_accepted_after_an_admin_closes_and_the_close_is_not_kept_waiting(app):
    clock = RunningClock()
    app.config["SURVEY_CLOCK"] = clock
    _set_schedule(app, clock, 0, timedelta(days=1))
    db = app.extensions["survey_db"]
    race = Race(app, clock)
    requested = threading.Event()
    committed = threading.Event()
    timing: dict[str, float] = {}

    def admin() -> None:
        """Close now while respondents write, the way the admin view does it: lock the survey
        row, read the clock, close, commit."""
        try:
            race.wait_for_load()
            timing["requested"] = time.monotonic()
            requested.set()
            with db.writing() as session:
                survey = find_survey(session, SLUG, lock="update")
                assert survey is not None
                timing["locked"] = time.monotonic()
                schedule_changes.close_now(session, survey, actor=None, now=clock())
                closes_at = survey.closes_at
            timing["committed"] = time.monotonic()
            race.committed_at = clock()
            assert closes_at is not None
            race.closes_at = race.cutoff = closes_at
        except BaseException as error:  # noqa: BLE001 - reported by the test
            race.problem(f"the admin's close failed: {error!r}")
            race.hard_stop = time.monotonic()
        finally:
            committed.set()

    def watchdog() -> None:
        """If the close is still waiting after CLOSE_WITHIN, pause the respondents so it gets
        through (the test then fails on the delay, after checking everything else)."""
        if not requested.wait(timeout=LOAD_TIMEOUT + 1):
            return
        if not committed.wait(timeout=CLOSE_WITHIN):
            timing["paused"] = time.monotonic()
            race.gate.clear()
            committed.wait(timeout=JOIN_TIMEOUT / 2)
            race.gate.set()

    _run(race, admin, watchdog)

    assert not race.problems, "\n".join(race.problems[:20])
    assert race.closes_at is not None
    survey, _rows = _stored(app)
    assert survey.closes_at == race.closes_at
    assert survey.grace_minutes == 0
    _check(race, race.closes_at, race.closes_at)
    waited = timing["locked"] - timing["requested"]
    assert "paused" not in timing and waited < CLOSE_WITHIN, (
        f"the close waited {waited:.2f} s for the survey row while respondents were writing"
        + (
            f"; it got through only {timing['locked'] - timing['paused']:.2f} s after they"
            " were paused"
            if "paused" in timing
            else ""
        )
    )


# -- every worker process sees a close at once ----------------------------------------------


def _survey_command() -> str:
    command = Path(sys.executable).parent / "survey"
    assert command.exists(), f"no console script at {command}"
    return str(command)


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (gunicorn's workers)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of a connection on 127.0.0.1, from /proc/net/tcp."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[1] == local and parts[2] == remote:
            return parts[9]
    return None


def _owner(inode: str, pids: set[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(f"/proc/{pid}/fd/{descriptor}") == target:
                    return pid
            except OSError:
                continue
    return None


def _fetch_welcome(port: int, workers: set[int]) -> tuple[int, str, int | None]:
    """GET the welcome page on a new connection: status, page, and the worker that answered
    (found while the kept-alive connection is still open on the server's side)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", BASE)
        answer = connection.getresponse()
        body = answer.read().decode("utf-8")
        worker = None
        if connection.sock is not None:
            inode = _socket_inode(port, connection.sock.getsockname()[1])
            worker = _owner(inode, workers) if inode else None
        return answer.status, body, worker
    finally:
        connection.close()


def _fetch_many(port: int, workers: set[int], at_least: int) -> list[tuple[int, str, int | None]]:
    """At least `at_least` fresh requests, and more (bounded) until every worker answered."""
    pages = []
    for count in itertools.count(1):
        pages.append(_fetch_welcome(port, workers))
        seen = {worker for _status, _body, worker in pages}
        if (count >= at_least and workers <= seen) or count >= 5 * at_least:
            return pages
    raise AssertionError("unreachable")


def _wait_until_serving(server: subprocess.Popen[bytes], port: int, log: Path) -> set[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"survey serve exited with {server.returncode}:\n{log.read_text()}")
        workers = _children(server.pid)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                healthy = answer.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            healthy = False
        if healthy and len(workers) == 3:
            return workers
        time.sleep(0.2)
    pytest.fail(f"survey serve did not answer /healthz with 3 workers in 30 s:\n{log.read_text()}")


def test_every_worker_process_shows_the_closed_page_right_after_a_close(
    app, database_url, tmp_path
):
    port = free_port()
    command = _survey_command()
    env = {
        **os.environ,
        "SURVEY_DATABASE_URL": database_url,
        "SURVEY_SECRET_KEY": "x",
        "SURVEY_INSTANCE_PATH": str(tmp_path / "instance"),
        "SURVEY_RATELIMIT_STORAGE_URL": "memory://",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [command, "serve", "--workers", "3", "--port", str(port), "--host", "127.0.0.1"]
            + ["--no-export-worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        workers = _wait_until_serving(server, port, log)

        before = _fetch_many(port, workers, 20)
        not_open = [
            (status, worker)
            for status, body, worker in before
            if status != 200 or START_FORM not in body or CLOSED in body
        ]
        assert not not_open, f"welcome pages without the start form before the close: {not_open}"
        assert {worker for _s, _b, worker in before} >= workers, "not every worker answered"

        closing = subprocess.run(
            [command, "close", SLUG], env=env, capture_output=True, text=True, timeout=60
        )
        assert closing.returncode == 0, closing.stderr
        assert closing.stdout.startswith(f"{SLUG}: grace;"), closing.stdout

        after = _fetch_many(port, workers, 30)
        stale = [
            (index, status, worker)
            for index, (status, body, worker) in enumerate(after)
            if status != 200 or CLOSED not in body or START_FORM in body
        ]
        assert not stale, f"pages still open after `survey close` (index, status, pid): {stale}"
        assert {worker for _s, _b, worker in after} >= workers, "not every worker answered"
    finally:
        server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
