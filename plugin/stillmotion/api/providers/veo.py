"""Veo through the Gemini API as a Provider: long-running operations, file downloads, extension.

Wire (reference section 2): ``POST {root}/v1beta/models/{model}:predictLongRunning`` with
``x-goog-api-key``; body ``{"instances": [{"prompt", "image": {"bytesBase64Encoded",
"mimeType"}, "lastFrame": {...}}], "parameters": {"aspectRatio", "durationSeconds" (an int),
"resolution", ...}}`` -> ``{"name": "models/…/operations/…"}``. The operation's name is the job
id; ``GET {root}/v1beta/{name}`` answers ``{"done": false}`` (Google's JSON may omit a false
``done`` altogether) until ``{"done": true, "response": {"generateVideoResponse":
{"generatedSamples": [{"video": {"uri"}}]}}}`` or ``{"done": true, "error": {...}}``. The uri is
downloaded with the same key, following redirects. A native extension sends the finished
sample's uri as ``instances[0].video``; the result holds the source followed by the new part.

Refusals come back as an operation error whose words name safety, or as a response whose
samples were filtered (``raiMediaFilteredReasons``); both become PolicyRejectedError naming the
image or the prompt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from stillmotion.api import capabilities
from stillmotion.api._parse import error_json, request_id
from stillmotion.api._policy import is_policy_code
from stillmotion.api._requests import RequestSpec
from stillmotion.api.providers.base import GenerationRequest, JobState, JobStatus
from stillmotion.api.providers.dialect import (
    RESULT_URL,
    DialectProvider,
    Reading,
    image_payload,
    input_named,
    refusal,
    refusal_refine,
)
from stillmotion.api.providers.registry import DIALECTS
from stillmotion.errors import (
    AuthenticationError,
    ConfigError,
    JobError,
    ResponseValidationError,
    ServiceError,
)

NAME = "veo"
DEFAULT_ROOT = DIALECTS[NAME].root
KEY_VARIABLES = DIALECTS[NAME].keys
API = "/v1beta"
PARAMETER_KNOBS = {"negativePrompt": str, "personGeneration": str, "seed": int}
"""``GenerationRequest.extra`` keys Veo takes, sent in ``parameters`` under these names. No
sound switch is ever sent, ``--no-audio`` or not: the Gemini API refuses ``generateAudio``
("generateAudio parameter is not supported in Gemini API", googleapis/js-genai#1017), so a
Veo 3.x clip always comes with sound and ``--no-audio`` only keeps it off the timeline."""
_POLICY_WORDS = ("responsible ai", "usage guidelines", "filtered", "blocked", "prohibited")


class GoogleStatus(BaseModel):
    """A ``google.rpc.Status``: numeric ``code``, ``message``, textual ``status``."""

    model_config = ConfigDict(extra="allow")

    code: int | str | None = None
    message: str | None = None
    status: str | None = None


class VeoOperation(BaseModel):
    """One observation of a long-running operation (lenient: extra keys kept)."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    done: bool | None = None
    error: GoogleStatus | None = None
    response: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


def _image(path: Path) -> dict[str, str]:
    encoded, mime = image_payload(path)
    return {"bytesBase64Encoded": encoded, "mimeType": mime}


def _model_segment(model: str) -> str:
    if not model or "/" in model or ":" in model or model.strip() != model:
        raise ConfigError(f"The Veo model '{model}' is not a model name; use one such as "
                          "veo-3.1-generate-preview.")
    return model


def _parameters(extra: Mapping[str, Any]) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for key, value in extra.items():
        kind = PARAMETER_KNOBS.get(key)
        if kind is None:
            known = ", ".join(sorted(PARAMETER_KNOBS))
            raise ConfigError(f"Veo has no setting '{key}'; use one of: {known}.")
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"The Veo setting '{key}' must be a {kind.__name__}.")
        chosen[key] = value
    return chosen


