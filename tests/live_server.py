"""The app served over real HTTP by a threaded werkzeug server, for the browser's tests.

A browser drops connections mid-answer (it navigates away while a script still downloads).
Werkzeug's development server then fails in its own clean-up, reading the dropped socket,
before it closes the response's body: a static file was left open for the garbage collector,
whose ResourceWarning (an error under the suite's settings) failed whichever test ran then.
`ClosesBodies` closes every body itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from werkzeug.serving import make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

LOCAL_HOST = "127.0.0.1"


class ClosesBodies:
    """WSGI middleware: the app's response body is closed once it has been sent, or once the
    server gives up on it (the generator is closed then, by the server or when dropped)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self._sent(self.app(environ, start_response))

    @staticmethod
    def _sent(body: Iterable[bytes]) -> Iterator[bytes]:
        try:
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()


@contextmanager
def serving(app: WSGIApplication) -> Iterator[str]:
    """`app` served on a free port of 127.0.0.1 until the block ends; yields its base URL."""
    server = make_server(LOCAL_HOST, 0, ClosesBodies(app), threaded=True)
    # Polled often, so that shutting it down at the end of each test is quick (the default,
    # half a second, was a quarter of some browser tests).
    thread = threading.Thread(
        target=server.serve_forever, args=(0.02,), name="live-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
