"""OpenRouter's video API as a Provider: one key for Veo 3.1, Seedance, Wan, Kling and others.

Wire (openrouter.ai/docs/api/api-reference/video-generation, March 2026; the reference's
section 6): ``POST {root}/videos`` with ``Authorization: Bearer KEY`` and a JSON body
``{"model", "prompt", "duration" (an int), "resolution": "720p", "aspect_ratio": "16:9",
"frame_images": [{"type": "image_url", "image_url": {"url"}, "frame_type": "first_frame" |
"last_frame"}], "input_references": [...], "generate_audio", "seed"}`` -> 202 ``{"id",
"polling_url", "status": "pending"}``. ``GET {root}/videos/{id}`` answers ``status`` pending /
in_progress / completed / failed / cancelled / expired, with ``unsigned_urls`` (the
authenticated ``/videos/{id}/content?index=0`` proxy), ``urls`` (signed storage) and ``error``
(a string). Unlike /v1/videos, frames go in ``frame_images`` (not ``input_reference``), the
length is ``duration`` (an int, not the string ``seconds``) and the shape is a resolution plus
an aspect ratio (not ``size``). Stills travel as data URIs: we send frames only to the chosen
vendor, never to a public host.

The download is the content proxy on the API's own origin (the key goes with it, by the one
key-origin rule of :class:`~stillmotion.api._target.Target`); a 403/404/410 there is an expired
result. A failed job whose error words name moderation or safety is a PolicyRejectedError
naming the image or the prompt. The model catalogue (``GET /videos/models``) is read by
:mod:`stillmotion.api.providers.openrouter_catalogue`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from stillmotion.api import capabilities
from stillmotion.api._policy import is_policy_code
from stillmotion.api._requests import RequestSpec
from stillmotion.api.providers.base import GenerationRequest, JobState, JobStatus
from stillmotion.api.providers.dialect import (
    RESULT_URL,
    DialectProvider,
    Reading,
    data_uri,
    input_named,
    put_sound,
    refusal,
    refusal_refine,
    unknown_status,
)
from stillmotion.api.providers.registry import DIALECTS
from stillmotion.errors import ConfigError, ResponseValidationError

NAME = "openrouter"
DEFAULT_ROOT = DIALECTS[NAME].root
KEY_VARIABLES = DIALECTS[NAME].keys
KNOBS: dict[str, type] = {"seed": int, "generate_audio": bool}
"""``GenerationRequest.extra`` keys OpenRouter takes, sent under these names."""

STATUSES = {
    "pending": JobStatus.QUEUED, "queued": JobStatus.QUEUED,
    "in_progress": JobStatus.RUNNING, "processing": JobStatus.RUNNING,
    "completed": JobStatus.COMPLETED,
    "failed": JobStatus.FAILED, "cancelled": JobStatus.FAILED, "expired": JobStatus.FAILED,
}
_REFUSAL_WORDS = ("flagged", "prohibited", "not allowed", "violat")


class OpenRouterJob(BaseModel):
    """One observation of a video job (lenient: extra keys kept)."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    polling_url: str | None = None
    status: str | None = None
    unsigned_urls: list[str] | None = None
    urls: list[str] | None = None
    error: Any = None
    generation_id: str | None = None
    usage: dict[str, Any] | None = None


def _frame(path: Path, frame_type: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": data_uri(path)}, "frame_type": frame_type}


def create_body(model: str, request: GenerationRequest) -> dict[str, Any]:
    """The JSON body of ``POST /videos`` for ``request``."""
    if not model.strip():
        raise ConfigError("The OpenRouter model is empty; name one such as google/veo-3.1.")
    resolution, aspect = capabilities.shape_words(request.size)
    body: dict[str, Any] = {"model": model, "prompt": request.prompt,
                            "duration": int(request.seconds), "resolution": resolution,
                            "aspect_ratio": aspect}
    frames = []
    if request.first_frame is not None:
        frames.append(_frame(request.first_frame, "first_frame"))
    if request.last_frame is not None:
        if request.first_frame is None:
            raise ConfigError("OpenRouter takes a last frame here only together with a first "
                              "frame; give both stills.")
        frames.append(_frame(request.last_frame, "last_frame"))
    if frames:
        body["frame_images"] = frames
    for key, value in request.extra.items():
        kind = KNOBS.get(key)
        if kind is None:
            raise ConfigError(f"OpenRouter has no setting '{key}'; use one of: "
                              f"{', '.join(sorted(KNOBS))}.")
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"The OpenRouter setting '{key}' must be a {kind.__name__}.")
        body[key] = value
    put_sound(body, "generate_audio", request)
    return body


