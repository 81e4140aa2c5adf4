"""Ports for the servers the tests start: under the kernel's ephemeral range, in a slice of
their own per test process.

A port found by binding to port 0 comes from the ephemeral range, from which every outgoing
connection of the machine takes its local port too (a database connection, the browser's),
and which the other pytest-xdist process probes at the same moment. Between the probe and the
server's own bind someone else may take it, and the test then talks to another test's server
or to nothing. The ports handed out here lie under that range, in one slice per test process,
and one process never hands out the same port twice.
"""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

LOCAL_HOST = "127.0.0.1"
_FIRST = 20_000
_SLICE = 1_500
_SLICES = 8
_given: set[int] = set()


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default


def _slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    number = int(worker) % _SLICES if worker.isdigit() else 0
    start = _FIRST + number * _SLICE
    return range(start, start + _SLICE)


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((LOCAL_HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, for a server this test process starts."""
    ports = _slice()
    if ports.stop > _ephemeral_start():  # an unusual kernel setting: fall back on the kernel
        with socket.socket() as probe:
            probe.bind((LOCAL_HOST, 0))
            return int(probe.getsockname()[1])
    offset = random.randrange(len(ports))  # another run of the suite may be using the slice
    for index in range(len(ports)):
        port = ports[(offset + index) % len(ports)]
        if port not in _given and _bindable(port):
            _given.add(port)
            return port
    raise RuntimeError(f"no free port left in {ports.start}-{ports.stop - 1}")
