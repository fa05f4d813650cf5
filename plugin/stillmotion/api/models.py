"""Pydantic models of /v1/videos bodies: lenient readers of what services send, strict writers.

Why lenient readers: gateways (Azure, CometAPI, LiteLLM …) add keys, omit keys, wrap the object
in ``{"data": {...}}``, say ``task_id`` instead of ``id`` and invent statuses; a reader that
refused any of that would strand a paid job. Extra keys are kept (``model_extra``), unknown
statuses are kept as the raw string and only *normalised* onto :class:`JobStatus`.

Why strict writers: services reject ``seconds`` sent as a number and sizes not spelled ``WxH``,
so what we send is validated, and spelled exactly, before a paid call is made. A writer that
does not validate raises :class:`~stillmotion.errors.ConfigError` (one sentence), never a
pydantic error.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stillmotion.api.providers.base import JobState, JobStatus
from stillmotion.api.sniff import IMAGE_KINDS, MIME_TYPES, sniff
from stillmotion.errors import ConfigError
from stillmotion.timecode import format_size, parse_size

# Fractional seconds: whole seconds are all we keep, and Python 3.10's fromisoformat reads only
# 3 or 6 digits (gateways send 1-9, e.g. Go's and Google's nanoseconds).
_FRACTION = re.compile(r"(?<=\d\d:\d\d:\d\d)[.,]\d+")

MAX_IMAGE_URL_BYTES = 20 * 1024 * 1024
"""Largest image the service takes as a data URL (20 MiB)."""

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


# -- writers -------------------------------------------------------------------------------------


_W = TypeVar("_W", bound="_Writer")


class _Writer(BaseModel):
    """Base of every body we send: unknown fields refused, values frozen once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def build(cls: type[_W], **values: Any) -> _W:
        """Validate ``values``; a bad one is a ConfigError naming the field."""
        try:
            return cls(**values)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "body"
            reason = str(first["msg"]).removeprefix("Value error, ")
            raise ConfigError(f"The video request's {field} is not valid: {reason}.") from None


def seconds_text(value: object) -> str:
    """``seconds`` as the wire wants it: a string of a whole positive number ("8")."""
    if isinstance(value, bool):
        raise ValueError("seconds must be a whole number such as 4, 8 or 12")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise ValueError("seconds must be a whole number such as 4, 8 or 12")
    if number <= 0:
        raise ValueError("seconds must be more than zero")
    return str(number)


def size_text(value: object) -> str:
    """``size`` as the wire wants it: ``"WxH"`` from a (width, height) pair or a size text."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        width, height = value
        return format_size(parse_size(f"{int(width)}x{int(height)}"))
    if isinstance(value, str):
        return format_size(parse_size(value))
    raise ValueError("size must be WIDTHxHEIGHT, e.g. 1280x720")


def _validated_size(value: object) -> str | None:
    if value is None:
        return None
    try:
        return size_text(value)
    except ConfigError as exc:
        raise ValueError(exc.message.rstrip(".")) from None


class ImageUrlReference(_Writer):
    """``input_reference: {"image_url": ...}``: an https URL or a base64 ``data:image/...`` URL."""

    image_url: str

    @field_validator("image_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://", "data:image/")):
            raise ValueError("image_url must be an http(s) URL or a data:image/... URL")
        return value

    @classmethod
    def from_file(cls, path: Path) -> ImageUrlReference:
        """A data URL of a JPEG, PNG or WebP file (at most 20 MiB), its type sniffed."""
        data = read_image(path, limit=MAX_IMAGE_URL_BYTES)
        kind = sniff(data)
        assert kind is not None  # read_image refused anything else
        encoded = base64.b64encode(data).decode("ascii")
        return cls(image_url=f"data:{MIME_TYPES[kind]};base64,{encoded}")


class FileIdReference(_Writer):
    """``input_reference: {"file_id": ...}``: an image already uploaded to the service."""

    file_id: str = Field(min_length=1)


class VideoReference(_Writer):
    """``video: {"id": ...}``: a finished job to extend or edit."""

    id: str = Field(min_length=1)


InputReference = Path | ImageUrlReference | FileIdReference
"""A first frame: a file to upload (multipart), or an image URL / file id (JSON)."""


class CreateVideoParams(_Writer):
    """The body of ``POST /videos``; a Path reference is sent as a multipart file upload."""

    prompt: str = Field(min_length=1, max_length=32000)
    model: str | None = Field(default=None, min_length=1)
    seconds: str | None = None
    size: str | None = None
    input_reference: Path | ImageUrlReference | FileIdReference | None = None

    @field_validator("seconds", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> str | None:
        return None if value is None else seconds_text(value)

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, value: object) -> str | None:
        return _validated_size(value)

    def fields(self) -> dict[str, str]:
        """The plain text fields, in wire spelling (what a multipart form carries)."""
        values = {"prompt": self.prompt, "model": self.model, "seconds": self.seconds,
                  "size": self.size}
        return {key: value for key, value in values.items() if value is not None}

    def json_body(self) -> dict[str, Any]:
        """The JSON body; only for references given as an image URL or a file id."""
        body: dict[str, Any] = dict(self.fields())
        reference = self.input_reference
        if isinstance(reference, (ImageUrlReference, FileIdReference)):
            body["input_reference"] = reference.model_dump()
        return body


class RemixVideoParams(_Writer):
    """The body of ``POST /videos/{id}/remix``."""

    prompt: str = Field(min_length=1, max_length=32000)


class ExtendVideoParams(_Writer):
    """The body of ``POST /videos/extensions``: ``video`` is a finished job's id or a file."""

    prompt: str = Field(min_length=1, max_length=32000)
    seconds: str
    video: VideoReference | Path

    @field_validator("seconds", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> str:
        return seconds_text(value)


class EditVideoParams(_Writer):
    """The body of ``POST /videos/edits``: ``video`` is a finished job's id or a file."""

    prompt: str = Field(min_length=1, max_length=32000)
    video: VideoReference | Path


class CharacterParams(_Writer):
    """The multipart body of ``POST /videos/characters``."""

    name: str = Field(min_length=1, max_length=80)
    video: Path


def read_image(path: Path, *, limit: int = MAX_IMAGE_URL_BYTES) -> bytes:
    """The bytes of a JPEG, PNG or WebP reference image; ConfigError for anything else."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the reference image {path} ({exc.strerror}); "
                          "check the path.") from None
    if len(data) > limit:
        raise ConfigError(f"The reference image {path} is larger than {limit // (1024 * 1024)} "
                          "MiB; export a smaller JPEG, PNG or WebP.")
    if sniff(data[:16]) not in IMAGE_KINDS:
        raise ConfigError(f"The reference image {path} is not a JPEG, PNG or WebP file; "
                          "export the still in one of those formats.")
    return data


def read_video(path: Path) -> bytes:
    """The bytes of an MP4 to upload (extensions, edits, characters); ConfigError otherwise."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the video {path} ({exc.strerror}); check the path.") \
            from None
    if sniff(data[:16]) != "mp4":
        raise ConfigError(f"The video {path} is not an MP4 file; conform it to MP4 first.")
    return data
