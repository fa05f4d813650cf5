"""Pydantic models of /v1/videos answers: lenient readers of what services send.

Why lenient: gateways (Azure, CometAPI, LiteLLM …) add keys, omit keys, wrap the object
in ``{"data": {...}}``, say ``task_id`` instead of ``id`` and invent statuses; a reader that
refused any of that would strand a paid job. Extra keys are kept (``model_extra``), unknown
statuses are kept as the raw string and only *normalised* onto :class:`JobStatus`.

What we send is validated strictly in :mod:`stillmotion.api.params`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from stillmotion.api.providers.base import JobState, JobStatus

# Fractional seconds: whole seconds are all we keep, and Python 3.10's fromisoformat reads only
# 3 or 6 digits (gateways send 1-9, e.g. Go's and Google's nanoseconds).
_FRACTION = re.compile(r"(?<=\d\d:\d\d:\d\d)[.,]\d+")

_QUEUED = frozenset({"queued", "pending", "submitted", "in_queue", "waiting", "created",
                     "not_started", "throttled", "scheduled"})
_COMPLETED = frozenset({"completed", "complete", "succeeded", "success", "succeed", "done",
                        "finished"})
_FAILED_WORDS = ("fail", "cancel", "expire", "error", "reject", "abort", "timed_out", "timeout",
                 "blocked", "refused")


def normalise_status(raw: str | None) -> JobStatus:
    """Map a raw status onto the job model.

    ``queued``-like words are QUEUED, ``completed``-like words COMPLETED; anything that looks
    terminal and unhappy (``failed``, ``cancelled``, ``expired``, ``error`` …) is FAILED; every
    other value (``in_progress``, ``processing``, unknown words, a missing status) is RUNNING,
    so the job is observed again rather than given up on.
    """
    word = (raw or "").strip().lower().replace("-", "_").replace(" ", "_")
    if word in _QUEUED:
        return JobStatus.QUEUED
    if word in _COMPLETED:
        return JobStatus.COMPLETED
    if any(part in word for part in _FAILED_WORDS):
        return JobStatus.FAILED
    return JobStatus.RUNNING


def unwrap_gateway(body: object) -> object:
    """Undo gateway envelopes: ``{"data": {...}}`` without a top-level id, and ``task_id``.

    A list page keeps its ``data`` list; only a *dict* under ``data`` is an envelope.
    """
    if not isinstance(body, dict):
        return body
    inner = body.get("data")
    if isinstance(inner, dict) and "id" not in body:
        unwrapped = dict(inner)
        if "id" not in unwrapped and "task_id" not in unwrapped and "task_id" in body:
            unwrapped["task_id"] = body["task_id"]
        body = unwrapped
    if "id" not in body and body.get("task_id") is not None:
        body = {**body, "id": str(body["task_id"])}
    return body


def _epoch_seconds(value: object) -> int | None:
    """Unix seconds from an int, a float, a numeric string or an ISO-8601 text; else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(float(text))
        except ValueError:
            pass
        try:
            moment = dt.datetime.fromisoformat(_FRACTION.sub("", text.replace("Z", "+00:00")))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        return int(moment.timestamp())
    return None


class _Reader(BaseModel):
    """Base of every model read from a service: extra keys kept, envelopes undone."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, body: object) -> object:
        return unwrap_gateway(body)


class VideoError(BaseModel):
    """Why a job (or a request) failed: ``code`` and ``message``, plus whatever else was sent.

    Newer services add ``param``, ``type``, ``headers`` and a ``misalignment`` block; the last
    two (and anything else) are kept in ``model_extra``.
    """

    model_config = ConfigDict(extra="allow")

    code: str | None = None
    message: str | None = None
    param: str | None = None
    type: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        if isinstance(value, str):
            return {"message": value}
        return value

    @field_validator("code", "param", "type", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value

    def describe(self) -> str:
        """``code: message`` (either part may be missing)."""
        parts = [part for part in (self.code, self.message) if part]
        return ": ".join(parts) if parts else "no reason given"


class Video(_Reader):
    """The job object (``object: "video"``); only ``id`` is required."""

    id: str
    object: str | None = "video"
    model: str | None = None
    status: str | None = None
    progress: float | None = None
    created_at: int | None = None
    completed_at: int | None = None
    expires_at: int | None = None
    prompt: str | None = None
    size: str | None = None
    seconds: str | None = None
    remixed_from_video_id: str | None = None
    error: VideoError | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("progress", mode="before")
    @classmethod
    def _progress(cls, value: Any) -> float | None:
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip().rstrip("%"))
            except ValueError:
                return None
        return None

    @field_validator("created_at", "completed_at", "expires_at", mode="before")
    @classmethod
    def _timestamps(cls, value: Any) -> int | None:
        return _epoch_seconds(value)

    @field_validator("seconds", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("error", mode="before")
    @classmethod
    def _error(cls, value: Any) -> Any:
        if value in ({}, ""):
            return None
        return value

    @property
    def job_status(self) -> JobStatus:
        """The normalised status (the raw one stays in ``status``)."""
        return normalise_status(self.status)

    def to_job_state(self, *, poll_after: float | None = None) -> JobState:
        """This observation in the common job model; ``poll_after`` is the server's hint in s."""
        error = self.error
        return JobState(
            id=self.id,
            status=self.job_status,
            raw_status=self.status or "",
            progress=self.progress,
            error_code=error.code if error else None,
            error_message=error.message if error else None,
            poll_after=poll_after,
            expires_at=self.expires_at,
            model=self.model,
            seconds=self.seconds,
            size=self.size,
            raw=self.model_dump(mode="json"),
        )


class ModelList(_Reader):
    """``GET /models``: ``{"object": "list", "data": [{"id", "object": "model", ...}]}``, each
    model kept whole (gateways add fields; :mod:`stillmotion.api.catalogues` reads them)."""

    object: str | None = "list"
    data: list[dict[str, Any]] = Field(default_factory=list)


class VideoList(_Reader):
    """One page of ``GET /videos``; ``after=last_id`` fetches the next while ``has_more``."""

    object: str | None = "list"
    data: list[Video] = Field(default_factory=list)
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False

    def next_cursor(self) -> str | None:
        """The ``after`` value for the next page, or None when this is the last page."""
        if not self.has_more or not self.data:
            return None
        return self.last_id or self.data[-1].id


class VideoDeleted(_Reader):
    """The answer to ``DELETE /videos/{id}``; a 2xx without ``deleted`` counts as deleted."""

    id: str | None = None
    object: str | None = "video.deleted"
    deleted: bool = True


class Character(_Reader):
    """A character made from an uploaded video (``POST /videos/characters``)."""

    id: str | None = None
    name: str | None = None
    created_at: int | None = None

    @field_validator("created_at", mode="before")
    @classmethod
    def _created(cls, value: Any) -> int | None:
        return _epoch_seconds(value)
