"""Logs never hold a resume code, a password or an email address: `redact`, the log filter,
and the access log of the real `survey serve`."""

from __future__ import annotations

import io
import logging
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger

from survey.logs import REDACTED, RedactingLogger, redact, redact_handlers
from survey.serving import gunicorn_settings
from tests import console

CODE = "K7QF-3MZP-9XWA"
# The code in any form a person or a link may give it: case, hyphens, spaces.
ANY_FORM_OF_CODE = re.compile(r"k\W*7\W*q\W*f\W*3\W*m\W*z\W*p\W*9\W*x\W*w\W*a", re.IGNORECASE)


# -- redact --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"GET /s/we-own-it/resume/{CODE} HTTP/1.1", "GET /s/we-own-it/resume/[redacted] HTTP/1.1"),
        ("/s/we-own-it/resume/k7qf3mzp9xwa?lang=fr", "/s/we-own-it/resume/[redacted]?lang=fr"),
        ("/s/we-own-it/resume/K7QF%2D3MZP%2D9XWA", "/s/we-own-it/resume/[redacted]"),
        (f"/s/we-own-it/resume?code={CODE}", "/s/we-own-it/resume?code=[redacted]"),
        ("lang=fr&code=k7qf+3mzp+9xwa&via=news", "lang=fr&code=[redacted]&via=news"),
        ("code=k7qf3mzp9xwa", "code=[redacted]"),
        (
            "/admin/sign-in?next=%2Fs%2Fwe-own-it%2Fresume%2FK7QF-3MZP-9XWA%3Flang%3Dfr",
            "/admin/sign-in?next=%2Fs%2Fwe-own-it%2Fresume%2F[redacted]%3Flang%3Dfr",
        ),
        (
            "/x?next=%2Fs%2Fwe-own-it%2Fresume%3Fcode%3Dk7qf3mzp9xwa%26lang%3Dfr",
            "/x?next=%2Fs%2Fwe-own-it%2Fresume%3Fcode%3D[redacted]%26lang%3Dfr",
        ),
        (f"withdrawn: {CODE.lower()}.", "withdrawn: [redacted]."),
        ("/admin/sign-in?next=/admin/x%40y.org", "/admin/sign-in?next=/admin/[redacted]"),
        ("next=%2Fadmin%2Fjane.doe%2Bs%40example.org", "next=%2Fadmin%2F[redacted]"),
        ("failed sign-in for Jane.Doe@Example.ORG", "failed sign-in for [redacted]"),
        ("/admin/sign-in?password=hunter2&x=1", "/admin/sign-in?password=[redacted]&x=1"),
        ("/admin/password?new_password=a/b=c", "/admin/password?new_password=[redacted]"),
    ],
)
def test_redact_takes_out_codes_passwords_and_emails(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "GET /s/we-own-it/p/about_you?lang=fr&via=newsletter HTTP/1.1",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "Transactions committed",
        "/admin/surveys/we-own-it/exports?labels=fr",
    ],
)
def test_redact_leaves_other_text_alone(text):
    assert redact(text) == text


def test_redact_reads_a_long_line_quickly():
    # A request line may be 8 KB; a pattern that went back over it at every character would
    # let one request hold a worker for seconds.
    started = time.perf_counter()
    for text in ("a" * 8000 + "@", "a." * 4000 + "@x", "?" + "a" * 8000 + "code", "%2F" * 2700):
        redact(text)
    assert time.perf_counter() - started < 0.5


def test_log_records_of_the_app_are_redacted_messages_and_tracebacks():
    logger = logging.getLogger("survey.test-logs")
    logger.propagate = False
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    logger.addHandler(handler)
    try:
        redact_handlers(logger)
        logger.warning("sign-in failed for %s", "jane@example.org")
        try:
            raise ValueError(f"no response for code {CODE}")
        except ValueError:
            logger.exception("resume of %s failed", f"/s/we-own-it/resume/{CODE}")
    finally:
        logger.removeHandler(handler)
    text = output.getvalue()
    assert "sign-in failed for [redacted]" in text
    assert "ValueError: no response for code [redacted]" in text
    assert "jane@example.org" not in text and not ANY_FORM_OF_CODE.search(text)


# -- survey serve --------------------------------------------------------------------------

