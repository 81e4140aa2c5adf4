"""How fast do respondents get through a survey over HTTP? Against a bare Flask "hello" app.

    .venv/bin/python benchmarks/respond_bench.py [--database-url URL] [--duration 10]

Runs the real server the way an operator does: `survey init` on a fresh instance folder, then
`survey serve --workers 2` (gunicorn, gthread, its 2 threads a worker), on a temporary SQLite file
and, with --database-url, on that PostgreSQL database too (emptied first: every table in it is
dropped). As a baseline, a bare Flask app answering "hello" is served by the same gunicorn
settings (survey.serving). A load generator in this process (asyncio, aiohttp) then plays
respondents, 8 and then 32 at a time for --duration seconds each: every one has its own cookie
jar and does the whole journey as a browser does it, redirects followed one by one: the welcome
page (its CSRF token read from the form), start with consent, each section's answers posted
(tests/respondent.py's MEMBER_ANSWERS: all seven sections apply), the review, the submit.

The server runs as behind one reverse proxy (SURVEY_TRUSTED_PROXIES=1), and each simulated
respondent comes from an address of its own in X-Forwarded-For (from 198.18.0.0/15, the range
set aside for benchmarks), as a real deployment sees them: the per-address limits on starts and
first saves (survey/respond/blueprint.py) apply, and no respondent comes near them.

Right after the survey, at each level, the same load plays respondents of the stack's floor
(benchmarks/floor_app.py, served the same way, on the same database): a page of one question
built as a respondent page is (Flask's signed cookie, the CSRF token, the app's database layer
reading one row a page and writing one a save, a Jinja template), with nothing of the survey in
it. Hello is the limit of the web server and Flask; the floor, the limit of any page of the
stack; the survey's figures are printed beside both.

Prints, per database and number of respondents at once (each run between two runs of "hello"
at that level, whose figures are taken together: on a shared machine whose speed drifts within
the minute, the survey is compared with hello at the same moment on average): completed
responses and requests per second, p50/p99 of each kind of step (welcome;
start = POST + redirect + first section; section = a section page's GET; save = POST + redirect
+ the next page's GET; review; submit = POST + redirect + thanks) beside hello's, and the
floor's saves; then the floor's save_vs_hello and p99 at 32 at a time; last, for scripts:

    ratios: save_vs_hello=<save round trips/s / hello requests/s> p99_ms=<p99 of a save>

both at 32 at a time and, when run on two databases, the worse of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import aiohttp
from flask import Flask
from sqlalchemy import MetaData, create_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from floor_app import PATH as FLOOR_PATH  # noqa: E402
from floor_app import create_floor_table, floor_app, floor_database  # noqa: E402

from survey.serving import Server, gunicorn_settings  # noqa: E402
from tests.respondent import MEMBER_ANSWERS  # noqa: E402

SLUG = "we-own-it"
SURVEY = str(Path(sys.executable).parent / "survey")  # the package's console script
HOST = "127.0.0.1"
WORKERS = 2
LEVELS = (8, 32)
KINDS = ("welcome", "start", "section", "save", "review", "submit")
WARM_UP_SECONDS = 2.0
READY_SECONDS = 60.0
# 198.18.0.0/15 (RFC 2544): addresses set aside for benchmarks, one per simulated respondent.
FIRST_ADDRESS = int(IPv4Address("198.18.0.1"))
ADDRESSES = 2**17 - 2
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SECTION_PATH = re.compile(rf"/s/{SLUG}/p/(\w+)$")


class JourneyFailed(Exception):
    """The server answered a step of a journey with something a browser would not go on from."""


@dataclass
class Samples:
    """What a load run measured: seconds per kind of step, requests, finished journeys."""

    seconds: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    requests: int = 0
    journeys: int = 0
    window: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the server's processes spent in the window
    database_cpu: float = 0.0  # and this machine's PostgreSQL processes


# -- servers -----------------------------------------------------------------------------------


def hello_app() -> Flask:
    app = Flask("hello")
    app.add_url_rule("/hello", "hello", lambda: "hello")
    return app


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until `url` answers 200 (bounded); the server's log shown if it stops or never does."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server at {url} did not start:\n{log.read_text()[-3000:]}")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user and system) used so far by process `pid` and its living children
    (gunicorn's workers)."""
    return processes_cpu(lambda own, parent, _name: pid in (own, parent))


