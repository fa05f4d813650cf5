"""fal.ai's queue as a Provider: submit to a model, follow the returned URLs, fetch the result.

Wire (reference section 4): ``POST {root}/{model_id}`` with ``Authorization: Key KEY`` and a
model-specific body (the Kling 2.1 rows: ``prompt``, ``image_url`` as a data URI, ``duration``
as the string ``"5"``/``"10"``; the pro model also ``tail_image_url``, its last frame) ->
``{request_id, status_url, response_url, cancel_url}``. ``GET status_url`` answers ``status``
IN_QUEUE (with ``queue_position``) / IN_PROGRESS / COMPLETED; then ``GET response_url`` gives
``{"video": {"url", "content_type"}}``, or an HTTP error: a content-filter refusal is a 422 whose
``detail`` entries carry ``type: content_policy_violation`` and ``loc`` naming the flagged
field (``["body", "image_url"]`` or ``["body", "prompt"]``).

The job id is the response URL (relative to the root when it lives there), so a job is found
again after a restart; the status URL is the one returned at submit, else fal's documented
``{response_url}/status``. Result files on other origins (``v3.fal.media``) are fetched without
the key, by the one key-origin rule of :class:`~stillmotion.api._target.Target`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from stillmotion.api._core import HttpCore
from stillmotion.api._parse import error_json, request_id
from stillmotion.api._policy import is_policy_code
from stillmotion.api._requests import RequestSpec
from stillmotion.api._target import Target
from stillmotion.api.providers.base import GenerationRequest, JobState, JobStatus
from stillmotion.api.providers.dialect import (
    RESULT_URL,
    DialectProvider,
    RefusedInput,
    data_uri,
    expired_download,
    input_named,
    refusal,
    unknown_status,
)
from stillmotion.api.providers.registry import DIALECTS
from stillmotion.errors import ConfigError, ResponseValidationError, ServiceError

NAME = "fal"
DEFAULT_ROOT = DIALECTS[NAME].root
KEY_VARIABLES = DIALECTS[NAME].keys
POLICY_TYPE = "content_policy_violation"

STATUSES = {"IN_QUEUE": JobStatus.QUEUED, "IN_PROGRESS": JobStatus.RUNNING,
            "COMPLETED": JobStatus.COMPLETED}


@dataclass(frozen=True)
class FalModel:
    """How one hosted model spells the common request."""

    image_field: str = "image_url"
    last_field: str | None = None
    duration_as_text: bool = True
    knobs: tuple[str, ...] = ("negative_prompt", "cfg_scale")


FAL_MODELS: dict[str, FalModel] = {
    "fal-ai/kling-video/v2.1/standard/image-to-video": FalModel(),
    "fal-ai/kling-video/v2.1/pro/image-to-video": FalModel(last_field="tail_image_url"),
    "fal-ai/kling-video/v2.1/master/image-to-video": FalModel(),
}


class FalQueued(BaseModel):
    """The answer to a submit."""

    model_config = ConfigDict(extra="allow")

    request_id: str | None = None
    status_url: str | None = None
    response_url: str | None = None
    cancel_url: str | None = None
    status: str | None = None
    queue_position: int | None = None


class FalStatus(BaseModel):
    """One observation of a queued request."""

    model_config = ConfigDict(extra="allow")

    status: str | None = None
    queue_position: int | None = None
    response_url: str | None = None
    error: Any = None


class FalResult(BaseModel):
    """A finished request's output (lenient: ``video`` may also come as a bare URL)."""

    model_config = ConfigDict(extra="allow")

    video: Any = None

    def video_url(self) -> str | None:
        """The generated video's URL, if the result holds one."""
        if isinstance(self.video, dict) and isinstance(self.video.get("url"), str):
            return str(self.video["url"])
        if isinstance(self.video, str) and self.video:
            return self.video
        return None


def model_spec(model: str) -> FalModel:
    """The body spelling of ``model``; ConfigError for a model without a row."""
    found = FAL_MODELS.get(model)
    if found is None:
        known = ", ".join(FAL_MODELS)
        raise ConfigError(f"stillmotion does not know the request shape of fal model '{model}'; "
                          f"use one of: {known}.")
    return found


def create_request(model: str, request: GenerationRequest) -> RequestSpec:
    """``POST /{model_id}`` for ``request`` (a paid create)."""
    spec = model_spec(model)
    if request.first_frame is None:
        raise ConfigError(f"The fal model {model} needs a first frame; give the still.")
    body: dict[str, Any] = {
        "prompt": request.prompt,
        spec.image_field: data_uri(request.first_frame),
        "duration": str(request.seconds) if spec.duration_as_text else int(request.seconds),
    }
    if request.last_frame is not None:
        if spec.last_field is None:
            raise ConfigError(f"The fal model {model} cannot take a last frame; use "
                              "fal-ai/kling-video/v2.1/pro/image-to-video.")
        body[spec.last_field] = data_uri(request.last_frame)
    for key, value in request.extra.items():
        if key not in spec.knobs:
            raise ConfigError(f"The fal model {model} has no setting '{key}'; use one of: "
                              f"{', '.join(spec.knobs)}.")
        body[key] = value
    return RequestSpec("POST", f"/{model}", f"submitting to fal model {model}", idempotent=False,
                       json=body)


