"""Answers that break on purpose: the dropped or truncated download, the unanswered create.

Why raw ASGI: a normal response cannot lie about its length or stop half-way. Both answers
declare a Content-Length, send fewer bytes, and return without finishing the message, which
makes uvicorn close the connection, exactly what a client sees when a real download breaks.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

TRUNCATE_EXTRA = 4096
"""How many bytes more than it sends the truncated answer declares."""


class BrokenDownload(Response):
    """``mode`` ``drop``: half the body, then the connection closes; ``truncate``: the whole body
    under a Content-Length ``TRUNCATE_EXTRA`` bytes larger, then the connection closes."""

    def __init__(self, path: Path, media_type: str, mode: str) -> None:
        super().__init__(media_type=media_type)
        self._path = path
        self._mode = mode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        data = self._path.read_bytes()
        if self._mode == "drop":
            declared, body = len(data), data[: max(1, len(data) // 2)]
        else:
            declared, body = len(data) + TRUNCATE_EXTRA, data
        headers = [(b"content-type", (self.media_type or "").encode("latin-1")),
                   (b"content-length", str(declared).encode("ascii"))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": True})


class DroppedAnswer(Response):
    """The connection closes after the status line, before any body: a create whose answer
    never arrived (the client cannot know whether a job was made)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"2")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": True})
