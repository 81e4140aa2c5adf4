"""The browser tests' server (tests/live_server.py) closes what it sends, even when the client
drops the connection mid-answer, as a browser does when it navigates away during a download."""

from __future__ import annotations

import gc
import socket
import struct
import threading
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from tests.live_server import serving

STATIC = Path(__file__).resolve().parents[1] / "survey" / "static"
DROPS = 40


def dropped_download(url: str, wait: float) -> None:
    """Ask for the page script, then reset the connection (no FIN: an RST) after `wait`."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as client:
        client.sendall(b"GET /static/survey.js HTTP/1.1\r\nHost: test\r\n\r\n")
        time.sleep(wait)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_download_dropped_mid_answer_leaves_no_file_open() -> None:
    app = Flask(__name__, static_folder=STATIC)
    answering = threading.active_count()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with serving(app) as url:
            for attempt in range(DROPS):
                # Resets at different moments of the answer: before, during, after its writes.
                dropped_download(url, 0.0005 * (attempt % 10))
            deadline = time.monotonic() + 10
            while threading.active_count() > answering + 1 and time.monotonic() < deadline:
                time.sleep(0.01)  # the server's threads for those requests end
        gc.collect()
    left_open = [str(item.message) for item in caught if item.category is ResourceWarning]
    assert left_open == []
