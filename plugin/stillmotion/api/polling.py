"""Wait for a job to finish: bounded, hint-honouring polling with progress.

Why: renders take minutes, services say how soon to ask again (``openai-poll-after-ms``, carried
in ``JobState.poll_after``), and a wait must never be endless. Without a hint the interval grows
from ``min_interval`` by ``backoff`` up to ``max_interval``. At the deadline the wait stops with
PollTimeoutError (the job may still finish; ``stillmotion jobs resume`` picks it up later). A
failed job becomes JobFailedError, or PolicyRejectedError when its code names a moderation or
policy block. The decisions live in :class:`PollSchedule`; the wait function only calls
``poll`` and ``sleep``, both injectable, as is the clock. When webhooks will say when the job
ends (``fallback`` seconds given), the service's poll hints are not followed: the wait polls
every ``fallback`` seconds in case an event is lost, and ``sleep`` ends early when one arrives.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from stillmotion.api._policy import is_policy_code
from stillmotion.api.providers.base import JobState, JobStatus
from stillmotion.errors import (
    ConfigError,
    JobError,
    JobFailedError,
    PolicyRejectedError,
    PollTimeoutError,
)

ProgressHandler = Callable[[JobState], None]

MIN_HINT = 0.05
"""Shortest honoured hint (s): a server answering 0 must not turn the wait into a busy loop."""


def job_failure(state: JobState, *, provider: str | None = None) -> JobError | PolicyRejectedError:
    """The error for a job observed as FAILED: policy refusals apart, the service's words kept."""
    said = state.error_message or ""
    if is_policy_code(state.error_code):
        words = said or state.error_code or "no reason given"
        return PolicyRejectedError(
            f"Job {state.id} was refused by the service's content policy (\"{words}\"); change "
            "the prompt or the reference image.", provider=provider)
    if state.error_code or said:
        reason = ": ".join(part for part in (state.error_code, said) if part)
        message = f"Job {state.id} failed ({reason}); change the request and submit it again."
    else:
        message = (f"Job {state.id} ended as {state.raw_status or 'failed'} without a reason; "
                   "submit it again.")
    return JobFailedError(message, code=state.error_code, job_message=state.error_message,
                          provider=provider)


class PollSchedule:
    """The decisions of one wait: what to report, when to stop, how long to sleep next."""

    def __init__(
        self,
        *,
        deadline_seconds: float,
        clock: Callable[[], float],
        on_progress: ProgressHandler | None,
        min_interval: float,
        max_interval: float,
        backoff: float,
        provider: str | None,
        hints: bool = True,
    ) -> None:
        if deadline_seconds <= 0 or min_interval <= 0 or max_interval < min_interval:
            raise ConfigError("The poll deadline and intervals must be positive, with the "
                              "minimum interval no longer than the maximum; fix the settings.")
        self._clock = clock
        self._start = clock()
        self._deadline = deadline_seconds
        self._on_progress = on_progress
        self._interval = min_interval
        self._max_interval = max_interval
        self._backoff = backoff
        self._provider = provider
        self._hints = hints
        self._best: float | None = None

    def observe(self, state: JobState) -> float | None:
        """Take one observation: None when completed, else the seconds to sleep.

        Raises the job's error when it failed, PollTimeoutError when the deadline has passed.
        Progress is reported never going backwards (servers' estimates wobble).
        """
        self._report(state)
        if state.status == JobStatus.COMPLETED:
            return None
        if state.status == JobStatus.FAILED:
            raise job_failure(state, provider=self._provider)
        left = self._deadline - (self._clock() - self._start)
        if left <= 0:
            raise PollTimeoutError(
                f"Job {state.id} was still {state.raw_status or 'running'} after "
                f"{self._deadline:g} s; it may still finish, so run `stillmotion jobs resume` "
                "later to pick it up.", provider=self._provider)
        if state.poll_after is not None and self._hints:
            delay = max(state.poll_after, MIN_HINT)
        else:
            delay = self._interval
            self._interval = min(self._interval * self._backoff, self._max_interval)
        return min(delay, left)

    def _report(self, state: JobState) -> None:
        if self._on_progress is None:
            return
        if state.progress is not None:
            self._best = state.progress if self._best is None else max(self._best, state.progress)
        if self._best is not None and state.progress != self._best:
            state = dataclasses.replace(state, progress=self._best)
        self._on_progress(state)


def wait_for_job(
    poll: Callable[[], JobState],
    *,
    deadline_seconds: float,
    on_progress: ProgressHandler | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    min_interval: float = 1.0,
    max_interval: float = 20.0,
    backoff: float = 1.5,
    provider: str | None = None,
    fallback: float | None = None,
) -> JobState:
    """Poll until the job completes and return its last state (see the module docstring)."""
    if fallback is not None:
        min_interval = max_interval = fallback
    schedule = PollSchedule(deadline_seconds=deadline_seconds, clock=clock,
                            on_progress=on_progress, min_interval=min_interval,
                            max_interval=max_interval, backoff=backoff, provider=provider,
                            hints=fallback is None)
    while True:
        state = poll()
        delay = schedule.observe(state)
        if delay is None:
            return state
        sleep(delay)
