"""How `survey serve` runs an app under gunicorn: its settings in one place, so whatever else
is served the same way (benchmarks/respond_bench.py's bare "hello" app) gets the same ones."""

from __future__ import annotations

import errno
import gc
import socket
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from survey.logs import RedactingLogger

# Each worker process answers this many requests at once, one thread each. More threads do not
# answer more: the request's work is Python's, one thread at a time per process, and threads
# that take turns cost each other time. On 2 cores (benchmarks/respond_bench.py, 2 workers, 32
# respondents at a time) 4 threads answered about 300 requests a second on SQLite, 2 threads
# about 370 and 1 about 410; on PostgreSQL 280, 290 and 310. Two, not one, so that a long
# download (an export, streamed from the database) leaves its worker a thread for the others.
THREADS = 2


def gunicorn_settings(host: str, port: int, workers: int, threads: int = THREADS) -> dict[str, Any]:
    """gunicorn's settings for serving on host:port with `workers` processes of `threads`."""
    return {
        # Resume codes, passwords and email addresses never reach a log line.
        "logger_class": RedactingLogger,
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,
        "accesslog": "-",
        # Keep IP addresses out of the access log: respondents' IPs are not stored.
        "access_log_format": '"%(r)s" %(s)s %(b)s %(L)ss',
        "limit_request_line": 8190,
        # Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new
        # connections over them. On one shared socket, whichever worker woke first took the
        # connection: kept-alive connections (a browser's, or a proxy's to the app) could all
        # land on one worker and leave the other cores idle. In one benchmark run out of three
        # at 32 respondents at a time, one worker of two answered everything (1.0 core busy,
        # 275 requests a second, against 1.6 cores and 480-500 in the others).
        "reuse_port": True,
        # No control socket (gunicorn 25.1 and later open one by default, in the user's runtime
        # folder or in ~/.gunicorn, to change or stop the workers): nothing here uses it, a
        # service should not leave a management socket in its user's home, and a second server
        # on the machine would take over the first's.
        "control_socket_disable": True,
    }


class Server(BaseApplication):
    """gunicorn serving the WSGI app that `load` makes (in each worker, after the fork)."""

    def __init__(self, settings: dict[str, Any], load: Callable[[], Any]):
        self._settings = settings
        self._load = load
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._settings.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        app = self._load()
        # What the app holds for its life (settings, routes, catalogs, templates) is left out of
        # the garbage collector's full passes, which otherwise walk all of it again and again.
        gc.freeze()
        return app


class PortInUse(Exception):
    """Something already listens on the address a server was to listen on."""


class CannotListen(Exception):
    """The address a server was to listen on is not this machine's, or not an address."""


def check_port_free(host: str, port: int) -> None:
    """Raise PortInUse if host:port is taken, CannotListen if this machine cannot listen
    there at all (an unknown name, another machine's address). The workers' own sockets share
    a port (see `reuse_port`), so a second server on the same port would otherwise start too
    and take half the connections: a plain bind, as a server without the option makes, is
    refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gunicorn binds: connections of an earlier run waiting out TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror as error:
            raise CannotListen(f"no address found for {host} ({error.strerror})") from error
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(f"{host}:{port} is in use ({error.strerror})") from error
            raise CannotListen(f"cannot listen on {host}:{port} ({error.strerror})") from error