def database_cpu() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (the server and a backend
    per connection, all named "postgres"). A backend that ends within a run is left out (Linux
    then adds its time to its parent's children's): the app's pooled connections live through
    a run."""
    return processes_cpu(lambda _own, _parent, name: name == "postgres")


def processes_cpu(chosen: Callable[[int, int, str], bool]) -> float:
    """CPU seconds (user and system) used so far by the living processes `chosen` picks by
    their id, their parent's and their name."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:  # gone meanwhile
            continue
        fields = tail.split()
        if chosen(int(stat.parent.name), int(fields[1]), head.split("(", 1)[1]):
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Served:
    base: str  # its URL
    pid: int


@contextmanager
def serving(command: list[str], env: dict[str, str], log: Path, probe: str) -> Iterator[Served]:
    """Run a server (its output to `log`) until the block ends."""
    with socket.socket() as free:  # a free port
        free.bind((HOST, 0))
        port = int(free.getsockname()[1])
    base = f"http://{HOST}:{port}"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_ready(base + probe, process, log)
        yield Served(base, process.pid)
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def survey_env(folder: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SURVEY_INSTANCE_PATH": str(folder / "instance"),
        "SURVEY_EXPORTS_PATH": str(folder / "exports"),
        "SURVEY_DATABASE_URL": database_url,
        # In-process limit counters (nothing to reach over the network); one proxy in front.
        "SURVEY_RATELIMIT_STORAGE_URL": "memory://",
        "SURVEY_TRUSTED_PROXIES": "1",
        "SURVEY_SECURE_COOKIES": "0",
    }


# -- respondents -------------------------------------------------------------------------------


class Browser:
    """One respondent: a cookie jar, an address, and the last CSRF token it was given."""

    def __init__(self, http: aiohttp.ClientSession, base: str, forwarded_for: str):
        self.http, self.base = http, base
        self.headers = {"X-Forwarded-For": forwarded_for}
        self.token = ""
        self.requests = 0

    async def get(self, path: str) -> str:
        async with self.http.get(self.base + path, headers=self.headers) as answer:
            page = await answer.text()
            self.requests += 1
            if answer.status != 200:
                raise JourneyFailed(f"GET {path}: {answer.status}")
        found = CSRF_TOKEN.search(page)
        self.token = found.group(1) if found else self.token
        return page

    async def post(self, path: str, data: list[tuple[str, str]]) -> str:
        """POST a form; the path it redirects to (a browser then GETs it)."""
        form = [("csrf_token", self.token), *data]
        async with self.http.post(
            self.base + path, data=form, headers=self.headers, allow_redirects=False
        ) as answer:
            page = await answer.text()
            self.requests += 1
            if answer.status != 302:
                raise JourneyFailed(f"POST {path}: {answer.status} {page[:2000]}")
            return answer.headers["Location"].removeprefix(self.base)


def form_of(answers: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (name, item)
        for name, value in answers.items()
        for item in (value if isinstance(value, list) else [value])
    ]


async def timed(samples: Samples, kind: str, step: Awaitable[Any]) -> Any:
    began = time.perf_counter()
    result = await step
    samples.seconds[kind].append(time.perf_counter() - began)
    return result


async def round_trip(
    browser: Browser, samples: Samples, kind: str, path: str, data: list[tuple[str, str]]
) -> str:
    """POST, then GET where it redirects: timed as `kind`, the GET also as its own page kind."""
    began = time.perf_counter()
    landing = await browser.post(path, data)
    leg = (
        "section"
        if SECTION_PATH.search(landing)
        else "review"
        if landing.endswith("/review")
        else ""
    )
    await (timed(samples, leg, browser.get(landing)) if leg else browser.get(landing))
    samples.seconds[kind].append(time.perf_counter() - began)
    return landing


