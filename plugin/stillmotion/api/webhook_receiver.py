"""A small webhook receiver on 127.0.0.1: verifies each POST and hands video events on.

Why stdlib ``http.server`` in a thread: the receiver needs no framework (FastAPI stays in
``server/``), starts in milliseconds, and binds to loopback only; a tunnel or reverse proxy
exposes it when a remote service must reach it.

Answers: 200 for a genuine event (``video.completed``/``video.failed`` handed to the callback,
others acknowledged and ignored); 400 for a malformed request; 401 for a bad signature or a
timestamp outside the tolerance; 413 for a body over the cap; 500 when the callback failed (the
id is forgotten so the sender's retry is accepted). A *replayed* ``webhook-id`` is refused by the
verifier and never handed on twice, but answered 200 ``{"status": "duplicate"}``: senders retry
a delivery whose acknowledgement was lost, and a 4xx would make them keep retrying an event we
already have.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from stillmotion.api.webhooks import VIDEO_EVENTS, WebhookEvent, WebhookVerifier
from stillmotion.errors import ConfigError, WebhookError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_BODY_BYTES = 1024 * 1024

EventHandler = Callable[[WebhookEvent], None]


class _Server(ThreadingHTTPServer):
    # Handler threads are joined by server_close(), so stopping right after the last event
    # still lets its reply reach the sender (a daemon thread would be cut off mid-answer).
    daemon_threads = False
    block_on_close = True

    def __init__(self, port: int, receiver: WebhookReceiver) -> None:
        super().__init__((HOST, port), _Handler)
        self.receiver = receiver


class _Handler(BaseHTTPRequestHandler):
    server_version = "stillmotion-webhooks"
    timeout = 10  # a stalled sender cannot hold stop() (which joins handler threads) for ever

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("webhook receiver: " + format, *args)

    def _answer(self, status: int, payload: dict[str, str]) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(405, {"error": "POST webhook events here"})

    def do_POST(self) -> None:
        receiver = cast(_Server, self.server).receiver
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._answer(400, {"error": "Content-Length is required"})
            return
        if length < 0 or length > receiver.max_body:
            self.close_connection = True
            self._answer(413, {"error": "body too large"})
            return
        body = self.rfile.read(length)
        status, payload = receiver.handle(body, dict(self.headers.items()))
        self._answer(status, payload)


class WebhookReceiver:
    """Listens on 127.0.0.1:``port`` (0 picks a free port) until :meth:`stop`.

    ``on_event`` runs on the request's thread; make it quick and thread-safe (e.g. put the
    event on a queue).
    """

    def __init__(
        self,
        verifier: WebhookVerifier,
        on_event: EventHandler,
        *,
        port: int = 0,
        events: Iterable[str] = VIDEO_EVENTS,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self._verifier = verifier
        self._on_event = on_event
        self._requested_port = port
        self._events = frozenset(events)
        self.max_body = max_body
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._server is None:
            raise ConfigError("The webhook receiver is not started; start it first.")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The address to give the sender."""
        return f"http://{HOST}:{self.port}/"

    def start(self) -> None:
        """Bind and serve on a background thread."""
        try:
            self._server = _Server(self._requested_port, self)
        except OSError as exc:
            raise ConfigError(f"Cannot listen on {HOST}:{self._requested_port} "
                              f"({exc.strerror}); choose another port.") from None
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="stillmotion-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> WebhookReceiver:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def handle(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        """Verify one request and deliver it; returns the HTTP status and JSON answer."""
        try:
            event = self._verifier.verify(body, headers)
        except WebhookError as exc:
            log.info("webhook refused: %s", exc.message)
            if exc.reason == "replay":
                return 200, {"status": "duplicate"}
            return (400 if exc.reason == "malformed" else 401), {"error": exc.message}
        if event.type not in self._events:
            return 200, {"status": "ignored"}
        try:
            self._on_event(event)
        except Exception:
            log.exception("webhook handler failed for %s", event.id)
            self._verifier.forget(_webhook_id(headers))
            return 500, {"error": "handler failed; retry later"}
        return 200, {"status": "accepted"}


def _webhook_id(headers: dict[str, str]) -> str:
    for key, value in headers.items():
        if key.lower() == "webhook-id":
            return value.strip()
    return ""
