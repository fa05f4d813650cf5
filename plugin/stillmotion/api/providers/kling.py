"""Kling's official API as a Provider: image2video tasks signed with a JWT from a key pair.

Wire (Kling API reference, as mirrored in tests/data/vendors/kling/README.md): every call
carries ``Authorization: Bearer <JWT>``, an HS256 token with header ``{"alg": "HS256", "typ":
"JWT"}`` and claims ``iss`` = the access key, ``exp`` = now + 1800 s, ``nbf`` = now - 5 s,
signed with the secret key; it is made again five minutes before it expires, and never logged
(it lives only in the request headers, see :class:`TokenHeaders`). ``POST
/v1/videos/image2video`` with ``{"model_name", "image" (bare base64, no data: prefix),
"image_tail" (the last frame), "prompt", "negative_prompt", "mode" ("std" renders 720p,
"pro" 1080p), "duration" (a string: "5"/"10", kling-v3 "3".."15")}`` answers ``{"code": 0,
"message", "request_id", "data": {"task_id", "task_status": "submitted"}}``. ``GET
/v1/videos/image2video/{task_id}`` answers ``data.task_status`` submitted / processing /
succeed / failed with ``task_status_msg`` and ``task_result.videos[{id, url, duration}]``.
HTTP errors carry ``{"code", "message", "request_id"}``: 1000-1004 are authentication
failures, 1301 a content-safety refusal; a failed task whose message names risk control or
content security is a refusal too, naming the image or the prompt when its words do.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict

from stillmotion.api import capabilities, hs256
from stillmotion.api._core import HttpCore
from stillmotion.api._policy import is_policy_code
from stillmotion.api._requests import RequestSpec
from stillmotion.api._target import Target
from stillmotion.api.providers.base import GenerationRequest, JobState, JobStatus
from stillmotion.api.providers.dialect import (
    RESULT_URL,
    DialectProvider,
    Reading,
    image_payload,
    input_named,
    put_sound,
    refusal,
    refusal_refine,
    unknown_status,
)
from stillmotion.api.providers.registry import DIALECTS
from stillmotion.api.retry import RetryPolicy
from stillmotion.errors import ConfigError, ResponseValidationError

NAME = "kling"
DEFAULT_ROOT = DIALECTS[NAME].root
KEY_VARIABLES = DIALECTS[NAME].keys
SECRET_VARIABLE = DIALECTS[NAME].pair or "KLING_SECRET_KEY"
PAIR_NAMES = f"{KEY_VARIABLES[0]} and {SECRET_VARIABLE}"
TOKEN_LIFETIME = 1800
NOT_BEFORE = 5
REFRESH_MARGIN = 300
"""A token is made again this many seconds before it expires (a slow upload must not outlive it)."""
PROMPT_MAX = 2500
KNOBS = {"negative_prompt": str}
"""``GenerationRequest.extra`` keys Kling takes."""
SOUND_MODELS = frozenset({"kling-v2-6", "kling-v3"})
"""Models that take ``sound`` ("on"/"off": V2.6 and later, per Kling's image2video reference
as mirrored at docs.fast-token.com/vi/kling/video/KlingImage2Video and docs.anyfast.ai)."""
PATH = "/v1/videos/image2video"
_POLICY_WORDS = ("risk control", "content security", "sensitive", "inappropriate")
STATUSES = {"submitted": JobStatus.QUEUED, "processing": JobStatus.RUNNING,
            "succeed": JobStatus.COMPLETED, "failed": JobStatus.FAILED}
K = TypeVar("K", bound="KlingProvider")


class TokenHeaders(Mapping[str, str]):
    """The ``Authorization`` header, its JWT made on demand and again before it expires.

    A live mapping rather than a fixed header so a long poll keeps working past 30 minutes;
    ``repr`` shows neither key nor token.
    """

    def __init__(self, access_key: str, secret_key: str,
                 clock: Callable[[], float] = time.time) -> None:
        self._access = access_key
        self._secret = secret_key
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0

    def token(self) -> str:
        """The current JWT (made anew when none exists or it expires within the margin)."""
        with self._lock:
            now = int(self._clock())
            if self._token is None or now >= self._expires - REFRESH_MARGIN:
                self._expires = now + TOKEN_LIFETIME
                self._token = hs256.sign({"iss": self._access, "exp": self._expires,
                                          "nbf": now - NOT_BEFORE}, self._secret)
            return self._token

    def __getitem__(self, name: str) -> str:
        if name != "Authorization":
            raise KeyError(name)
        return f"Bearer {self.token()}"

    def __iter__(self) -> Iterator[str]:
        return iter(("Authorization",))

    def __len__(self) -> int:
        return 1

    def __repr__(self) -> str:
        return "TokenHeaders(<hidden>)"


class KlingEnvelope(BaseModel):
    """Kling's answer envelope (lenient: extra keys kept)."""

    model_config = ConfigDict(extra="allow")

    code: int | str | None = None
    message: str | None = None
    request_id: str | None = None
    data: dict[str, Any] | None = None