def create_request(model: str, request: GenerationRequest) -> RequestSpec:
    """``POST /v1beta/models/{model}:predictLongRunning`` for ``request`` (a paid create)."""
    instance: dict[str, Any] = {"prompt": request.prompt}
    if request.first_frame is not None:
        instance["image"] = _image(request.first_frame)
    if request.last_frame is not None:
        if request.first_frame is None:
            raise ConfigError("Veo takes a last frame only together with a first frame; give "
                              "both stills.")
        instance["lastFrame"] = _image(request.last_frame)
    parameters = {
        "aspectRatio": capabilities.aspect_ratio(request.size),
        "durationSeconds": int(request.seconds),
        "resolution": capabilities.resolution(request.size),
        **_parameters(request.extra),
    }
    return RequestSpec("POST", f"{API}/models/{_model_segment(model)}:predictLongRunning",
                       "creating a Veo video", idempotent=False,
                       json={"instances": [instance], "parameters": parameters})


def extend_request(model: str, video_uri: str, prompt: str, seconds: int) -> RequestSpec:
    """The predictLongRunning call continuing the finished sample at ``video_uri``."""
    body = {"instances": [{"prompt": prompt, "video": {"uri": video_uri}}],
            "parameters": {"durationSeconds": int(seconds)}}
    return RequestSpec("POST", f"{API}/models/{_model_segment(model)}:predictLongRunning",
                       "extending a Veo video", idempotent=False, json=body)


def operation_request(name: str) -> RequestSpec:
    """``GET /v1beta/{name}`` for an operation name the service returned."""
    parts = name.split("/")
    if not name or "://" in name or any(p in ("", ".", "..") for p in parts) \
            or parts[0] not in ("models", "operations"):
        raise ConfigError(f"'{name}' is not a Veo operation name (models/…/operations/…); use "
                          "the name the service returned.")
    return RequestSpec("GET", f"{API}/{name}", f"checking Veo operation {name}",
                       idempotent=True, subject=name)