async def journey(browser: Browser, samples: Samples) -> None:
    """Welcome, start, every section, review, submit: one completed response."""
    await timed(samples, "welcome", browser.get(f"/s/{SLUG}"))
    landing = await round_trip(browser, samples, "start", f"/s/{SLUG}/start", [("consent", "yes")])
    for _ in range(len(MEMBER_ANSWERS)):
        section = SECTION_PATH.search(landing)
        if section is None:
            break
        answers = form_of(MEMBER_ANSWERS[section.group(1)])
        landing = await round_trip(browser, samples, "save", landing, answers)
    if not landing.endswith("/review"):
        raise JourneyFailed(f"the last section led to {landing}, not the review")
    thanks = await round_trip(browser, samples, "submit", f"/s/{SLUG}/submit", [])
    if not thanks.endswith("/thanks"):
        raise JourneyFailed(f"the submit led to {thanks}, not the thanks page")
    samples.journeys += 1


async def respondents(
    connector: aiohttp.BaseConnector, base: str, samples: Samples, numbers: Iterator[int]
) -> None:
    """Journeys one after another, each by a new browser, until cancelled."""
    while True:
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: accept cookies from an IP address
        async with aiohttp.ClientSession(
            connector=connector, connector_owner=False, cookie_jar=jar
        ) as http:
            forwarded_for = IPv4Address(FIRST_ADDRESS + next(numbers) % ADDRESSES)
            browser = Browser(http, base, str(forwarded_for))
            try:
                await journey(browser, samples)
            finally:
                samples.requests += browser.requests


async def hello_client(connector: aiohttp.BaseConnector, base: str, samples: Samples) -> None:
    async with aiohttp.ClientSession(connector=connector, connector_owner=False) as http:
        while True:
            began = time.perf_counter()
            async with http.get(base + "/hello") as answer:
                await answer.read()
                if answer.status != 200:
                    raise JourneyFailed(f"GET /hello: {answer.status}")
            samples.seconds["hello"].append(time.perf_counter() - began)
            samples.requests += 1


