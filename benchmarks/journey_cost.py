"""What does a respondent's request cost the app itself? Against a bare "hello" request, and
against the stack's floor (benchmarks/floor_app.py: a page of one question, one row read a page
and written a save).

    .venv/bin/python benchmarks/journey_cost.py [--database-url URL] [--journeys 40]
                                                [--instructions]

Runs whole journeys in this process through the Flask test client, as benchmarks/respond_bench.py
does over HTTP (welcome, start, each of the seven sections of tests/respondent.py's
MEMBER_ANSWERS, review, submit, thanks), on a fresh instance folder (`survey init`) with a
temporary SQLite file or, with --database-url, that PostgreSQL database (emptied first: every
table in it is dropped). No server, no network, no load generator: the app's own work per
request, by kind of request, in CPU time of this thread, with the statements each kind runs;
and, as baselines, a bare Flask app's "hello" and the floor's saves (its POST and the GET it
redirects to) through the same test client, the floor on the same database.

CPU time moves with whatever else the machine is doing. With --instructions the script runs
again under valgrind's callgrind (Debian's `valgrind` package), counting instructions only
while the journeys run (switched on and off with `callgrind_control`): a figure the machine's
load does not move, to judge a change of a few percent by (about 50 s for 8 journeys on a
slow 2-core machine).

Last line, for scripts:

    ratios: request_vs_hello=<CPU of an average request / CPU of a hello request>
            request_vs_floor=<... / CPU of an average request of the floor>

(on one line; instructions in place of CPU with --instructions).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from floor_app import PATH as FLOOR_PATH  # noqa: E402
from floor_app import create_floor_table, floor_app, floor_database  # noqa: E402
from respond_bench import (  # noqa: E402
    ADDRESSES,
    CSRF_TOKEN,
    FIRST_ADDRESS,
    SECTION_PATH,
    SLUG,
    SURVEY,
    databases,
    form_of,
    hello_app,
    survey_env,
)
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from tests.respondent import MEMBER_ANSWERS  # noqa: E402

KINDS = ("welcome", "start", "section", "save", "review", "submit", "thanks")
WARM_UP_JOURNEYS = 3
HELLOS = 1000
FLOOR_SAVES = 300  # each a POST and a GET


class Tally:
    """CPU seconds, requests and statements by kind of request."""

    def __init__(self) -> None:
        self.cpu: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.statements: Counter[str] = Counter()
        self.kind = ""

    def reset(self) -> None:
        for counter in (self.cpu, self.requests, self.statements):
            counter.clear()

    @contextmanager
    def timing(self, kind: str) -> Iterator[None]:
        self.kind = kind
        began = time.thread_time()
        yield
        self.cpu[kind] += time.thread_time() - began
        self.requests[kind] += 1


def count_statements(tally: Tally) -> None:
    """Count each statement sent to the database: through SQLAlchemy and, on PostgreSQL, what
    the app sends to psycopg itself (its cursors' execute and executemany)."""

    @event.listens_for(Engine, "before_cursor_execute")
    def _counted(*_args: Any) -> None:
        tally.statements[tally.kind] += 1

    try:
        import psycopg
    except ImportError:
        return
    for name in ("execute", "executemany"):
        original = getattr(psycopg.Cursor, name)

        def counted(cursor: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            if not _from_sqlalchemy():
                tally.statements[tally.kind] += 1
            return _original(cursor, *args, **kwargs)

        setattr(psycopg.Cursor, name, counted)


def _from_sqlalchemy() -> bool:
    """Whether the caller's caller is SQLAlchemy's (counted by its event already)."""
    frame = sys._getframe(2)
    return "sqlalchemy" in frame.f_code.co_filename


def journey(client: Any, number: int, tally: Tally) -> None:
    """One respondent, from the welcome page to the thanks, from an address of its own."""
    headers = {"X-Forwarded-For": str(IPv4Address(FIRST_ADDRESS + number % ADDRESSES))}
    token = ""

    def get(kind: str, path: str) -> None:
        nonlocal token
        with tally.timing(kind):
            answer = client.get(path, headers=headers)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path}: {answer.status_code}")
        found = CSRF_TOKEN.search(answer.get_data(as_text=True))
        token = found.group(1) if found else token

    def post(kind: str, path: str, data: list[tuple[str, str]]) -> str:
        form = MultiDict([("csrf_token", token), *data])
        with tally.timing(kind):
            answer = client.post(path, data=form, headers=headers)
        if answer.status_code != 302:
            raise SystemExit(f"POST {path}: {answer.status_code}")
        return str(answer.headers["Location"])

    get("welcome", f"/s/{SLUG}")
    landing = post("start", f"/s/{SLUG}/start", [("consent", "yes")])
    get("section", landing)
    while (section := SECTION_PATH.search(landing)) is not None:
        landing = post("save", landing, form_of(MEMBER_ANSWERS[section.group(1)]))
        get("section" if SECTION_PATH.search(landing) else "review", landing)
    landing = post("submit", f"/s/{SLUG}/submit", [])
    get("thanks", landing)


def instructions(switch: str) -> None:
    """Under callgrind (--instructions), switch its counting on or off for this process. The
    control program is answered while this process runs, so it is waited for busily."""
    if not os.environ.get("JOURNEY_COST_CALLGRIND"):
        return
    control = subprocess.Popen(
        ["callgrind_control", "--instr=" + switch, str(os.getpid())], stdout=subprocess.DEVNULL
    )
    while control.poll() is None:
        sum(range(1000))


def measure(run: Callable[[int], None], count: int) -> float:
    """CPU seconds of `count` runs, instructions counted around them under callgrind."""
    instructions("on")
    began = time.thread_time()
    for number in range(count):
        run(number)
    spent = time.thread_time() - began
    instructions("off")
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL database to empty and use")
    parser.add_argument("--journeys", type=int, default=40)
    parser.add_argument("--instructions", action="store_true", help="count them (callgrind)")
    parser.add_argument("--hello", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.instructions:
        return under_callgrind(options)
    with tempfile.TemporaryDirectory(prefix="journey-cost-") as name:
        folder = Path(name)
        found = databases(folder, options.database_url)
        url = found.get("postgresql", found["sqlite"])
        (folder / "sqlite").mkdir()
        env = survey_env(folder, url)
        subprocess.run([SURVEY, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        os.environ.update(env)
        floor_url = floor_database(url, folder)
        create_floor_table(floor_url)
        return run_journeys(options, "postgresql" if "postgresql" in found else "sqlite", floor_url)


def floor_saves(floor_url: str) -> Callable[[int], None]:
    """A floor's respondent, its page shown: each call one save (POST, then the GET)."""
    client = floor_app(floor_url, "k" * 64).test_client()
    token = ""

    def page() -> None:
        nonlocal token
        shown = client.get(FLOOR_PATH)
        found = CSRF_TOKEN.search(shown.get_data(as_text=True))
        if shown.status_code != 200 or found is None:
            raise SystemExit(f"GET {FLOOR_PATH}: {shown.status_code}")
        token = found.group(1)

    def save(number: int) -> None:
        saved = client.post(FLOOR_PATH, data={"csrf_token": token, "answer": str(number)})
        if saved.status_code != 302:
            raise SystemExit(f"POST {FLOOR_PATH}: {saved.status_code}")
        page()

    page()
    for number in range(100):  # warm-up
        save(number)
    return save


def run_journeys(options: argparse.Namespace, database: str, floor_url: str) -> int:
    from survey import create_app

    tally = Tally()
    counting = bool(os.environ.get("JOURNEY_COST_CALLGRIND"))
    if not counting:  # its listeners would add instructions of their own
        count_statements(tally)
    app, hello = create_app(), hello_app()
    hello_client = hello.test_client()
    for _ in range(200):
        hello_client.get("/hello")
    if options.hello:  # under callgrind: hello's instructions, in a run of their own
        measure(lambda _number: hello_client.get("/hello"), HELLOS)
        return 0
    if options.floor:  # and the floor's
        measure(floor_saves(floor_url), FLOOR_SAVES)
        return 0
    for number in range(WARM_UP_JOURNEYS):
        journey(app.test_client(), 10_000 + number, tally)
    hello_cpu = floor_cpu = 1.0
    if not counting:  # under callgrind, hello and the floor are counted in runs of their own
        hello_cpu = measure(lambda _number: hello_client.get("/hello"), HELLOS) / HELLOS
        floor_cpu = measure(floor_saves(floor_url), FLOOR_SAVES) / (2 * FLOOR_SAVES)
    tally.reset()  # the journeys' statements only
    spent = measure(lambda number: journey(app.test_client(), number, tally), options.journeys)
    requests = sum(tally.requests.values())
    print(f"{database}: {options.journeys} journeys of {requests // options.journeys} requests")
    if counting:  # valgrind's times mean nothing
        print(f"requests={requests}")
        return 0
    print("  kind      per journey   CPU µs   statements   ÷ hello")
    for kind in KINDS:
        done = tally.requests[kind]
        cpu = tally.cpu[kind] / done
        print(
            f"  {kind:8s} {done / options.journeys:12.1f} {cpu * 1e6:8.0f} "
            f"{tally.statements[kind] / done:12.1f} {cpu / hello_cpu:9.1f}"
        )
    average = spent / requests
    print(
        f"  a request on average {average * 1e6:.0f} µs; hello {hello_cpu * 1e6:.0f} µs; "
        f"the floor's {floor_cpu * 1e6:.0f} µs"
    )
    print(
        f"ratios: request_vs_hello={average / hello_cpu:.1f} "
        f"request_vs_floor={average / floor_cpu:.2f}"
    )
    return 0


def under_callgrind(options: argparse.Namespace) -> int:
    """This script again under callgrind, for the journeys, then hello, then the floor:
    instructions a request of each, and their ratios."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    counted: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="journey-cost-callgrind-") as name:
        for what in ("journeys", "hello", "floor"):
            out = Path(name) / f"{what}.out"
            command = [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--journeys",
                str(options.journeys),
                *(["--database-url", options.database_url] if options.database_url else []),
                *([f"--{what}"] if what != "journeys" else []),
            ]
            env = {**os.environ, "JOURNEY_COST_CALLGRIND": "1", "PYTHONHASHSEED": "0"}
            ran = subprocess.run(command, env=env, capture_output=True, text=True)
            if ran.returncode != 0:
                raise SystemExit(f"callgrind's run failed:\n{ran.stderr[-3000:]}")
            per = HELLOS if what == "hello" else 2 * FLOOR_SAVES
            if what == "journeys":
                shown, _, requests = ran.stdout.rpartition("requests=")
                print(shown, end="")
                per = int(requests)
            totals = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
            if totals is None:
                raise SystemExit("callgrind counted nothing: is callgrind_control installed?")
            counted[what] = int(totals.group(1)) / per
    print(
        f"instructions a request: {counted['journeys'] / 1e6:.2f} million; "
        f"hello {counted['hello'] / 1e6:.3f} million; the floor's {counted['floor'] / 1e6:.2f} "
        "million"
    )
    print(
        f"ratios: request_vs_hello={counted['journeys'] / counted['hello']:.1f} "
        f"request_vs_floor={counted['journeys'] / counted['floor']:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
