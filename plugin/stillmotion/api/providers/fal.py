"""fal.ai's queue as a Provider: submit to a model, follow the returned URLs, fetch the result.

Wire (reference section 4): ``POST {root}/{model_id}`` with ``Authorization: Key KEY`` and a
model-specific body -> ``{request_id, status_url, response_url, cancel_url}``. ``GET status_url``
answers ``status`` IN_QUEUE (with ``queue_position``) / IN_PROGRESS / COMPLETED; then ``GET
response_url`` gives ``{"video": {"url", "content_type"}}``, or an HTTP error: a content-filter
refusal is a 422 whose ``detail`` entries carry ``type: content_policy_violation`` and ``loc``
naming the flagged field (``["body", "image_url"]`` or ``["body", "prompt"]``).

How each hosted model spells the common request lives in ONE table, :data:`FAL_MODELS` (fields
from fal's model pages, ``fal.ai/models/<id>/llms.txt``, read 2026-12-06): the first-frame field
(``image_url``, Kling 2.6/3.0's ``start_image_url``, Veo 3.1 first-last's ``first_frame_url``),
the last-frame field (``tail_image_url`` on Kling 2.1 pro, ``end_image_url`` on Kling 2.6/3.0,
Wan 2.7 and Seedance 2.0, ``last_frame_url`` on Veo 3.1 first-last), how ``duration`` is written
(``"5"``, ``5`` or ``"8s"``), which shape words go with it (``resolution``, ``aspect_ratio``,
from the fitted still's size) and the extra knobs the model takes. Any other fal model id works
when the user declares it in the settings' ``models`` table (capabilities and price); its
``request_fields`` table may name ``image``, ``last_image``, ``duration`` (``text``, ``int`` or
``seconds``) and ``shape`` (a list of ``resolution`` / ``aspect_ratio``), else the defaults are
fal's most common image-to-video spelling: ``image_url``, ``end_image_url`` (only when the row
says it takes a last frame), ``duration`` as text, no shape words.

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

from stillmotion.api import capabilities
from stillmotion.api._core import HttpCore
from stillmotion.api._policy import is_policy_code
from stillmotion.api._requests import RequestSpec
from stillmotion.api._target import Target
from stillmotion.api.declared import check_known, entry_error
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

NAME = "fal"
DEFAULT_ROOT = DIALECTS[NAME].root
KEY_VARIABLES = DIALECTS[NAME].keys
POLICY_TYPE = "content_policy_violation"

STATUSES = {"IN_QUEUE": JobStatus.QUEUED, "IN_PROGRESS": JobStatus.RUNNING,
            "COMPLETED": JobStatus.COMPLETED}


DURATION_STYLES = ("text", "int", "seconds")
"""How ``duration`` is written: ``"5"``, ``5`` or ``"5s"``."""
SHAPE_WORDS = ("resolution", "aspect_ratio")


@dataclass(frozen=True)
class FalModel:
    """How one hosted model spells the common request (see the module docstring)."""

    image_field: str = "image_url"
    last_field: str | None = None
    duration: str = "text"
    shape: tuple[str, ...] = ()
    knobs: tuple[str, ...] = ("negative_prompt", "cfg_scale")
    needs_last: bool = False
    """The endpoint renders only between two frames (Veo 3.1 first-last-frame-to-video)."""


_KLING_NEW = FalModel("start_image_url", "end_image_url",
                      knobs=("negative_prompt", "cfg_scale", "generate_audio"))
_SEEDANCE = FalModel("image_url", "end_image_url", shape=SHAPE_WORDS,
                     knobs=("generate_audio", "seed"))
_VEO = FalModel("image_url", None, "seconds", SHAPE_WORDS,
                knobs=("negative_prompt", "generate_audio", "seed"))
FAL_MODELS: dict[str, FalModel] = {
    "fal-ai/kling-video/v2.1/standard/image-to-video": FalModel(),
    "fal-ai/kling-video/v2.1/pro/image-to-video": FalModel(last_field="tail_image_url"),
    "fal-ai/kling-video/v2.1/master/image-to-video": FalModel(),
    "fal-ai/kling-video/v2.6/pro/image-to-video": FalModel(
        "start_image_url", "end_image_url", knobs=("negative_prompt", "generate_audio")),
    "fal-ai/kling-video/v3/pro/image-to-video": _KLING_NEW,
    "fal-ai/wan/v2.7/image-to-video": FalModel(
        "image_url", "end_image_url", "int", ("resolution",), knobs=("negative_prompt", "seed")),
    "bytedance/seedance-2.0/image-to-video": _SEEDANCE,
    "bytedance/seedance-2.0/fast/image-to-video": _SEEDANCE,
    "fal-ai/veo3.1/image-to-video": _VEO,
    "fal-ai/veo3.1/fast/image-to-video": _VEO,
    "fal-ai/veo3.1/fast/first-last-frame-to-video": FalModel(
        "first_frame_url", "last_frame_url", "seconds", SHAPE_WORDS,
        knobs=("negative_prompt", "generate_audio", "seed"), needs_last=True),
    "fal-ai/ltx-2/image-to-video": FalModel(
        "image_url", None, "int", ("resolution",), knobs=("generate_audio", "fps")),
}
"""Every fal model we know the request of, by model id (sources in the module docstring)."""
SOUND_KNOB = "generate_audio"
"""fal's sound switch, sent only to the models whose page lists it (those with it among their
knobs, a declared model too): false on ``--no-audio``, true when the row promises sound."""
REQUEST_FIELDS = frozenset({"image", "last_image", "duration", "shape", "knobs"})


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


def _declared_error(key: str, what: str) -> ConfigError:
    return entry_error(key, f"has request_fields {what}")


def declared_spec(key: str, entry: Mapping[str, Any]) -> FalModel:
    """The body spelling of a fal model the user declared (``models`` entry ``key``): its
    ``request_fields``, else the defaults named in the module docstring."""
    fields = entry.get("request_fields", {})
    if not isinstance(fields, Mapping):
        raise _declared_error(key, "that is not a table")
    check_known(fields, REQUEST_FIELDS, key, "request_fields name")
    words = [fields[name] for name in ("image", "last_image", "duration") if name in fields]
    shape, knobs = fields.get("shape", []), fields.get("knobs", [])
    if not all(isinstance(w, str) and w for w in words) \
            or not all(isinstance(v, list) and all(isinstance(w, str) for w in v)
                       for v in (shape, knobs)):
        raise _declared_error(key, "whose image, last_image and duration are not words, or "
                              "whose shape and knobs are not lists of words")
    if fields.get("duration", "text") not in DURATION_STYLES:
        raise _declared_error(key, f"with duration '{fields['duration']}' (use one of: "
                              f"{', '.join(DURATION_STYLES)})")
    if not set(shape) <= set(SHAPE_WORDS):
        raise _declared_error(key, f"with a shape word other than {' and '.join(SHAPE_WORDS)}")
    takes_last = entry.get("last_frame") is True
    return FalModel(str(fields.get("image", "image_url")),
                    str(fields.get("last_image", "end_image_url")) if takes_last else None,
                    str(fields.get("duration", "text")), tuple(shape), tuple(knobs))


def declared_specs(models: Mapping[str, Any]) -> dict[str, FalModel]:
    """The fal entries of the settings' ``models`` table, by model id."""
    return {key.partition("/")[2]: declared_spec(key, entry) for key, entry in models.items()
            if key.startswith(f"{NAME}/") and isinstance(entry, Mapping)}


