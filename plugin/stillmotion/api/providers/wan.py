"""Wan 2.7 on Alibaba Model Studio (DashScope) as a Provider: asynchronous video synthesis.

Wire (Model Studio "Wan 2.7 image-to-video" API reference, see
tests/data/vendors/wan/README.md): ``POST {root}/api/v1/services/aigc/video-generation/
video-synthesis`` with ``Authorization: Bearer DASHSCOPE_API_KEY`` and ``X-DashScope-Async:
enable``; body ``{"model": "wan2.7-i2v", "input": {"prompt", "negative_prompt", "media":
[{"type": "first_frame", "url"}, {"type": "last_frame", "url"}]}, "parameters":
{"resolution": "720P" | "1080P", "duration": 5 (an int, 2-15), "prompt_extend": false,
"watermark": false, "audio": false on --no-audio (default true)}}`` (the video takes the
still's aspect) -> ``{"request_id", "output":
{"task_id", "task_status": "PENDING"}}``. ``GET /api/v1/tasks/{id}`` answers
``output.task_status`` PENDING / RUNNING / SUCCEEDED / FAILED / CANCELED / UNKNOWN (the id is
wrong or over 24 h old) with ``output.video_url`` (kept 24 h: an expired one is a
ContentExpiredError) or ``output.code``/``output.message``. Refusals are
``DataInspectionFailed`` (and ``IPInfringementSuspect``), whose message says whether the input
text, the input image or the output was inappropriate. ``prompt_extend`` is off: the editor's
prompt is sent as written (``extra={"prompt_extend": True}`` turns Alibaba's rewriting on).
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
    data_uri,
    input_named,
    put_sound,
    refusal,
    refusal_refine,
    unknown_status,
)
from stillmotion.api.providers.registry import DIALECTS
from stillmotion.errors import ConfigError, ResponseValidationError

NAME = "wan"
DEFAULT_ROOT = DIALECTS[NAME].root
KEY_VARIABLES = DIALECTS[NAME].keys
CREATE_PATH = "/api/v1/services/aigc/video-generation/video-synthesis"
TASK_PATH = "/api/v1/tasks"
PROMPT_MAX = 5000
INPUT_KNOBS = {"negative_prompt": str}
PARAMETER_KNOBS = {"seed": int, "prompt_extend": bool}
"""``GenerationRequest.extra`` keys Wan takes, sent in ``input`` or in ``parameters``."""
REFUSAL_CODES = ("datainspectionfailed", "ipinfringementsuspect")
STATUSES = {"PENDING": JobStatus.QUEUED, "RUNNING": JobStatus.RUNNING,
            "SUCCEEDED": JobStatus.COMPLETED, "FAILED": JobStatus.FAILED,
            "CANCELED": JobStatus.FAILED, "UNKNOWN": JobStatus.FAILED}


class WanAnswer(BaseModel):
    """A DashScope task answer: ``output`` holds the task (lenient: extra keys kept)."""

    model_config = ConfigDict(extra="allow")

    request_id: str | None = None
    output: dict[str, Any] | None = None
    code: str | None = None
    message: str | None = None


def _knob(key: str, value: Any, kinds: Mapping[str, type]) -> Any:
    kind = kinds[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"The Wan setting '{key}' must be a {kind.__name__}.")
    return value


def create_request(model: str, request: GenerationRequest) -> RequestSpec:
    """``POST /api/v1/services/aigc/video-generation/video-synthesis`` (a paid create)."""
    if request.first_frame is None:
        raise ConfigError("Wan's image-to-video needs a first frame; give the still.")
    if len(request.prompt) > PROMPT_MAX:
        raise ConfigError(f"The prompt is {len(request.prompt)} characters; Wan takes at most "
                          f"{PROMPT_MAX}, so shorten it.")
    media = [{"type": "first_frame", "url": data_uri(request.first_frame)}]
    if request.last_frame is not None:
        media.append({"type": "last_frame", "url": data_uri(request.last_frame)})
    inputs: dict[str, Any] = {"prompt": request.prompt, "media": media}
    parameters: dict[str, Any] = {"resolution": capabilities.tier(request.size).upper(),
                                  "duration": int(request.seconds), "prompt_extend": False,
                                  "watermark": False}
    for key, value in request.extra.items():
        if key in INPUT_KNOBS:
            inputs[key] = _knob(key, value, INPUT_KNOBS)
        elif key in PARAMETER_KNOBS:
            parameters[key] = _knob(key, value, PARAMETER_KNOBS)
        else:
            known = ", ".join(sorted({*INPUT_KNOBS, *PARAMETER_KNOBS}))
            raise ConfigError(f"Wan has no setting '{key}'; use one of: {known}.")
    put_sound(parameters, "audio", request)
    return RequestSpec("POST", CREATE_PATH, "creating a Wan video", idempotent=False,
                       json={"model": model, "input": inputs, "parameters": parameters})


def task_request(task_id: str) -> RequestSpec:
    """``GET /api/v1/tasks/{id}``."""
    if not task_id.strip():
        raise ConfigError("The Wan task id is empty; give the id the service returned.")
    return RequestSpec("GET", f"{TASK_PATH}/{quote(task_id, safe='')}",
                       f"checking Wan task {task_id}", idempotent=True, subject=task_id)


def is_refusal(code: str | None) -> bool:
    """DashScope's content-inspection refusal codes."""
    return bool(code) and (str(code).lower() in REFUSAL_CODES or is_policy_code(code))