async def floor_client(connector: aiohttp.BaseConnector, base: str, samples: Samples) -> None:
    """One respondent of the floor's page (benchmarks/floor_app.py): its page, then saves one
    after another (POST, and the GET of the page it redirects to), with its own cookie jar."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(
        connector=connector, connector_owner=False, cookie_jar=jar
    ) as http:
        browser = Browser(http, base, "")
        browser.headers = {}
        try:
            await browser.get(FLOOR_PATH)
            for number in itertools.count():
                await round_trip(browser, samples, "save", FLOOR_PATH, [("answer", str(number))])
        finally:
            samples.requests += browser.requests


async def load(
    concurrency: int,
    seconds: float,
    client: Callable[[aiohttp.BaseConnector, Samples], Any],
    server: int,
) -> Samples:
    """Run `concurrency` clients for `seconds` against the server of process `server`; what
    completed in that window."""
    samples = Samples()
    connector = aiohttp.TCPConnector(limit=concurrency)
    database = database_cpu()  # read before the window opens, as the server's is
    cpu, server_cpu, began = time.process_time(), tree_cpu(server), time.perf_counter()
    tasks = [asyncio.ensure_future(client(connector, samples)) for _ in range(concurrency)]
    done, _pending = await asyncio.wait(tasks, timeout=seconds)
    samples.window = time.perf_counter() - began
    samples.client_cpu = (time.process_time() - cpu) / samples.window
    samples.server_cpu = tree_cpu(server) - server_cpu
    samples.database_cpu = database_cpu() - database
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await connector.close()
    for task in done:
        task.result()  # a failed journey stops the benchmark, with its reason
    return samples


# -- figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    count: int
    per_second: float
    p50_ms: float
    p99_ms: float


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (seconds), in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1] * 1000


def figures(samples: Samples, kind: str) -> Figures:
    values = samples.seconds[kind]
    count = len(values)
    return Figures(count, count / samples.window, percentile(values, 0.5), percentile(values, 0.99))


def server_ms(samples: Samples) -> float:
    """The server's CPU milliseconds per request answered (the load of other programs
    changes it far less than requests per second)."""
    return 1000 * samples.server_cpu / max(samples.requests, 1)


def print_round(level: int, measured: Round, database: str) -> None:
    hello, samples = figures(measured.hello, "hello"), measured.survey
    per_second = samples.requests / samples.window
    # On the same processors as the server: what PostgreSQL spends, the server cannot.
    beside = ""
    if database == "postgresql":
        per_request = 1000 * samples.database_cpu / max(samples.requests, 1)
        beside = f", PostgreSQL's processes here {per_request:.2f} ms/request"
    print(
        f"  {level:2d} at a time: {samples.journeys / samples.window:6.1f} responses/s, "
        f"{per_second:7.1f} req/s = {per_second / hello.per_second:.3f} x hello "
        f"(server CPU {server_ms(samples):.2f} ms/request{beside}, load generator CPU "
        f"{samples.client_cpu:.0%}); hello {hello.per_second:.1f} req/s "
        f"({figures(measured.hello_before, 'hello').per_second:.0f} before, "
        f"{figures(measured.hello_after, 'hello').per_second:.0f} after), "
        f"p50 {hello.p50_ms:.1f} ms, p99 {hello.p99_ms:.1f} ms "
        f"(server CPU {server_ms(measured.hello):.2f} ms/request, load generator CPU "
        f"{measured.hello.client_cpu:.0%})"
    )
    print("    kind       count    per s   p50 ms   p99 ms   per s / hello   p99 / hello")
    for kind in KINDS:
        step = figures(samples, kind)
        print(
            f"    {kind:8s} {step.count:7d} {step.per_second:8.1f} {step.p50_ms:8.1f} "
            f"{step.p99_ms:8.1f} {step.per_second / hello.per_second:15.3f} "
            f"{step.p99_ms / hello.p99_ms:13.1f}"
        )
    floor, survey_save = figures(measured.floor, "save"), figures(samples, "save")
    floor_per_second = measured.floor.requests / measured.floor.window
    print(
        f"    floor (one question, one row read a page and written a save): "
        f"{floor_per_second:.1f} req/s (server CPU {server_ms(measured.floor):.2f} ms/request), "
        f"{floor.per_second:.1f} saves/s = {floor.per_second / hello.per_second:.3f} x hello, "
        f"save p50 {floor.p50_ms:.1f} ms, p99 {floor.p99_ms:.1f} ms; the survey's saves/s "
        f"= {survey_save.per_second / floor.per_second:.2f} x the floor's"
    )


# -- runs --------------------------------------------------------------------------------------

Client = Callable[[aiohttp.BaseConnector, Samples], Any]


@dataclass(frozen=True)
class Round:
    """One level: "hello", the survey, then "hello" again. On a shared machine the load of
    other programs changes by the minute: each ratio compares runs seconds apart, and hello's
    two runs taken together (`hello`) stand for the machine while the survey ran."""

    hello_before: Samples
    survey: Samples
    floor: Samples  # benchmarks/floor_app.py, right after the survey
    hello_after: Samples

    @property
    def hello(self) -> Samples:
        return merged(self.hello_before, self.hello_after)


def merged(first: Samples, second: Samples) -> Samples:
    """Two runs of one client as one: their steps, requests, windows and CPU together."""
    both = Samples()
    for samples in (first, second):
        for kind, values in samples.seconds.items():
            both.seconds[kind].extend(values)
        both.requests += samples.requests
        both.journeys += samples.journeys
        both.window += samples.window
        both.server_cpu += samples.server_cpu
        both.database_cpu += samples.database_cpu
    both.client_cpu = (first.client_cpu * first.window + second.client_cpu * second.window) / max(
        both.window, 1e-9
    )
    return both


def measure(
    hello: Client, survey: Client, floor: Client, seconds: float, servers: tuple[int, int, int]
) -> dict[int, Round]:
    """A short warm-up of each (every worker loads its caches), then each level; `servers`
    are the processes of hello's server, the survey's and the floor's."""
    for client, server in zip((hello, survey, floor), servers, strict=True):
        asyncio.run(load(WORKERS * 2, WARM_UP_SECONDS, client, server))
    return {
        level: Round(
            asyncio.run(load(level, seconds, hello, servers[0])),
            asyncio.run(load(level, seconds, survey, servers[1])),
            asyncio.run(load(level, seconds, floor, servers[2])),
            asyncio.run(load(level, seconds, hello, servers[0])),
        )
        for level in LEVELS
    }


