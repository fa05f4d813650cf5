"""The server's render worker: one queued job from ``in_progress`` to ``completed`` or ``failed``.

Why apart from :mod:`stillmotion.server.service`: the service validates and records requests;
this is what a pool thread does with a recorded job (simulated delay, injected failures, the
engine call with the job's stills, progress, webhooks), and it never raises. A shutdown caught
mid-render puts the job back to ``queued`` so a restart renders it again.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable

from stillmotion.errors import StillmotionError
from stillmotion.server.engine import Engine
from stillmotion.server.faults import FaultState
from stillmotion.server.options import ServerOptions
from stillmotion.server.store import COMPLETED, FAILED, IN_PROGRESS, QUEUED, JobRecord, Store
from stillmotion.server.webhook_sender import WebhookSender

log = logging.getLogger(__name__)

MODERATION_MESSAGE = ("Your request was blocked by our moderation system; change the prompt or "
                      "the reference image.")
DELAY_STEP = 0.05


class _Stopped(Exception):
    """Raised inside a render when the server shuts down; the job goes back to the queue."""


class RenderWorker:
    """Renders jobs of one service's store; :meth:`run` is what its pool threads call."""

    def __init__(self, *, store: Store, engine: Engine, faults: FaultState,
                 options: ServerOptions, webhooks: WebhookSender | None,
                 stopping: threading.Event, clock: Callable[[], float]) -> None:
        self.store = store
        self.engine = engine
        self.faults = faults
        self.options = options
        self.webhooks = webhooks
        self._stopping = stopping
        self._clock = clock

    def run(self, job_id: str) -> None:
        """Render one job on a pool thread; never raises."""
        if self._stopping.is_set():
            return
        record = self.store.update(job_id, status=IN_PROGRESS, progress=0)
        if record is None:
            return
        try:
            base = self._simulated_delay(job_id)
            if self.faults.moderated(record.prompt):
                self._fail(job_id, "moderation_blocked", MODERATION_MESSAGE)
                return
            if self.faults.take("fail_jobs"):
                self._fail(job_id, "internal_error", "The render failed on the server; try "
                           "again.")
                return
            self._render(record, base)
        except _Stopped:
            self.store.update(job_id, status=QUEUED, progress=0)
            return
        except StillmotionError as exc:
            log.warning("render of %s failed: %s", job_id, exc.message)
            self._fail(job_id, "render_failed", exc.message)
            return
        except Exception:
            log.exception("render of %s crashed", job_id)
            self._fail(job_id, "internal_error", "The render crashed on the server; try again.")
            return
        now = self._clock()
        ttl = self.options.content_ttl
        done = self.store.update(job_id, status=COMPLETED, progress=100, completed_at=int(now),
                                 expires_at=math.ceil(now + ttl) if ttl > 0 else None)
        if done is not None and self.webhooks is not None:
            self.webhooks.send("video.completed", job_id)

    def _simulated_delay(self, job_id: str) -> int:
        """Spend ``render_delay`` seconds in_progress with progress rising to 50; returns the
        progress the render starts from."""
        delay = self.options.render_delay
        if delay <= 0:
            return 0
        steps = max(1, int(delay / DELAY_STEP))
        for step in range(1, steps + 1):
            if self._stopping.wait(delay / steps):
                raise _Stopped
            self.store.update(job_id, progress=step * 50 // steps)
        return 50

    def _render(self, record: JobRecord, base: int) -> None:
        folder = self.store.job_dir(record.id)
        output = folder / "video.mp4"
        output.unlink(missing_ok=True)
        width, _, height = record.size.partition("x")
        size = (int(width), int(height))
        shown = [base]

        def on_progress(share: float) -> None:
            if self._stopping.is_set():
                raise _Stopped
            value = min(99, base + int(max(0.0, min(1.0, share)) * (99 - base)))
            if value > shown[0]:
                shown[0] = value
                self.store.update(record.id, progress=value)

        fast = self.options.fast
        if record.kind == "extension":
            assert record.source_video is not None
            self.engine.extend(output, source_video=self.store.path(record.source_video),
                               prompt=record.prompt, seconds=record.segment_seconds, size=size,
                               fast=fast, on_progress=on_progress)
            return
        image = self.store.path(record.image) if record.image else None
        if record.kind == "edit" and record.source_video is not None:
            first = folder / "first_frame.png"
            self.engine.first_frame(self.store.path(record.source_video), first)
            image = first
        last = self.store.path(record.last_image) if record.last_image else None
        self.engine.render(output, prompt=record.prompt, size=size,
                           seconds=record.segment_seconds, image=image, last_image=last,
                           fast=fast, sound=record.sound, on_progress=on_progress)

    def _fail(self, job_id: str, code: str, message: str) -> None:
        failed = self.store.update(job_id, status=FAILED,
                                   error={"code": code, "message": message})
        if failed is not None and self.webhooks is not None:
            self.webhooks.send("video.failed", job_id)