def read_task(output: Mapping[str, Any], job_id: str) -> JobState:
    """A task in the common job model; inspection failures raise PolicyRejectedError."""
    raw = dict(output)
    raw_status = str(output.get("task_status") or "")
    code = str(output.get("code") or "") or None
    message = str(output.get("message") or "") or None
    status = STATUSES.get(raw_status.upper()) if raw_status else None
    if status is None:
        status = unknown_status(raw_status or "missing", has_error=code is not None)
    if status is JobStatus.COMPLETED:
        url = output.get("video_url")
        if not isinstance(url, str) or not url:
            return JobState(id=job_id, status=JobStatus.FAILED, raw_status=raw_status,
                            error_code="no_video",
                            error_message="the task succeeded without a video URL", raw=raw)
        return JobState(id=job_id, status=status, raw_status=raw_status, progress=100.0,
                        raw={**raw, RESULT_URL: url})
    if status is JobStatus.FAILED:
        if is_refusal(code):
            raise refusal(NAME, f"Wan task {job_id}", input_named(message),
                          f"{code}: {message}" if message else code)
        if raw_status.upper() == "UNKNOWN" and message is None:
            message = ("DashScope no longer knows the task: its id is wrong or more than 24 h "
                       "old")
        return JobState(id=job_id, status=status, raw_status=raw_status,
                        error_code=code or raw_status or None, error_message=message, raw=raw)
    return JobState(id=job_id, status=status, raw_status=raw_status, raw=raw)


def read_refusal(body: Any) -> Reading | None:
    """An inspection refusal in DashScope's error body (its ``code`` and ``message``)."""
    if not isinstance(body, dict) or not is_refusal(body.get("code")):
        return None
    message = str(body.get("message") or "") or None
    return input_named(message), message or str(body.get("code"))


refine_error = refusal_refine(NAME, read_refusal)
"""DashScope's own readings: expired result URLs, and inspection refusals on create."""


class WanProvider(DialectProvider):
    """submit / poll / download against DashScope (or ``stillmotion serve``)."""

    NAME = NAME
    KEY_VARIABLES = KEY_VARIABLES
    FIXED_HEADERS: ClassVar[Mapping[str, str]] = {"X-DashScope-Async": "enable"}
    REFINE = refine_error

    def _output(self, answer: WanAnswer, what: str) -> dict[str, Any]:
        task_id = (answer.output or {}).get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise ResponseValidationError(
                f"{what} got no task back; check that --base-url is the DashScope root "
                f"({self.http.target.root}).", provider=NAME)
        return answer.output or {}

    def submit(self, request: GenerationRequest) -> JobState:
        """Create the task once (never retried after it may have reached the service)."""
        spec = create_request(request.model or self.default_model, request)
        output = self._output(self.http.call(WanAnswer, spec), "Creating a Wan video")
        return read_task(output, str(output["task_id"]))

    def poll(self, job_id: str) -> JobState:
        """Observe the task once; a refused task raises PolicyRejectedError."""
        answer = self.http.call(WanAnswer, task_request(job_id))
        return read_task(self._output(answer, f"Checking Wan task {job_id}"), job_id)
