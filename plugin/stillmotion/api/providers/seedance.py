"""Seedance 2.x on BytePlus ModelArk as a Provider: content generation tasks.

Wire (BytePlus ModelArk video generation API, see tests/data/vendors/seedance/README.md):
``POST {root}/api/v3/contents/generations/tasks`` with ``Authorization: Bearer ARK_API_KEY``
and ``{"model", "content": [{"type": "text", "text"}, {"type": "image_url", "image_url":
{"url"}, "role": "first_frame"}, {... "role": "last_frame"}], "resolution": "720p", "ratio":
"16:9", "duration": 5 (an int), "return_last_frame": true, "watermark": false}`` and
``generate_audio`` (default true; false for ``--no-audio``, a silent video) -> ``{"id":
"cgt-…"}``. ``GET …/tasks/{id}`` answers ``status`` queued / running / succeeded / failed /
cancelled / expired, ``content.video_url`` (kept 24 h) and, because we asked,
``content.last_frame_url`` (the clip's exact last frame, kept in the job's ``raw`` as
:data:`LAST_FRAME_URL` for extend chains), or ``error {code, message}``. Refusals are the
``…SensitiveContentDetected`` codes: ``InputImage…`` names the image, ``InputText…`` the
prompt, ``Output…`` the generated video.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from stillmotion.api import capabilities
from stillmotion.api._policy import is_policy_code
from stillmotion.api._requests import RequestSpec
from stillmotion.api.providers.base import (
    GenerationRequest,
    JobState,
    JobStatus,
    last_frame_beside,
)
from stillmotion.api.providers.dialect import (
    RESULT_URL,
    DialectProvider,
    Reading,
    RefusedInput,
    data_uri,
    download_spec,
    input_named,
    put_sound,
    refusal,
    refusal_refine,
    unknown_status,
)
from stillmotion.api.providers.registry import DIALECTS
from stillmotion.errors import (
    ConfigError,
    ResponseValidationError,
    StillmotionError,
)

NAME = "seedance"
DEFAULT_ROOT = DIALECTS[NAME].root
KEY_VARIABLES = DIALECTS[NAME].keys
PATH = "/api/v3/contents/generations/tasks"
KNOBS = {"seed": int, "generate_audio": bool, "camera_fixed": bool}
"""``GenerationRequest.extra`` keys Seedance takes (top-level body fields)."""
LAST_FRAME_URL = "last_frame_url"
"""The key in ``JobState.raw`` holding the URL of the clip's last frame, when returned."""
STATUSES = {"queued": JobStatus.QUEUED, "running": JobStatus.RUNNING,
            "succeeded": JobStatus.COMPLETED, "failed": JobStatus.FAILED,
            "cancelled": JobStatus.FAILED, "expired": JobStatus.FAILED}


class ArkError(BaseModel):
    """An Ark error object."""

    model_config = ConfigDict(extra="allow")

    code: str | None = None
    message: str | None = None


class ArkTask(BaseModel):
    """One observation of a content generation task (lenient: extra keys kept)."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    status: str | None = None
    error: ArkError | None = None
    content: dict[str, Any] | None = None


def _image(path: Path, role: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": data_uri(path)}, "role": role}


def create_request(model: str, request: GenerationRequest) -> RequestSpec:
    """``POST /api/v3/contents/generations/tasks`` for ``request`` (a paid create)."""
    if request.first_frame is None:
        raise ConfigError("Seedance's image-to-video needs a first frame; give the still.")
    content: list[dict[str, Any]] = [{"type": "text", "text": request.prompt},
                                     _image(request.first_frame, "first_frame")]
    if request.last_frame is not None:
        content.append(_image(request.last_frame, "last_frame"))
    body: dict[str, Any] = {"model": model, "content": content,
                            "resolution": capabilities.tier(request.size),
                            "ratio": capabilities.ratio_word(request.size),
                            "duration": int(request.seconds), "return_last_frame": True,
                            "watermark": False}
    for key, value in request.extra.items():
        kind = KNOBS.get(key)
        if kind is None:
            raise ConfigError(f"Seedance has no setting '{key}'; use one of: "
                              f"{', '.join(sorted(KNOBS))}.")
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"The Seedance setting '{key}' must be a {kind.__name__}.")
        body[key] = value
    put_sound(body, "generate_audio", request)
    return RequestSpec("POST", PATH, "creating a Seedance video", idempotent=False, json=body)


def task_request(task_id: str) -> RequestSpec:
    """``GET /api/v3/contents/generations/tasks/{id}``."""
    if not task_id.strip():
        raise ConfigError("The Seedance task id is empty; give the id the service returned.")
    return RequestSpec("GET", f"{PATH}/{quote(task_id, safe='')}",
                       f"checking Seedance task {task_id}", idempotent=True, subject=task_id)


def refused_input(code: str, message: str | None = None) -> RefusedInput | None:
    """Which input an Ark sensitive-content code names."""
    lowered = code.lower()
    if "inputimage" in lowered:
        return "image"
    if "inputtext" in lowered:
        return "prompt"
    if "output" in lowered:
        return "output"
    return input_named(message)


def is_refusal(code: str, message: str | None = None) -> bool:
    """Ark's refusal codes (``…SensitiveContentDetected``, ``…RiskDetection``)."""
    lowered = code.lower()
    return "sensitive" in lowered or "risk" in lowered or is_policy_code(code, message)