def put_sound_switch(body: dict[str, Any], model: str, request: GenerationRequest) -> None:
    """``sound`` in the body by the one rule (:func:`~stillmotion.api.providers.dialect.
    put_sound`), for the models that take it: "off" for ``--no-audio``, "on" when sound is
    wanted and the model's row makes it at this size (:meth:`~stillmotion.api.capabilities.
    ModelCapability.audio_at`: kling-v2-6 sounds in pro mode only, std renders silent video per
    docs.apimart.ai's kling-v2-6 page and modelstream.ai's form "Pro is required when sound is
    enabled"), "off" when it does not, else left out (the model's default)."""
    takes = model in SOUND_MODELS
    makes = takes and capabilities.lookup(NAME, model).audio_at(request.size)
    put_sound(body, "sound", request, takes=takes, makes=makes, on="on", off="off")


def create_request(model: str, request: GenerationRequest) -> RequestSpec:
    """``POST /v1/videos/image2video`` for ``request`` (a paid create)."""
    if request.first_frame is None:
        raise ConfigError("Kling's image2video needs a first frame; give the still.")
    if len(request.prompt) > PROMPT_MAX:
        raise ConfigError(f"The prompt is {len(request.prompt)} characters; Kling takes at "
                          f"most {PROMPT_MAX}, so shorten it.")
    body: dict[str, Any] = {"model_name": model, "image": image_payload(request.first_frame)[0],
                            "prompt": request.prompt, "mode": capabilities.kling_mode(request.size),
                            "duration": str(int(request.seconds))}
    if request.last_frame is not None:
        body["image_tail"] = image_payload(request.last_frame)[0]
    put_sound_switch(body, model, request)
    for key, value in request.extra.items():
        kind = KNOBS.get(key)
        if kind is None:
            raise ConfigError(f"Kling has no setting '{key}'; use one of: "
                              f"{', '.join(sorted(KNOBS))}.")
        if not isinstance(value, kind):
            raise ConfigError(f"The Kling setting '{key}' must be a {kind.__name__}.")
        body[key] = value
    return RequestSpec("POST", PATH, "creating a Kling video", idempotent=False, json=body)


def task_request(task_id: str) -> RequestSpec:
    """``GET /v1/videos/image2video/{task_id}``."""
    if not task_id.strip():
        raise ConfigError("The Kling task id is empty; give the id the service returned.")
    return RequestSpec("GET", f"{PATH}/{quote(task_id, safe='')}",
                       f"checking Kling task {task_id}", idempotent=True, subject=task_id)


def _is_policy(*texts: str | None) -> bool:
    lowered = " ".join(t.lower() for t in texts if t)
    return is_policy_code(lowered) or any(word in lowered for word in _POLICY_WORDS)