def _samples(response: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The generated samples and the block they came in (Gemini, SDK and Vertex shapes)."""
    block = response.get("generateVideoResponse")
    if isinstance(block, dict):
        samples = block.get("generatedSamples") or []
        return (samples if isinstance(samples, list) else []), block
    for key in ("generatedVideos", "generatedSamples", "videos"):
        samples = response.get(key)
        if isinstance(samples, list):
            return samples, dict(response)
    return [], dict(response)


def _uri(sample: Any) -> str | None:
    if not isinstance(sample, dict):
        return None
    video = sample.get("video", sample)
    if isinstance(video, dict):
        for key in ("uri", "gcsUri"):
            if isinstance(video.get(key), str) and video[key]:
                return str(video[key])
    return None


def _is_policy(*texts: str | None) -> bool:
    lowered = " ".join(t.lower() for t in texts if t)
    return is_policy_code(lowered) or any(word in lowered for word in _POLICY_WORDS)


def read_operation(op: VeoOperation, job_id: str) -> JobState:
    """An operation in the common job model; refusals are raised as PolicyRejectedError."""
    name = op.name or job_id
    raw = op.model_dump(mode="json", exclude_none=True)
    state = str((op.metadata or {}).get("state") or "")
    if not op.done:
        return JobState(id=name, status=JobStatus.RUNNING, raw_status=state or "running",
                        raw=raw)
    if op.error is not None:
        code = str(op.error.status or op.error.code or "error")
        message = op.error.message or ""
        if _is_policy(code, message):
            raise refusal(NAME, f"Veo job {name}", input_named(message), message)
        return JobState(id=name, status=JobStatus.FAILED, raw_status="error", error_code=code,
                        error_message=message or None, raw=raw)
    samples, block = _samples(op.response or {})
    uri = next((u for u in map(_uri, samples) if u), None)
    if uri is not None:
        return JobState(id=name, status=JobStatus.COMPLETED, raw_status="done", progress=100.0,
                        raw={**raw, RESULT_URL: uri})
    reasons = block.get("raiMediaFilteredReasons") or []
    if block.get("raiMediaFilteredCount") or reasons:
        words = "; ".join(str(r) for r in reasons) if isinstance(reasons, list) else str(reasons)
        raise refusal(NAME, f"Veo job {name}", input_named(words) or "output", words or None)
    return JobState(id=name, status=JobStatus.FAILED, raw_status="done without a video",
                    error_code="no_video",
                    error_message="the operation finished without a generated video", raw=raw)


def _google_fields(body: Any) -> tuple[str | None, str | None, str]:
    """(status word, message, reason) of a parsed Google error body."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None, ""
    reasons = " ".join(str(d.get("reason", "")) for d in error.get("details") or []
                       if isinstance(d, dict))
    status = error.get("status")
    message = error.get("message")
    return (status if isinstance(status, str) else None,
            message if isinstance(message, str) else None, reasons)


def _google_error(content: bytes) -> tuple[str | None, str | None, str]:
    """(status word, message, reason) of a Google error body."""
    return _google_fields(error_json(content))


def read_refusal(body: Any) -> Reading | None:
    """A safety refusal in a Google error body (its status word or message)."""
    word, message, _ = _google_fields(body)
    return (input_named(message), message) if _is_policy(word, message) else None


_refine_refusal = refusal_refine(NAME, read_refusal)


def refine_error(spec: RequestSpec, status: int, headers: Mapping[str, str],
                 content: bytes) -> ServiceError | None:
    """Veo's own readings: invalid keys (a 400 there), then the dialects' rule for expired
    downloads and safety refusals."""
    _, message, reasons = _google_error(content)
    if status == 400 and ("API_KEY_INVALID" in reasons or "api key not valid" in
                          (message or "").lower()):
        return AuthenticationError(
            f"{spec.action[:1].upper()}{spec.action[1:]} was refused: the key is not valid; "
            f"check GEMINI_API_KEY.", status_code=status, provider=NAME,
            request_id=request_id(headers))
    return _refine_refusal(spec, status, headers, content)


def normalize_error(content: bytes) -> bytes:
    """A Google error body in the shape the generic mapping reads, the service's words kept."""
    word, message, _ = _google_error(content)
    if message is None:
        return content
    return json.dumps({"error": {"code": word, "message": message}}).encode("utf-8")


class VeoProvider(DialectProvider):
    """submit / poll / download / extend against the Gemini API (or ``stillmotion serve``)."""

    NAME = NAME
    KEY_VARIABLES = KEY_VARIABLES
    AUTH_HEADER = "x-goog-api-key"
    AUTH_SCHEME = ""
    REFINE = refine_error
    NORMALIZE = normalize_error

    def submit(self, request: GenerationRequest) -> JobState:
        """Start the operation once (never retried after it may have reached the service)."""
        spec = create_request(request.model or self.default_model, request)
        return self._started(self.http.call(VeoOperation, spec), spec)

    def extend(self, job_id: str, prompt: str, seconds: int) -> JobState:
        """Continue the finished operation ``job_id`` natively by ``seconds`` (a paid create)."""
        source = self.poll(job_id)
        if source.status is not JobStatus.COMPLETED:
            raise JobError(f"Veo job {job_id} is {source.raw_status}; only a finished video can "
                           "be extended.", provider=NAME)
        parts = job_id.split("/")
        model = parts[1] if len(parts) > 2 and parts[0] == "models" else self.default_model
        spec = extend_request(model, str(source.raw[RESULT_URL]), prompt, seconds)
        return self._started(self.http.call(VeoOperation, spec), spec)

    def _started(self, op: VeoOperation, spec: RequestSpec) -> JobState:
        if not op.name:
            raise ResponseValidationError(
                f"{spec.action[:1].upper()}{spec.action[1:]} got no operation name back; check "
                f"that --base-url is the Gemini API root ({self.http.target.root}).",
                provider=NAME)
        return read_operation(op, op.name)

    def poll(self, job_id: str) -> JobState:
        """Observe the operation once; a refused job raises PolicyRejectedError."""
        return read_operation(self.http.call(VeoOperation, operation_request(job_id)), job_id)
