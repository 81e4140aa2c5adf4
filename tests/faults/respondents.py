"""Simulated respondents answering the shipped questionnaire through the balancer, many at
once, and what the database holds for them afterwards."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from survey.db import Database
from survey.models import SurveyResponse
from survey.questionnaire_store import find_survey
from survey.responses import find_progress
from tests.faults.deployment import SLUG, Deployment
from tests.faults.visitor import SERVER_WENT_AWAY, Attempt, Route, Visitor
from tests.respondent import MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS

Answers = dict[str, dict[str, Any]]

THANKS = "Thank you, your answers were submitted"
_CODE = re.compile(r'class="code"[^>]*>([0-9A-Z-]{14})<')
# Who answers in a crowd, in turn: one member of a cooperative (all 7 sections) for four people
# not involved in one (4 sections: the survey skips the rest), so that a crowd goes through
# both paths without costing the servers more than needed.
CROWD_ANSWERS: tuple[Answers, ...] = (MEMBER_ANSWERS, *[NOT_INVOLVED_ANSWERS] * 4)


def questions_of(answers: Answers) -> set[str]:
    """The question ids a response answered this way holds: a matrix's rows (`q__row`) are
    one answer, an "other" box's text an answer of its own."""
    return {name.split("__")[0] for section in answers.values() for name in section}


@dataclass
class Outcome:
    """How one respondent's journey ended."""

    answers: Answers
    code: str = ""
    thanked: bool = False
    failed: list[Attempt] = field(default_factory=list)
    problem: str = ""


def through_balancer(
    deployment: Deployment, retry_on: frozenset[int] = SERVER_WENT_AWAY
) -> Visitor:
    """A new person, reaching the survey at its public address (the balancer)."""
    return Visitor(deployment.public_url, Route.to(deployment.public_url), retry_on=retry_on)


def on_server(deployment: Deployment, number: int, address: str) -> Visitor:
    """A new person whose requests reach server `number` (0 or 1) directly, as the balancer
    passes them on for a client at `address`."""
    return Visitor(deployment.public_url, Route.to(deployment.server_urls[number], address))


def _expect(page_ok: bool, what: str, text: str) -> None:
    if not page_ok:
        raise AssertionError(f"{what}: {text[:600]}")


def answer_survey(visitor: Visitor, answers: Answers) -> str:
    """The whole survey, section by section, then submitted; the resume code it showed."""
    base = f"/s/{SLUG}"
    welcome = visitor.get(base)
    _expect(welcome.status == 200, "welcome page", welcome.text)
    page = visitor.submit(f"{base}/start", {"consent": "yes"})
    code = ""
    for section_id, values in answers.items():
        _expect(page.path == f"{base}/p/{section_id}", f"on {page.path}, not {section_id}", "")
        page = visitor.submit(page.path, values)
        _expect(page.status == 200, f"after saving {section_id}: {page.status}", page.text)
        code = code or resume_code_on(page.text)
    _expect(page.path == f"{base}/review", f"on {page.path}, not the review", page.text)
    thanks = visitor.submit(f"{base}/submit", {})
    _expect(THANKS in thanks.text, f"after submitting: {thanks.status}", thanks.text)
    return code


def resume_code_on(text: str) -> str:
    """The resume code a page shows ("" if none)."""
    match = _CODE.search(text)
    return match.group(1) if match else ""


def one_journey(make_visitor: Callable[[], Visitor], answers: Answers) -> Outcome:
    visitor = make_visitor()
    outcome = Outcome(answers, failed=visitor.failed)
    try:
        outcome.code = answer_survey(visitor, answers)
        outcome.thanked = True
    except AssertionError as problem:
        outcome.problem = str(problem)
    finally:
        visitor.close()
    return outcome


class Crowd:
    """`journeys` respondents (answering as CROWD_ANSWERS in turn), `threads` of them at any
    moment (each thread one person after another), started in the background; `outcomes()`
    waits for them all."""

    def __init__(self, make_visitor: Callable[[], Visitor], journeys: int, threads: int):
        self._pool = ThreadPoolExecutor(max_workers=threads)
        self._finished = 0
        self._lock = threading.Lock()
        self._futures: list[Future[Outcome]] = [
            self._pool.submit(
                self._journey, make_visitor, CROWD_ANSWERS[number % len(CROWD_ANSWERS)]
            )
            for number in range(journeys)
        ]

    def _journey(self, make_visitor: Callable[[], Visitor], answers: Answers) -> Outcome:
        outcome = one_journey(make_visitor, answers)
        with self._lock:
            self._finished += 1
        return outcome

    @property
    def finished(self) -> int:
        with self._lock:
            return self._finished

    def wait_until_finished(self, count: int, seconds: float = 60) -> int:
        """Wait until `count` journeys ended (bounded); how many had then."""
        deadline = time.monotonic() + seconds
        while self.finished < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.finished

    def outcomes(self, seconds: float = 120) -> list[Outcome]:
        """Every journey's outcome (bounded: a journey is a bounded number of requests)."""
        try:
            return [future.result(timeout=seconds) for future in self._futures]
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)


def assert_stored_once_each(deployment: Deployment, outcomes: list[Outcome], before: int) -> None:
    """Every respondent thanked, and the database holding each of their responses exactly
    once: as many more complete responses as thank-you pages, one per resume code, each with
    every answer given (the same for everyone who answered the same way)."""
    assert [outcome.problem for outcome in outcomes if not outcome.thanked] == []
    codes = [outcome.code for outcome in outcomes]
    assert len(set(codes)) == len(outcomes), "each person has a resume code of their own"
    assert complete_responses(deployment.database_url) - before == len(outcomes)
    stored = stored_responses(deployment.database_url, deployment.resume_key, codes)
    assert sorted(stored) == sorted(codes)
    seen: dict[int, dict[str, Any]] = {}
    for outcome in outcomes:
        status, answers = stored[outcome.code]
        assert status == "complete", outcome.code
        assert set(answers) == questions_of(outcome.answers), outcome.code
        assert answers == seen.setdefault(id(outcome.answers), answers), outcome.code


def complete_responses(database_url: str) -> int:
    database = Database(database_url)
    try:
        with database.reading() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(SurveyResponse)
                    .where(SurveyResponse.status == "complete")
                )
                or 0
            )
    finally:
        database.dispose()


def stored_responses(
    database_url: str, resume_key: str, codes: list[str]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """For each resume code: the stored response's status and answers (personal ones too)."""
    database = Database(database_url)
    stored: dict[str, tuple[str, dict[str, Any]]] = {}
    try:
        with database.reading() as session:
            survey = find_survey(session, SLUG)
            assert survey is not None
            for code in codes:
                progress = find_progress(session, survey, code, resume_key)
                if progress is not None:
                    stored[code] = (progress.response.status, progress.answers)
    finally:
        database.dispose()
    return stored