def model_spec(model: str, declared: Mapping[str, FalModel] | None = None) -> FalModel:
    """The body spelling of ``model`` (a declared one wins); ConfigError for neither."""
    found = (declared or {}).get(model) or FAL_MODELS.get(model)
    if found is None:
        known = ", ".join(FAL_MODELS)
        raise ConfigError(f"stillmotion does not know the request shape of fal model '{model}'; "
                          f"use one of: {known}, or declare it in the settings' models table.")
    return found


def _duration(style: str, seconds: int) -> str | int:
    return {"text": str(seconds), "seconds": f"{seconds}s"}.get(style, seconds)


def _shape(spec: FalModel, size: tuple[int, int]) -> dict[str, str]:
    words = {"resolution": capabilities.resolution(size),
             "aspect_ratio": capabilities.aspect_ratio(size)}
    return {word: words[word] for word in spec.shape}


def create_request(model: str, request: GenerationRequest,
                   declared: Mapping[str, FalModel] | None = None) -> RequestSpec:
    """``POST /{model_id}`` for ``request`` (a paid create)."""
    spec = model_spec(model, declared)
    if request.first_frame is None:
        raise ConfigError(f"The fal model {model} needs a first frame; give the still.")
    if spec.needs_last and request.last_frame is None:
        raise ConfigError(f"The fal model {model} renders only between a first and a last "
                          "frame; use it with fill-gap, or choose an image-to-video model.")
    body: dict[str, Any] = {
        "prompt": request.prompt,
        spec.image_field: data_uri(request.first_frame),
        "duration": _duration(spec.duration, int(request.seconds)),
        **_shape(spec, request.size),
    }
    if request.last_frame is not None:
        if spec.last_field is None:
            takers = ", ".join(m for m, s in FAL_MODELS.items() if s.last_field)
            raise ConfigError(f"The fal model {model} cannot take a last frame; use one of: "
                              f"{takers}.")
        body[spec.last_field] = data_uri(request.last_frame)
    for key, value in request.extra.items():
        if key not in spec.knobs:
            raise ConfigError(f"The fal model {model} has no setting '{key}'; use one of: "
                              f"{', '.join(spec.knobs)}.")
        body[key] = value
    put_sound(body, SOUND_KNOB, request, takes=SOUND_KNOB in spec.knobs)
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


def read_refusal(body: Any) -> Reading | None:
    """A content-filter refusal in fal's 422 ``detail`` list, naming the flagged field."""
    entry = _policy_entry(body.get("detail") if isinstance(body, dict) else body)
    if entry is None:
        return None
    return _flagged(entry), str(entry.get("msg") or POLICY_TYPE)


refine_error = refusal_refine(NAME, read_refusal)
"""fal's own readings: expired result files, and 422 content-filter refusals by field."""


class FalProvider(DialectProvider):
    """submit / poll / download against fal's queue (or ``stillmotion serve``)."""

    NAME = NAME
    KEY_VARIABLES = KEY_VARIABLES
    AUTH_SCHEME = "Key"
    REFINE = refine_error

    def __init__(self, http: HttpCore, *, name: str, default_model: str) -> None:
        super().__init__(http, name=name, default_model=default_model)
        self._urls = _Urls(http.target)
        self._declared: dict[str, FalModel] = {}

    def declare(self, models: Mapping[str, Any]) -> None:
        """Learn the request spelling of the fal models the user declared in settings."""
        self._declared = declared_specs(models)

    def submit(self, request: GenerationRequest) -> JobState:
        """Queue the request once (never retried after it may have reached the service)."""
        spec = create_request(request.model or self.default_model, request, self._declared)
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