def create_request(model: str, request: GenerationRequest) -> RequestSpec:
    """``POST /videos`` (a paid create: never retried blindly)."""
    return RequestSpec("POST", "/videos", "creating an OpenRouter video", idempotent=False,
                       json=create_body(model, request))


def _job_path(job_id: str) -> str:
    if not job_id.strip():
        raise ConfigError("The OpenRouter job id is empty; give the id the service returned.")
    return f"/videos/{quote(job_id, safe='')}"


def job_request(job_id: str) -> RequestSpec:
    """``GET /videos/{id}``."""
    return RequestSpec("GET", _job_path(job_id), f"checking OpenRouter job {job_id}",
                       idempotent=True, subject=job_id)


def content_path(job_id: str, index: int = 0) -> str:
    """``/videos/{id}/content?index=N``: the authenticated content proxy."""
    return f"{_job_path(job_id)}/content?index={index}"


def _error_words(error: Any) -> tuple[str, str]:
    """(code, message) of a job's ``error``: a string, or an object with code and message."""
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or "")
    return "", "" if error is None else str(error)


def _is_refusal(*texts: str) -> bool:
    lowered = " ".join(texts).lower()
    return is_policy_code(lowered) or any(word in lowered for word in _REFUSAL_WORDS)


def read_job(job: OpenRouterJob, job_id: str, root: str) -> JobState:
    """A job in the common job model; policy failures are raised as PolicyRejectedError."""
    raw_status = job.status or ""
    raw = job.model_dump(mode="json", exclude_none=True)
    code, message = _error_words(job.error)
    status = STATUSES.get(raw_status.lower()) if raw_status else None
    if status is None:
        status = unknown_status(raw_status or "missing", has_error=bool(code or message))
    if status is JobStatus.COMPLETED:
        url = next((u for u in (*(job.unsigned_urls or ()), *(job.urls or ())) if u), None)
        if url is None:  # the documented proxy path, on our root
            url = root + content_path(job_id)
        elif url.startswith("/"):  # relative to the host, as polling_url is
            url = _host(root) + url
        return JobState(id=job_id, status=status, raw_status=raw_status, progress=100.0,
                        raw={**raw, RESULT_URL: url})
    if status is JobStatus.FAILED:
        if _is_refusal(code, message):
            raise refusal(NAME, f"OpenRouter job {job_id}", input_named(message),
                          message or code)
        return JobState(id=job_id, status=status, raw_status=raw_status,
                        error_code=code or raw_status or None, error_message=message or None,
                        raw=raw)
    return JobState(id=job_id, status=status, raw_status=raw_status, raw=raw)


def _host(root: str) -> str:
    scheme, _, rest = root.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def read_refusal(body: Any) -> Reading | None:
    """A refusal in OpenRouter's error body (``error.message``, ``error.metadata.reasons``)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    message = str(error.get("message") or "")
    metadata = error.get("metadata") if isinstance(error.get("metadata"), dict) else {}
    reasons = " ".join(str(r) for r in (metadata or {}).get("reasons") or [])
    if not _is_refusal(message, reasons):
        return None
    return input_named(message, reasons), message or reasons


refine_error = refusal_refine(NAME, read_refusal, statuses=frozenset({400, 403, 422}))
"""OpenRouter's own readings: expired content, and refusals of a create (403 "flagged")."""


class OpenRouterProvider(DialectProvider):
    """submit / poll / download against OpenRouter's video API (or ``stillmotion serve``)."""

    NAME = NAME
    KEY_VARIABLES = KEY_VARIABLES
    REFINE = refine_error

    def submit(self, request: GenerationRequest) -> JobState:
        """Create the job once (never retried after it may have reached the service)."""
        spec = create_request(request.model or self.default_model, request)
        job = self.http.call(OpenRouterJob, spec)
        if not job.id:
            raise ResponseValidationError(
                f"Creating an OpenRouter video got no job id back; check that --base-url is "
                f"the OpenRouter API root ({self.http.target.root}).", provider=NAME)
        return read_job(job, job.id, self.http.target.root)

    def poll(self, job_id: str) -> JobState:
        """Observe the job once; a moderation failure raises PolicyRejectedError."""
        return read_job(self.http.call(OpenRouterJob, job_request(job_id)), job_id,
                        self.http.target.root)

    def catalogue(self) -> dict[str, Any]:
        """``GET /videos/models``: the model catalogue's JSON (read by the catalogue module)."""
        spec = RequestSpec("GET", "/videos/models", "reading OpenRouter's video model list",
                           idempotent=True)
        return self.http.call(CatalogueBody, spec).model_dump(mode="json")


class CatalogueBody(BaseModel):
    """``{"data": [model, ...]}`` (each model kept whole; the catalogue module reads it)."""

    model_config = ConfigDict(extra="allow")

    data: list[dict[str, Any]]