REQUESTS = (
    f"/s/we-own-it/resume/{CODE}",
    "/s/we-own-it/resume/k7qf3mzp9xwa",
    f"/s/we-own-it/resume?code={CODE}",
    "/admin/sign-in?next=/admin/x%40y.org",
)


def test_an_access_log_line_redacts_every_atom_it_shows_then_escapes_its_quotes():
    atoms = RedactingLogger.atoms_wrapper_class(
        {
            "r": f'GET /s/we-own-it/resume/{CODE}?x="a" HTTP/1.1',
            "{referer}i": "http://127.0.0.1/admin/sign-in?next=/admin/x%40y.org",
            "s": "200",
            "B": 512,
        }
    )
    # As gunicorn makes the line: the format's % with the atoms as its mapping.
    line = '"%(r)s" %(s)s %(B)s "%({Referer}i)s" %(missing)s' % atoms  # noqa: UP031

    assert line == (
        f'"GET /s/we-own-it/resume/{REDACTED}?x=\\"a\\" HTTP/1.1" 200 512 '
        f'"http://127.0.0.1/admin/sign-in?next=/admin/{REDACTED}" -'
    )


@pytest.mark.slow
def test_the_access_log_of_survey_serve_holds_no_code_and_no_email(tmp_path: Path):
    env = console.environment(tmp_path)
    initialised = console.run("init", env=env, cwd=tmp_path)
    assert initialised.returncode == 0, initialised.stderr
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        with console.serving(env, tmp_path, stdout=stdout, stderr=stderr) as port:
            for path in REQUESTS:
                referer = f"http://127.0.0.1:{port}{path}"
                console.get(port, path, headers={"Referer": referer})
    log = out.read_text() + err.read_text()

    assert not ANY_FORM_OF_CODE.search(log), log
    assert "x@y.org" not in log and "x%40y.org" not in log, log
    for line in (
        f'"GET /s/we-own-it/resume/{REDACTED} HTTP/1.1"',
        f'"GET /s/we-own-it/resume?code={REDACTED} HTTP/1.1"',
        f'"GET /admin/sign-in?next=/admin/{REDACTED} HTTP/1.1"',
    ):
        assert line in log, log
    assert log.count(f'"GET /s/we-own-it/resume/{REDACTED} HTTP/1.1"') == 2, log


class _Sent:
    """What gunicorn's logger reads of a response it has sent."""

    status = "200 OK"
    sent = 5120
    headers = [("Content-Type", "text/html")]


class _Received:
    headers = [("USER-AGENT", "pytest"), ("REFERER", "http://127.0.0.1/s/we-own-it")]


TOOK = timedelta(seconds=1, microseconds=2345)
ENVIRON = {
    "REQUEST_METHOD": "POST",
    "RAW_URI": f"/s/we-own-it/resume/{CODE}?via=radio",
    "PATH_INFO": f"/s/we-own-it/resume/{CODE}",
    "QUERY_STRING": "via=radio",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "198.18.0.7",
}


def access_line(line_format: str) -> str:
    """The access log line `survey serve`'s logger makes with `line_format` for one request."""
    config = Config()
    config.set("access_log_format", line_format)
    logger = RedactingLogger(config)
    atoms = logger.atoms(_Sent(), _Received(), ENVIRON, TOOK)
    return line_format % logger.atoms_wrapper_class(atoms)


@pytest.mark.parametrize(
    "line_format",
    [
        gunicorn_settings("127.0.0.1", 8000, 2)["access_log_format"],
        "%(m)s %(U)s?%(q)s %(H)s %(s)s %(B)s %(T)s %(D)s %(M)s",
        '"%(r)s" %(s)s "%({referer}i)s" "%(a)s" %(h)s',  # more than the few: gunicorn's own
    ],
)
def test_an_access_log_line_is_the_one_gunicorn_makes_with_codes_redacted(line_format):
    # Every atom gunicorn itself makes for the request, through the same redaction.
    made = GunicornLogger(Config()).atoms(_Sent(), _Received(), ENVIRON, TOOK)
    expected = line_format % RedactingLogger.atoms_wrapper_class(made)

    assert access_line(line_format) == expected
    assert CODE not in expected and REDACTED in expected