def read_task(data: Mapping[str, Any], job_id: str) -> JobState:
    """A task in the common job model; content-safety failures raise PolicyRejectedError."""
    raw = dict(data)
    raw_status = str(data.get("task_status") or "")
    message = str(data.get("task_status_msg") or "") or None
    status = STATUSES.get(raw_status.lower()) if raw_status else None
    if status is None:
        status = unknown_status(raw_status or "missing")
    if status is JobStatus.COMPLETED:
        result = data.get("task_result")
        videos = result.get("videos") if isinstance(result, dict) else None
        url = next((str(v["url"]) for v in videos or [] if isinstance(v, dict) and v.get("url")),
                   None)
        if url is None:
            return JobState(id=job_id, status=JobStatus.FAILED, raw_status=raw_status,
                            error_code="no_video",
                            error_message="the task succeeded without a video URL", raw=raw)
        return JobState(id=job_id, status=status, raw_status=raw_status, progress=100.0,
                        raw={**raw, RESULT_URL: url})
    if status is JobStatus.FAILED:
        if _is_policy(message):
            raise refusal(NAME, f"Kling task {job_id}", input_named(message), message)
        return JobState(id=job_id, status=status, raw_status=raw_status,
                        error_code=raw_status or None, error_message=message, raw=raw)
    return JobState(id=job_id, status=status, raw_status=raw_status, raw=raw)


def read_refusal(body: Any) -> Reading | None:
    """A content-safety refusal in Kling's error body (codes 1300/1301, or policy words)."""
    if not isinstance(body, dict):
        return None
    words = str(body.get("message") or "")
    if str(body.get("code")) not in ("1300", "1301") and not _is_policy(words):
        return None
    return input_named(words), words or None


refine_error = refusal_refine(NAME, read_refusal)
"""Kling's own readings: expired result URLs, and content-safety refusals (code 1301)."""


class KlingProvider(DialectProvider):
    """submit / poll / download against Kling's API (or ``stillmotion serve``)."""

    NAME = NAME
    KEY_VARIABLES = KEY_VARIABLES
    REFINE = refine_error

    @classmethod
    def open(
        cls: type[K],
        root: str,
        key: str | None,
        *,
        default_model: str | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        secret: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> K:
        """A provider signing with the pair ``key`` (access) and ``secret`` (None: read from
        ``KLING_SECRET_KEY``); one half without the other is refused before anything is sent."""
        secret = secret if secret is not None else os.environ.get(SECRET_VARIABLE) or None
        if bool(key) != bool(secret):
            have, missing = (KEY_VARIABLES[0], SECRET_VARIABLE) if key else \
                (SECRET_VARIABLE, KEY_VARIABLES[0])
            raise ConfigError(f"Kling signs requests with a key pair, and only half of it is "
                              f"set: {have} is set but {missing} is not; set {missing} too.")
        target = Target.resolve(root, provider=NAME, key_variable=PAIR_NAMES, key=key,
                                auth=lambda _: {})
        if key and secret:
            target = dataclasses.replace(target, credentials=TokenHeaders(key, secret, clock))
        http = HttpCore(target, refine=cls.REFINE, normalize=cls.NORMALIZE, timeout=timeout,
                        retry=retry, sleep=sleep, transport=transport)
        return cls(http, name=NAME,
                   default_model=default_model or capabilities.DEFAULT_MODEL[NAME])

    def submit(self, request: GenerationRequest) -> JobState:
        """Create the task once (never retried after it may have reached the service)."""
        spec = create_request(request.model or self.default_model, request)
        answer = self.http.call(KlingEnvelope, spec)
        task_id = str((answer.data or {}).get("task_id") or "")
        if not task_id:
            raise ResponseValidationError(
                f"Creating a Kling video got no task id back; check that --base-url is the "
                f"Kling API root ({self.http.target.root}).", provider=NAME)
        return read_task(answer.data or {}, task_id)

    def poll(self, job_id: str) -> JobState:
        """Observe the task once; a content-safety failure raises PolicyRejectedError."""
        answer = self.http.call(KlingEnvelope, task_request(job_id))
        if answer.data is None:
            raise ResponseValidationError(
                f"Kling answered about task {job_id} without its data ({answer.message}); "
                "check the task id and the base URL.", provider=NAME)
        return read_task(answer.data, job_id)
