"""Fault injection and request counters, so client tests can provoke and observe failures.

Why in the server: retry, backoff, resume and "never submit a paid job twice" are only proven
against real HTTP that really fails. A :class:`FaultPlan` says what goes wrong next (429s, 500s,
slow answers, creates dropped unanswered, dropped, truncated or expired downloads, failing
jobs, moderation words); :class:`FaultState` hands faults out one request at a time and counts
what the server saw (:meth:`FaultState.stats`).
Both are per server instance; the plan is set by the constructor or, in test mode only, by
``POST /_faults``.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FaultPlan(BaseModel):
    """What goes wrong next; every count is "the next N" and runs down as faults fire.

    - ``rate_limit``: the next N /v1 requests (only ``rate_limit_methods`` if given) answer 429
      with ``retry-after-ms: retry_after_ms`` and ``Retry-After`` (whole seconds, rounded up).
    - ``server_errors``: the next N GET requests answer 500.
    - ``slow``: the next N /v1 requests (only ``slow_methods`` if given) wait ``delay_ms``
      before answering.
    - ``drop_creates``: the next N creates are read, then the connection closes before any job
      is made (the client cannot tell whether the service holds one).
    - ``expire_downloads``: the next N content downloads answer 410 ``video_expired``.
    - ``drop_downloads``: the next N content downloads send part of the body, then close.
    - ``truncate_downloads``: the next N downloads declare a Content-Length larger than sent.
    - ``fail_jobs``: the next N jobs to render fail with code ``internal_error``.
    - ``moderation_words``: a job whose prompt contains one (case-insensitive) fails with code
      ``moderation_blocked``; stays until the plan is replaced.
    """

    model_config = ConfigDict(extra="forbid")

    rate_limit: int = Field(default=0, ge=0)
    rate_limit_methods: list[str] = Field(default_factory=list)
    retry_after_ms: int = Field(default=200, ge=0)
    server_errors: int = Field(default=0, ge=0)
    slow: int = Field(default=0, ge=0)
    slow_methods: list[str] = Field(default_factory=list)
    delay_ms: int = Field(default=0, ge=0)
    drop_creates: int = Field(default=0, ge=0)
    expire_downloads: int = Field(default=0, ge=0)
    drop_downloads: int = Field(default=0, ge=0)
    truncate_downloads: int = Field(default=0, ge=0)
    fail_jobs: int = Field(default=0, ge=0)
    moderation_words: list[str] = Field(default_factory=list)


_METHOD_FILTERS = {"rate_limit": "rate_limit_methods", "slow": "slow_methods"}
"""Faults that may be limited to some HTTP methods, and the plan field listing them."""


class FaultState:
    """The live plan plus counters; thread-safe (request handlers and render workers share it)."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self._plan = (plan or FaultPlan()).model_copy(deep=True)
        self._requests: Counter[str] = Counter()
        self._creates: Counter[str] = Counter()
        self._fired: Counter[str] = Counter()

    def replace(self, plan: FaultPlan) -> None:
        """Swap in a new plan (what was left of the old one is dropped)."""
        with self._lock:
            self._plan = plan.model_copy(deep=True)

    def plan(self) -> FaultPlan:
        """A copy of what is left of the plan."""
        with self._lock:
            return self._plan.model_copy(deep=True)

    def take(self, name: str, method: str | None = None) -> bool:
        """Fire fault ``name`` once if any is left (and ``method`` matches its filter)."""
        with self._lock:
            left = getattr(self._plan, name)
            if not left:
                return False
            methods = _METHOD_FILTERS.get(name)
            wanted = getattr(self._plan, methods) if methods else []
            if wanted and (method or "").upper() not in {m.upper() for m in wanted}:
                return False
            setattr(self._plan, name, left - 1)
            self._fired[name] += 1
            return True

    def moderated(self, prompt: str) -> bool:
        """Whether ``prompt`` contains a moderation word (counted as a fired fault)."""
        lowered = prompt.lower()
        with self._lock:
            hit = any(w.lower() in lowered for w in self._plan.moderation_words if w)
            if hit:
                self._fired["moderation"] += 1
            return hit

    def count_request(self, route: str) -> None:
        """Count one request that reached the server (``"POST /v1/videos"`` style keys)."""
        with self._lock:
            self._requests[route] += 1

    def count_create(self, prompt: str) -> None:
        """Count one accepted job creation (create, remix, extension, edit) for ``prompt``."""
        with self._lock:
            self._creates[prompt] += 1

    def stats(self) -> dict[str, Any]:
        """``{"requests": {route: n}, "total_requests", "creates": {prompt: n}, "total_creates",
        "faults_fired": {name: n}}``."""
        with self._lock:
            return {
                "requests": dict(self._requests),
                "total_requests": sum(self._requests.values()),
                "creates": dict(self._creates),
                "total_creates": sum(self._creates.values()),
                "faults_fired": dict(self._fired),
            }

    def reset_stats(self) -> None:
        """Zero every counter (the plan is kept)."""
        with self._lock:
            self._requests.clear()
            self._creates.clear()
            self._fired.clear()
