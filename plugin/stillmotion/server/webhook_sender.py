"""Deliver ``video.completed`` / ``video.failed`` events, signed per Standard Webhooks.

Why its own threads: a slow or dead receiver must never hold up rendering, so the worker only
queues the event; deliveries retry with exponential backoff (same ``webhook-id`` on every
attempt, as the receiver's idempotency key; fresh timestamp and signature each time) and give
up quietly after the last attempt. Stdlib ``urllib`` keeps httpx inside ``api/``.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from stillmotion.api.webhooks import signed_headers

log = logging.getLogger(__name__)

TIMEOUT = 10.0


class WebhookSender:
    """Posts events to one URL on background threads; :meth:`close` abandons pending retries."""

    def __init__(self, url: str, secret: str, *, attempts: int = 4, backoff: float = 0.5) -> None:
        self._url = url
        self._secret = secret
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook")
        self._count_lock = threading.Lock()
        self.delivered = 0
        self.failed = 0

    def __repr__(self) -> str:
        return f"WebhookSender(url={self._url!r})"

    def send(self, event_type: str, video_id: str) -> str:
        """Queue one event about ``video_id``; returns its ``evt_`` id."""
        event_id = f"evt_{secrets.token_hex(16)}"
        body = json.dumps({"id": event_id, "object": "event", "created_at": int(time.time()),
                           "type": event_type, "data": {"id": video_id}}).encode("utf-8")
        if not self._stop.is_set():
            self._pool.submit(self._deliver, body, f"msg_{secrets.token_hex(12)}")
        return event_id

    def _deliver(self, body: bytes, webhook_id: str) -> None:
        for attempt in range(self._attempts):
            if self._stop.is_set():
                return
            headers = {"Content-Type": "application/json", "User-Agent": "stillmotion-serve",
                       **signed_headers(body, secret=self._secret, webhook_id=webhook_id)}
            request = urllib.request.Request(self._url, data=body, headers=headers,
                                             method="POST")
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                    if 200 <= answer.status < 300:
                        with self._count_lock:
                            self.delivered += 1
                        return
            except (urllib.error.URLError, OSError, ValueError) as exc:
                log.info("webhook %s attempt %d failed: %s", webhook_id, attempt + 1, exc)
            if self._stop.wait(self._backoff * 2 ** attempt):
                return
        with self._count_lock:
            self.failed += 1
        log.warning("webhook %s to %s given up after %d attempts", webhook_id, self._url,
                    self._attempts)

    def close(self) -> None:
        """Stop retrying and wait for deliveries in flight (each bounded by the timeout)."""
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