class _Urls:
    """A job id <-> its response and status URLs."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._status: dict[str, str] = {}

    def job_id(self, response_url: str) -> str:
        if self._target.on_root_origin(response_url):
            return httpx.URL(response_url).raw_path.decode("ascii").lstrip("/")
        return response_url

    def response_url(self, job_id: str) -> str:
        if not job_id.strip() or ".." in job_id.split("/"):
            raise ConfigError(f"'{job_id}' is not a fal request; use the id stillmotion "
                              "recorded.")
        return job_id if "://" in job_id else f"{self._target.root}/{job_id}"

    def remember(self, job_id: str, status_url: str | None) -> None:
        if status_url:
            self._status[job_id] = status_url

    def status_url(self, job_id: str) -> str:
        return self._status.get(job_id) or self.response_url(job_id).rstrip("/") + "/status"


def _policy_entry(detail: Any) -> dict[str, Any] | None:
    entries = detail if isinstance(detail, list) else [detail]
    for entry in entries:
        if isinstance(entry, dict) and is_policy_code(str(entry.get("type") or "")):
            return entry
    return None


def _flagged(entry: Mapping[str, Any]) -> RefusedInput | None:
    loc = entry.get("loc") or []
    field = str(loc[-1]) if isinstance(loc, list) and loc else ""
    if field == "prompt":
        return "prompt"
    if "image" in field or "frame" in field:
        return "image"
    return input_named(field, str(entry.get("msg") or ""))


def refine_error(spec: RequestSpec, status: int, headers: Mapping[str, str],
                 content: bytes) -> ServiceError | None:
    """fal's own readings: expired result files, and 422 content-filter refusals by field."""
    gone = expired_download(NAME, spec, status)
    if gone is not None:
        return gone
    body = error_json(content)
    detail = body.get("detail") if isinstance(body, dict) else body
    entry = _policy_entry(detail) if status in (400, 422) else None
    if entry is None:
        return None
    action = spec.action[:1].upper() + spec.action[1:]
    return refusal(NAME, action, _flagged(entry), str(entry.get("msg") or POLICY_TYPE),
                   request_id=request_id(headers))


class FalProvider(DialectProvider):
    """submit / poll / download against fal's queue (or ``stillmotion serve``)."""

    NAME = NAME
    KEY_VARIABLES = KEY_VARIABLES
    AUTH_SCHEME = "Key"
    REFINE = refine_error

    def __init__(self, http: HttpCore, *, name: str, default_model: str) -> None:
        super().__init__(http, name=name, default_model=default_model)
        self._urls = _Urls(http.target)

    def submit(self, request: GenerationRequest) -> JobState:
        """Queue the request once (never retried after it may have reached the service)."""
        spec = create_request(request.model or self.default_model, request)
        queued = self.http.call(FalQueued, spec)
        if not queued.response_url:
            raise ResponseValidationError(
                f"Submitting to fal got no response_url back; check that --base-url is the fal "
                f"queue root ({self.http.target.root}).", provider=NAME)
        job_id = self._urls.job_id(queued.response_url)
        self._urls.remember(job_id, queued.status_url)
        return JobState(id=job_id, status=JobStatus.QUEUED,
                        raw_status=queued.status or "IN_QUEUE",
                        raw=queued.model_dump(mode="json", exclude_none=True))

    def poll(self, job_id: str) -> JobState:
        """Observe the request once; when it is COMPLETED the result is read too, so a failed
        or refused request shows here (PolicyRejectedError for a content-filter 422)."""
        url = self._urls.status_url(job_id)
        status = self.http.call(FalStatus, RequestSpec(
            "GET", url, f"checking fal request {job_id}", idempotent=True, subject=job_id))
        raw = status.model_dump(mode="json", exclude_none=True)
        raw_status = status.status or ""
        known = STATUSES.get(raw_status.upper())
        state = known or unknown_status(raw_status or "missing", has_error=bool(status.error))
        if state is JobStatus.COMPLETED and status.error:
            state = JobStatus.FAILED
        if state is JobStatus.FAILED:
            words = str(status.error or raw_status)
            if is_policy_code(words):
                raise refusal(NAME, f"fal request {job_id}", input_named(words), words)
            return JobState(id=job_id, status=state, raw_status=raw_status,
                            error_code=raw_status or "error", error_message=words,
                            raw=raw)
        if state is not JobStatus.COMPLETED:
            return JobState(id=job_id, status=state, raw_status=raw_status, raw=raw)
        result = self.http.call(FalResult, RequestSpec(
            "GET", status.response_url or self._urls.response_url(job_id),
            f"reading the result of fal request {job_id}", idempotent=True, subject=job_id))
        video = result.video_url()
        if video is None:
            return JobState(id=job_id, status=JobStatus.FAILED, raw_status=raw_status,
                            error_code="no_video",
                            error_message="the request completed without a video", raw=raw)
        return JobState(id=job_id, status=JobStatus.COMPLETED, raw_status=raw_status,
                        progress=100.0, raw={**raw, RESULT_URL: video})