def measure_survey(
    folder: Path, database_url: str, seconds: float, hello: Served, numbers: Iterator[int]
) -> dict[int, Round]:
    env = survey_env(folder, database_url)
    log = folder / "survey.log"
    subprocess.run([SURVEY, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    command = [SURVEY, "serve", "--host", HOST, "--workers", str(WORKERS)]
    floor_url = floor_database(database_url, folder)
    create_floor_table(floor_url)
    floor_command = [sys.executable, __file__, "--serve-floor", floor_url]
    with (
        serving(command, env, log, "/healthz") as served,
        serving(floor_command, dict(os.environ), folder / "floor.log", FLOOR_PATH) as floor,
    ):
        return measure(
            lambda connector, samples: hello_client(connector, hello.base, samples),
            lambda connector, samples: respondents(connector, served.base, samples, numbers),
            lambda connector, samples: floor_client(connector, floor.base, samples),
            seconds,
            (hello.pid, served.pid, floor.pid),
        )


def save_ratios(
    results: dict[str, dict[int, Round]], *, floor: bool = False
) -> tuple[float, float]:
    """(save round trips/s / hello req/s, p99 of a save in ms) at the top level, the worse: of
    the survey, or with `floor` of the floor's page."""
    rounds = [by_level[LEVELS[-1]] for by_level in results.values()]
    saves = [item.floor if floor else item.survey for item in rounds]
    ratios = [
        figures(samples, "save").per_second / figures(item.hello, "hello").per_second
        for samples, item in zip(saves, rounds, strict=True)
    ]
    return min(ratios), max(figures(samples, "save").p99_ms for samples in saves)


def databases(folder: Path, given: str | None) -> dict[str, str]:
    """SQLite in `folder`, and the database given (emptied first), by their dialect names."""
    found = {"sqlite": f"sqlite:///{folder / 'sqlite' / 'survey.db'}"}
    if given:
        engine = create_engine(given)
        tables = MetaData()
        tables.reflect(engine)
        tables.drop_all(engine)  # every table of it
        engine.dispose()
        found[engine.dialect.name] = given
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL database to empty and use too")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per level")
    parser.add_argument("--serve-hello", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-floor", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_hello:
        Server(gunicorn_settings(HOST, options.port, WORKERS), hello_app).run()
        return 0
    if options.serve_floor:
        url, key = options.serve_floor, secrets.token_hex(32)  # one key for every worker
        Server(gunicorn_settings(HOST, options.port, WORKERS), lambda: floor_app(url, key)).run()
        return 0
    numbers = itertools.count()
    results: dict[str, dict[int, Round]] = {}
    with tempfile.TemporaryDirectory(prefix="respond-bench-") as name:
        folder = Path(name)
        hello_command = [sys.executable, __file__, "--serve-hello"]
        with serving(hello_command, dict(os.environ), folder / "hello.log", "/hello") as hello:
            for database, url in databases(folder, options.database_url).items():
                results[database] = measure_survey(
                    folder / database, url, options.duration, hello, numbers
                )
                print(
                    f"{database}: survey serve; hello (same gunicorn settings) before and after it"
                )
                for level, measured in results[database].items():
                    print_round(level, measured, database)
    floor_vs_hello, floor_p99_ms = save_ratios(results, floor=True)
    print(
        f"the floor at {LEVELS[-1]} at a time, the worse database: "
        f"save_vs_hello={floor_vs_hello:.3f} p99_ms={floor_p99_ms:.1f}"
    )
    save_vs_hello, p99_ms = save_ratios(results)
    print(f"ratios: save_vs_hello={save_vs_hello:.3f} p99_ms={p99_ms:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
