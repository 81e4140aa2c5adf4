"""`survey serve`: a worker answers as many requests at once as it has threads (`--threads`,
2 by default), so one request that is slow to arrive does not hold up the others."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import console


def _answers_beside_a_request_still_arriving(tmp_path: Path, options: tuple[str, ...]) -> bool:
    """Whether /healthz is answered within a second while another connection has sent only
    part of its request (a worker's thread waits for the rest of it)."""
    env = console.environment(tmp_path)
    initialised = console.run("init", env=env, cwd=tmp_path)
    assert initialised.returncode == 0, initialised.stderr
    with console.serving(env, tmp_path, options=("--workers", "1", *options)) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no end of headers
            time.sleep(0.3)  # the worker hands it to a thread, which waits for the rest
            try:
                return console.get(port, "/healthz", timeout=1)[0] == 200
            except TimeoutError:
                return False


@pytest.mark.slow
def test_by_default_a_worker_answers_while_another_request_is_still_arriving(tmp_path: Path):
    assert _answers_beside_a_request_still_arriving(tmp_path, ())


@pytest.mark.slow
def test_a_worker_of_one_thread_answers_one_request_at_a_time(tmp_path: Path):
    assert not _answers_beside_a_request_still_arriving(tmp_path, ("--threads", "1"))


def test_a_server_process_starts_without_the_heavy_libraries(tmp_path):
    """Every worker and command builds the app: numpy, pandas, pyarrow, pyxform and segno are
    loaded only where an export, an XLSForm or a QR code is made (each costs memory in every
    process and time at every start)."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from survey import create_app\n"
        "from survey.settings import Settings\n"
        f"folder = Path({str(tmp_path)!r})\n"
        "create_app(Settings.for_folder(folder, f'sqlite:///{folder / \"s.db\"}', 'k'))\n"
        "heavy = {'numpy', 'pandas', 'pyarrow', 'pyxform', 'segno', 'openpyxl', 'pyreadstat'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"


def test_serve_refuses_a_port_another_server_listens_on(tmp_path: Path):
    """The workers listen on sockets of their own that share the port (SO_REUSEPORT): a second
    `survey serve` on that port must not start and quietly take half the connections."""
    env = console.environment(tmp_path)
    assert console.run("init", env=env, cwd=tmp_path).returncode == 0
    with console.serving(env, tmp_path, options=("--workers", "2")) as port:
        second = console.run("serve", "--port", str(port), env=env, cwd=tmp_path, timeout=30)
        assert second.returncode != 0
        assert f"127.0.0.1:{port} is in use" in second.stderr
        assert console.get(port, "/healthz")[0] == 200  # the first goes on


def test_serve_refuses_a_port_another_program_listens_on(tmp_path: Path):
    env = console.environment(tmp_path)
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        refused = console.run("serve", "--port", str(port), env=env, cwd=tmp_path, timeout=30)
    assert refused.returncode != 0
    assert "is in use" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("nosuchhost.invalid", "no address found for nosuchhost.invalid"),
        ("192.0.2.1", "cannot listen on 192.0.2.1:"),  # an address kept for documentation
    ],
)
def test_serve_on_an_address_not_this_machines_says_so(tmp_path: Path, host: str, reason: str):
    """Not "in use": nothing else listens there, the address itself is wrong."""
    env = console.environment(tmp_path)
    refused = console.run("serve", "--host", host, "--port", "45678", env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"Error: cannot serve: {reason}"), refused.stderr
    assert refused.stderr.strip().endswith("give --host one of this machine's addresses")
    assert "in use" not in refused.stderr


def test_a_served_worker_compiles_its_templates_before_its_first_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Jinja compiles a template on first use: a worker that did it while answering made its
    first respondents wait. The app `survey serve` runs has them all compiled already."""
    from survey.cli.instance import _served_app

    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SURVEY_DATABASE_URL", f"sqlite:///{tmp_path / 'survey.db'}")
    # Leave the test run's own log handlers as they are.
    monkeypatch.setattr("survey.logs.redact_handlers", lambda *_loggers: None)
    app = _served_app()
    compiled = {name for _loader, name in app.jinja_env.cache}  # type: ignore[union-attr]
    pages = set(app.jinja_env.list_templates(extensions=("html",)))
    assert {"respond/section.html", "admin/dashboard.html"} <= pages
    assert pages <= compiled


@dataclass(frozen=True)
class _Served:
    """A `survey serve` started once for the tests below, with its own home and runtime
    folders and its error log in a file."""

    port: int
    log: Path
    home: Path
    runtime: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Served]:
    folder = tmp_path_factory.mktemp("served")
    env = console.environment(folder)
    home, runtime = folder / "home", folder / "runtime"
    home.mkdir()
    runtime.mkdir()
    assert console.run("init", env=env, cwd=folder).returncode == 0
    # gunicorn's default control socket is in the runtime folder when there is one, else in
    # ~/.gunicorn.
    where = {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    log = folder / "serve.log"
    with (
        log.open("wb") as written,
        console.serving({**env, **where}, folder, stderr=written) as port,
    ):
        yield _Served(port, log, home, runtime)


def test_serve_leaves_no_control_socket_behind_it(served: _Served):
    """gunicorn (25.1 and later) opens a control socket by default, in the user's runtime
    folder or in ~/.gunicorn, through which the server's workers can be changed and stopped.
    `survey serve` does not use it: one server on a machine must not leave a management
    socket in its user's home, nor a second server take over the first's."""
    assert console.get(served.port, "/healthz")[0] == 200
    left = sorted(str(path) for path in (*served.home.rglob("*"), *served.runtime.rglob("*")))
    assert left == []


def test_the_log_says_where_the_server_listens(served: _Served):
    """The workers open their own sockets, so gunicorn's own line named no address."""
    lines = [line for line in served.log.read_text().splitlines() if "Listening at:" in line]
    assert len(lines) == 1
    assert f"Listening at: 127.0.0.1:{served.port} (a socket for each worker)" in lines[0]
