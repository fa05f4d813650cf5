"""Let verified webhook events end a job's wait instead of the poll schedule.

Why: a service that pushes ``video.completed`` / ``video.failed`` knows first; polling on a
schedule costs requests and minutes. With a :class:`WebhookWake` the wait polls every
``fallback`` seconds (only a fallback for a lost event) and wakes as soon as an event names
the job; the poll that follows confirms the state, so the event itself
is never trusted to move a job. Tampered, stale and replayed events never get here (the
receiver's :class:`~stillmotion.api.webhooks.WebhookVerifier` refuses them), so they change
nothing.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from stillmotion.api.webhooks import WebhookEvent


class WebhookWake:
    """Per-job wake-ups from verified events; thread-safe (the receiver calls from its threads)."""

    def __init__(self, fallback: float) -> None:
        self.fallback = fallback
        self._flags: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.events: Counter[str] = Counter()
        """Verified events taken, by job (what a run reports, and tests count)."""

    def _flag(self, remote_id: str) -> threading.Event:
        with self._lock:
            return self._flags.setdefault(remote_id, threading.Event())

    def on_event(self, event: WebhookEvent) -> None:
        """The receiver's handler: wake the wait of the job the event names (an event that
        comes before the wait begins is kept, so the wait's first sleep returns at once)."""
        if event.video_id:
            with self._lock:
                self.events[event.video_id] += 1
            self._flag(event.video_id).set()

    def sleeper(self, remote_id: str) -> Callable[[float], None]:
        """A ``sleep`` for the wait of job ``remote_id`` that ends early when an event for the
        job arrives."""
        flag = self._flag(remote_id)

        def sleep(seconds: float) -> None:
            if flag.wait(seconds):
                flag.clear()

        return sleep
