"""Runway's task API as a Provider: image_to_video, tasks, signed result URLs.

Wire (reference section 3, and Runway's OpenAPI spec as shipped in its ``runwayml`` SDK, July
2026): ``POST {root}/v1/image_to_video`` with ``Authorization: Bearer KEY`` and
``X-Runway-Version: 2024-11-06``; body ``{"model", "promptImage" (a data URI, or for a first and
last frame ``[{"uri", "position": "first"}, {"uri", "position": "last"}]``), "promptText",
"ratio": "1280:720", "duration": 5 (an int), "seed"}`` -> ``{"id"}``. ``gen4.5`` (the default;
2-10 s, ``promptText`` required) and ``gen4_turbo`` take a first frame only; the Veo 3.1 models
Runway serves (``veo3.1``, ``veo3.1_fast``; 4/6/8 s) take the ``last`` position too, and a
``negativePrompt`` instead of a seed. ``gen3a_turbo`` was retired on 2026-07-30.
``GET /v1/tasks/{id}`` answers ``status`` PENDING / THROTTLED / RUNNING / SUCCEEDED / FAILED /
CANCELLED with ``progress`` (0..1), ``output`` (signed URLs) or ``failure`` and
``failureCode``. A ``failureCode`` starting ``SAFETY`` is a content refusal:
``SAFETY.INPUT.IMAGE`` names the image, ``SAFETY.INPUT.TEXT`` the prompt, ``SAFETY.OUTPUT.*``
the generated video. Signed URLs (on other origins) are fetched without the key, by the one
key-origin rule of :class:`~stillmotion.api._target.Target`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
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
    RefusedInput,
    data_uri,
    input_named,
    put_sound,
    refusal,
    refusal_refine,
    unknown_status,
)
from stillmotion.api.providers.registry import DIALECTS
from stillmotion.errors import ConfigError, ResponseValidationError

NAME = "runway"
DEFAULT_ROOT = DIALECTS[NAME].root
KEY_VARIABLES = DIALECTS[NAME].keys
API_VERSION = "2024-11-06"
PROMPT_MAX = 1000
KNOBS: dict[str, type] = {"seed": int}
"""``GenerationRequest.extra`` keys Runway's own models take."""
VEO_KNOBS: dict[str, type] = {"negativePrompt": str}
"""``GenerationRequest.extra`` keys the Veo models served by Runway take."""
VEO_MODELS = frozenset({"veo3.1", "veo3.1_fast"})
"""Runway's Veo models: they take a last frame and ``audio`` (a bool, "Whether to generate audio
for the video. Audio inclusion affects pricing."; Runway's own models have no such field and
make no sound), per the SDK's ``image_to_video_create_params.py``."""

STATUSES = {
    "PENDING": JobStatus.QUEUED, "THROTTLED": JobStatus.QUEUED, "RUNNING": JobStatus.RUNNING,
    "SUCCEEDED": JobStatus.COMPLETED, "FAILED": JobStatus.FAILED,
    "CANCELLED": JobStatus.FAILED,
}