def read_task(task: ArkTask, job_id: str) -> JobState:
    """A task in the common job model; refusals are raised as PolicyRejectedError."""
    raw_status = task.status or ""
    raw = task.model_dump(mode="json", exclude_none=True)
    status = STATUSES.get(raw_status.lower()) if raw_status else None
    if status is None:
        status = unknown_status(raw_status or "missing", has_error=task.error is not None)
    if status is JobStatus.COMPLETED:
        content = task.content or {}
        url = content.get("video_url")
        if not isinstance(url, str) or not url:
            return JobState(id=job_id, status=JobStatus.FAILED, raw_status=raw_status,
                            error_code="no_video",
                            error_message="the task succeeded without a video URL", raw=raw)
        last = content.get("last_frame_url")
        extra = {LAST_FRAME_URL: last} if isinstance(last, str) and last else {}
        return JobState(id=job_id, status=status, raw_status=raw_status, progress=100.0,
                        raw={**raw, RESULT_URL: url, **extra})
    if status is JobStatus.FAILED:
        code = (task.error.code if task.error else None) or ""
        message = task.error.message if task.error else None
        if is_refusal(code, message):
            raise refusal(NAME, f"Seedance task {job_id}", refused_input(code, message),
                          f"{code}: {message}" if message else code)
        return JobState(id=job_id, status=status, raw_status=raw_status,
                        error_code=code or raw_status or None, error_message=message, raw=raw)
    return JobState(id=job_id, status=status, raw_status=raw_status, raw=raw)


def read_refusal(body: Any) -> Reading | None:
    """A sensitive-content refusal in Ark's error body (``error.code``, ``error.message``)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    code = str(error.get("code") or "")
    message = str(error.get("message") or "") or None
    if not is_refusal(code, message):
        return None
    return refused_input(code, message), message or code


refine_error = refusal_refine(NAME, read_refusal)
"""Ark's own readings: expired result URLs, and sensitive-content refusals on create."""


class SeedanceProvider(DialectProvider):
    """submit / poll / download against BytePlus ModelArk (or ``stillmotion serve``)."""

    NAME = NAME
    KEY_VARIABLES = KEY_VARIABLES
    REFINE = refine_error

    def submit(self, request: GenerationRequest) -> JobState:
        """Create the task once (never retried after it may have reached the service)."""
        spec = create_request(request.model or self.default_model, request)
        task = self.http.call(ArkTask, spec)
        if not task.id:
            raise ResponseValidationError(
                f"Creating a Seedance video got no task id back; check that --base-url is the "
                f"ModelArk root ({self.http.target.root}).", provider=NAME)
        return JobState(id=task.id, status=JobStatus.QUEUED, raw_status=task.status or "",
                        raw=task.model_dump(mode="json", exclude_none=True))

    def poll(self, job_id: str) -> JobState:
        """Observe the task once; a refused task raises PolicyRejectedError."""
        return read_task(self.http.call(ArkTask, task_request(job_id)), job_id)

    def download(self, job: JobState, dest: Path) -> Path:
        """The video, then the task's own last frame beside it (:func:`last_frame_beside`)
        for extend chains. The frame is a convenience: when it cannot be had, the finished
        video is kept and extend grabs the clip's last frame itself."""
        state = job if job.raw.get(RESULT_URL) else self.poll(job.id)
        video = super().download(state, dest)
        url = state.raw.get(LAST_FRAME_URL)
        if isinstance(url, str) and url:
            spec = download_spec(url, job.id, NAME)
            with contextlib.suppress(StillmotionError):
                self.http.download(spec, last_frame_beside(video), variant="thumbnail",
                                   overwrite=True)
        return video
