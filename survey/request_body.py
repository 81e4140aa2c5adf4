"""Request bodies held to MAX_CONTENT_LENGTH, whether they declare their length or not."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from typing import IO

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property

READ_SIZE = 65_536


def chunks_of(stream: IO[bytes], at_most: int) -> Iterator[bytes]:
    """What `stream` holds, in pieces, until it ends or `at_most` bytes have been read."""
    left = at_most
    while left > 0:
        chunk = stream.read(min(left, READ_SIZE))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk


class SurveyRequest(Request):
    """Flask's request, with a body sent without a length (chunked) refused with 413 once it is
    read and found over the limit, as a body that declares a length over it is."""

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body, read whole up front when it came without a length (only a server that
        says where such a body ends, as gunicorn does, passes it on)."""
        limit = self.max_content_length
        if (
            limit is None
            or self.content_length is not None
            or "wsgi.input_terminated" not in self.environ
        ):
            return super().stream
        # Werkzeug's own stream for such a body stops at the limit, and raises only when read
        # again after it: read whole, as a form or get_data() reads it, it ended there silently
        # and the fields before the cut were saved. One byte over the limit says it is over.
        body = b"".join(chunks_of(self.environ["wsgi.input"], limit + 1))
        if len(body) > limit:
            raise RequestEntityTooLarge()
        return BytesIO(body)