class RunwayTask(BaseModel):
    """One observation of a task (lenient: extra keys kept)."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    status: str | None = None
    progress: float | None = None
    output: list[str] | None = None
    failure: str | None = None
    failureCode: str | None = None  # the wire's spelling


def create_request(model: str, request: GenerationRequest) -> RequestSpec:
    """``POST /v1/image_to_video`` for ``request`` (a paid create)."""
    if request.first_frame is None:
        raise ConfigError("Runway's image_to_video needs a first frame; give the still.")
    if not request.prompt.strip():
        raise ConfigError("Runway needs a prompt (promptText); describe the motion.")
    if len(request.prompt) > PROMPT_MAX:
        raise ConfigError(f"The prompt is {len(request.prompt)} characters; Runway takes at "
                          f"most {PROMPT_MAX}, so shorten it.")
    first = data_uri(request.first_frame)
    image: Any = first
    if request.last_frame is not None:
        image = [{"uri": first, "position": "first"},
                 {"uri": data_uri(request.last_frame), "position": "last"}]
    body: dict[str, Any] = {"model": model, "promptImage": image, "promptText": request.prompt,
                            "ratio": capabilities.pixel_ratio(request.size),
                            "duration": int(request.seconds)}
    knobs: dict[str, type] = VEO_KNOBS if model in VEO_MODELS else KNOBS
    for key, value in request.extra.items():
        if key not in knobs:
            raise ConfigError(f"Runway's {model} has no setting '{key}'; use one of: "
                              f"{', '.join(sorted(knobs))}.")
        if knobs[key] is str:
            if not isinstance(value, str):
                raise ConfigError(f"The Runway {key} must be text.")
        elif not isinstance(value, int) or isinstance(value, bool) \
                or not 0 <= value <= 2**32 - 1:
            raise ConfigError("The Runway seed must be a whole number from 0 to 4294967295.")
        body[key] = value
    put_sound(body, "audio", request, takes=model in VEO_MODELS)
    return RequestSpec("POST", "/v1/image_to_video", "creating a Runway video", idempotent=False,
                       json=body)


def task_request(task_id: str) -> RequestSpec:
    """``GET /v1/tasks/{id}``."""
    if not task_id.strip():
        raise ConfigError("The Runway task id is empty; give the id the service returned.")
    return RequestSpec("GET", f"/v1/tasks/{quote(task_id, safe='')}",
                       f"checking Runway task {task_id}", idempotent=True, subject=task_id)


def _refused_input(code: str) -> RefusedInput | None:
    upper = code.upper()
    if ".IMAGE" in upper:
        return "image"
    if ".TEXT" in upper or ".PROMPT" in upper:
        return "prompt"
    if "OUTPUT" in upper:
        return "output"
    return None


def read_task(task: RunwayTask, job_id: str) -> JobState:
    """A task in the common job model; SAFETY failures are raised as PolicyRejectedError."""
    raw_status = task.status or ""
    raw = task.model_dump(mode="json", exclude_none=True)
    code = task.failureCode or ""
    status = STATUSES.get(raw_status.upper()) if raw_status else None
    if status is None:
        status = unknown_status(raw_status or "missing", has_error=bool(task.failure or code))
    progress = None if task.progress is None else max(0.0, min(100.0, task.progress * 100))
    if status is JobStatus.COMPLETED:
        url = next((u for u in task.output or [] if u), None)
        if url is None:
            return JobState(id=job_id, status=JobStatus.FAILED, raw_status=raw_status,
                            error_code="no_output",
                            error_message="the task succeeded without an output URL", raw=raw)
        return JobState(id=job_id, status=status, raw_status=raw_status, progress=100.0,
                        raw={**raw, RESULT_URL: url})
    if status is JobStatus.FAILED:
        if code.upper().startswith("SAFETY") or is_policy_code(code):
            raise refusal(NAME, f"Runway task {job_id}",
                          _refused_input(code) or input_named(task.failure),
                          f"{code}: {task.failure}" if task.failure else code)
        return JobState(id=job_id, status=status, raw_status=raw_status,
                        error_code=code or raw_status or None,
                        error_message=task.failure, raw=raw)
    return JobState(id=job_id, status=status, raw_status=raw_status, progress=progress, raw=raw)


def read_refusal(body: Any) -> Reading | None:
    """A create refusal in Runway's error body (a ``SAFETY…`` code, or policy words)."""
    if not isinstance(body, dict):
        return None
    words = str(body.get("error") or "")
    code = str(body.get("code") or body.get("failureCode") or "")
    if not code.upper().startswith("SAFETY") and not is_policy_code(code, words):
        return None
    return _refused_input(code) or input_named(words), words or code


refine_error = refusal_refine(NAME, read_refusal)
"""Runway's own readings: expired signed URLs, and create refusals naming safety."""


class RunwayProvider(DialectProvider):
    """submit / poll / download against Runway's API (or ``stillmotion serve``)."""

    NAME = NAME
    KEY_VARIABLES = KEY_VARIABLES
    FIXED_HEADERS: ClassVar[Mapping[str, str]] = {"X-Runway-Version": API_VERSION}
    REFINE = refine_error

    def submit(self, request: GenerationRequest) -> JobState:
        """Create the task once (never retried after it may have reached the service)."""
        spec = create_request(request.model or self.default_model, request)
        task = self.http.call(RunwayTask, spec)
        if not task.id:
            raise ResponseValidationError(
                f"Creating a Runway video got no task id back; check that --base-url is the "
                f"Runway API root ({self.http.target.root}).", provider=NAME)
        return JobState(id=task.id, status=JobStatus.QUEUED, raw_status=task.status or "",
                        raw=task.model_dump(mode="json", exclude_none=True))

    def poll(self, job_id: str) -> JobState:
        """Observe the task once; a SAFETY failure raises PolicyRejectedError."""
        return read_task(self.http.call(RunwayTask, task_request(job_id)), job_id)
