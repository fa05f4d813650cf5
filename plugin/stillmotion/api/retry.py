"""When to retry a request and how long to wait (the SDK's policy, made safe for paid creates).

Retried: 408, 409, 429 and 5xx answers, connection failures and timeouts; the wait honours
``retry-after-ms``, then ``retry-after`` (seconds or an HTTP date) when it is between 0 and
120 s, else grows as 0.5 s·2^n capped at 8 s (optionally shortened by random jitter). The
server's ``x-should-retry: true/false`` overrides the status rule. A server asking for more than
120 s is not waited for: the error is raised with its ``retry_after`` so the caller can decide.

The decision about creates (create, remix, extend, edit, character uploads): they are paid,
not idempotent, and the API has no idempotency key, so a create is **never** retried once the
request may have reached the server: not after a 5xx, a 408/409/429, a read or write timeout, or a
connection dropped after sending, whatever ``x-should-retry`` says. A second job could be billed
and the first would be orphaned. A create *is* retried when the failure provably happened before
any byte was sent: the connection could not be opened (connect error, connect timeout) or no
pooled connection became free (pool timeout). The caller then reports the ambiguity to the user
("it may have been created; check the job list") instead of guessing.

Pure: no I/O and no sleeping here; the clients ask :class:`RetryPolicy` for a delay and sleep
with their own (injectable) sleep.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

RETRY_STATUSES = frozenset({408, 409, 429})
MAX_RETRY_AFTER = 120.0
"""Longest server-directed wait (s) that is honoured; a longer one is not waited for."""


def retry_after_seconds(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """The server's requested wait in seconds: ``retry-after-ms``, else ``retry-after``.

    ``retry-after`` may be a number of seconds (floats allowed) or an HTTP date, measured
    against ``now`` (wall-clock seconds). Unparseable values give None.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = lowered.get(name)
        if value is None:
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        if math.isfinite(number):
            return number / divisor
        return math.inf
    text = lowered.get("retry-after")
    if not text:
        return None
    try:
        parsed = email.utils.parsedate_tz(text)
        if parsed is None:
            return None
        moment = email.utils.mktime_tz(parsed)
    except (TypeError, ValueError, OverflowError):
        return None
    return float(moment) - now()


def should_retry_header(headers: Mapping[str, str]) -> bool | None:
    """``x-should-retry``: True, False, or None when absent or unclear."""
    for key, value in headers.items():
        if key.lower() == "x-should-retry":
            word = value.strip().lower()
            if word == "true":
                return True
            if word == "false":
                return False
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to wait; ``jitter`` is the fraction of a backoff removed at
    random (0 keeps delays exact, which tests rely on)."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = MAX_RETRY_AFTER
    jitter: float = 0.0

    def backoff(self, retries_done: int) -> float:
        """The exponential wait before retry number ``retries_done + 1``."""
        delay = min(self.initial_delay * 2.0 ** min(retries_done, 64), self.max_delay)
        if self.jitter:
            delay *= 1.0 - self.jitter * random.random()
        return delay

    def delay_after_status(
        self,
        retries_done: int,
        *,
        idempotent: bool,
        status: int,
        headers: Mapping[str, str],
        now: Callable[[], float] = time.time,
    ) -> float | None:
        """Seconds to wait before retrying after an HTTP error ``status``; None: do not retry."""
        if not idempotent or retries_done >= self.max_retries:
            return None
        requested = retry_after_seconds(headers, now=now)
        if requested is not None and requested > self.max_retry_after:
            return None
        verdict = should_retry_header(headers)
        if verdict is None:
            verdict = status in RETRY_STATUSES or status >= 500
        if not verdict:
            return None
        if requested is not None and requested > 0:
            return requested
        return self.backoff(retries_done)

    def delay_after_transport(
        self, retries_done: int, *, idempotent: bool, reached_server: bool
    ) -> float | None:
        """Seconds to wait before retrying after a connection failure or timeout; None: do not.

        ``reached_server`` is False only when the request provably was not sent (see the
        module docstring); only then may a create be retried.
        """
        if retries_done >= self.max_retries:
            return None
        if not idempotent and reached_server:
            return None
        return self.backoff(retries_done)
