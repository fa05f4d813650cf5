"""What the vendor dialects share: status words, refusals naming their input, images on the wire.

Why one module: Veo, Runway and fal spell the same ideas differently, but the rules of the common
job model are one: an unknown status is running unless its word or an error says it ended (the
raw value is always kept); a content refusal is a :class:`PolicyRejectedError` that says whether
the image or the prompt was refused; an expired result is a :class:`ContentExpiredError`.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import httpx

from stillmotion.api import capabilities
from stillmotion.api._core import HttpCore, Normalize, Refine
from stillmotion.api._parse import error_json, request_id
from stillmotion.api._requests import RequestSpec
from stillmotion.api._target import Target
from stillmotion.api.params import read_image
from stillmotion.api.providers.base import GenerationRequest, JobState, JobStatus
from stillmotion.api.retry import RetryPolicy
from stillmotion.api.sniff import MIME_TYPES, sniff
from stillmotion.errors import (
    ContentExpiredError,
    JobError,
    PolicyRejectedError,
    ResponseValidationError,
)

RefusedInput = Literal["image", "prompt", "output"]
P = TypeVar("P", bound="DialectProvider")

_ENDED_WORDS = ("fail", "error", "cancel", "abort", "expire", "reject", "timeout", "timed_out",
                "denied", "refused", "blocked", "killed", "lost")
_MAX_QUOTED = 300


def unknown_status(raw: str, *, has_error: bool = False) -> JobStatus:
    """The reference's rule for a status word a dialect does not document.

    Words of ending (``ABORTED``, ``expired``, ``ERROR`` …) or an answer carrying an error are
    terminal failures; anything else is still running, and the poll deadline bounds the wait.
    """
    lowered = raw.lower()
    if has_error or any(word in lowered for word in _ENDED_WORDS):
        return JobStatus.FAILED
    return JobStatus.RUNNING


def input_named(*texts: str | None) -> RefusedInput | None:
    """Which input a refusal's words name: the image, the prompt (text), or the output."""
    joined = " ".join(t.lower() for t in texts if t)
    if not joined:
        return None
    if "image" in joined or "frame" in joined or "photo" in joined:
        return "image"
    if "prompt" in joined or "text" in joined:
        return "prompt"
    if "output" in joined or "generated" in joined:
        return "output"
    return None


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_QUOTED else text[: _MAX_QUOTED - 1] + "…"


def refusal(provider: str, what: str, refused: RefusedInput | None, words: str | None,
            *, request_id: str | None = None) -> PolicyRejectedError:
    """The one-sentence refusal: ``what`` ("Job X", "Creating a Veo video") and which input."""
    said = f" (\"{_quoted(words)}\")" if words else ""
    if refused == "image":
        head, advice = "the reference image was refused", "use a different still"
    elif refused == "prompt":
        head, advice = "the prompt was refused", "reword the prompt"
    elif refused == "output":
        head, advice = "the generated video was refused", "change the prompt or the still"
    else:
        head, advice = "the request was refused", "change the prompt or the reference image"
    return PolicyRejectedError(
        f"{what}: {head} by {provider}'s content policy{said}; {advice} and submit it again.",
        provider=provider, request_id=request_id)


def expired(provider: str, job_id: str, status: int) -> ContentExpiredError:
    """The result URL of a finished job no longer serves the video."""
    return ContentExpiredError(
        f"The result of {provider} job {job_id} is no longer available (HTTP {status}: the "
        "download URL expired); generate the clip again.", provider=provider)


def image_payload(path: Path) -> tuple[str, str]:
    """A JPEG/PNG/WebP still as (base64 text, MIME type), its type sniffed from the bytes."""
    data = read_image(path)
    kind = sniff(data[:16])
    assert kind is not None  # read_image refused anything else
    return base64.b64encode(data).decode("ascii"), MIME_TYPES[kind]


def data_uri(path: Path) -> str:
    """A still as a ``data:image/...;base64,`` URI (Runway ``promptImage``, fal ``image_url``)."""
    encoded, mime = image_payload(path)
    return f"data:{mime};base64,{encoded}"


def put_sound(fields: dict[str, Any], name: str, request: GenerationRequest, *,
              takes: bool = True, makes: bool = True, on: Any = True, off: Any = False) -> None:
    """Write a vendor's sound switch ``fields[name]`` from the job's wish (``request.audio``):
    the one rule for every dialect that has one (OpenRouter, Kling, fal, Runway, Seedance, Wan).

    ``takes``: the model documents the field (else it is never sent: vendors may refuse an
    unknown field). ``makes``: the model makes sound at this request's size (else a wish for
    sound is sent as ``off``). ``--no-audio`` (False) writes ``off`` over any knob the user
    set, so no sound is made or billed; a promise of sound (True) writes ``on`` unless a knob
    already said; no wish (None) leaves the field out, the vendor's default.
    """
    if request.audio is None or not takes:
        return
    if request.audio and makes:
        fields.setdefault(name, on)
    else:
        fields[name] = off


DOWNLOAD_ACCEPT = "video/mp4, application/octet-stream;q=0.9, */*;q=0.5"
"""The Accept header of result downloads (how the error hooks tell a download from a call)."""
RESULT_URL = "result_url"
"""The key in ``JobState.raw`` holding a finished job's video URL."""
EXPIRED_STATUSES = frozenset({403, 404, 410})
"""Answers of a result URL past its life: signed URLs say 403, stores 404 or 410."""


def download_spec(url: str, job_id: str, provider: str) -> RequestSpec:
    """The GET of a finished job's result URL (idempotent: retried on transient failures)."""
    return RequestSpec("GET", url, f"downloading the video of {provider} job {job_id}",
                       idempotent=True, accept=DOWNLOAD_ACCEPT, subject=job_id)


def expired_download(provider: str, spec: RequestSpec, status: int) -> ContentExpiredError | None:
    """ContentExpiredError when ``spec`` is a result download answered as expired."""
    if spec.accept == DOWNLOAD_ACCEPT and status in EXPIRED_STATUSES:
        return expired(provider, spec.subject or "?", status)
    return None


Reading = tuple[RefusedInput | None, str | None]
"""What a dialect reads in a refusal's error body: which input was refused, and its words."""


def refusal_refine(provider: str, read: Callable[[Any], Reading | None], *,
                   statuses: frozenset[int] = frozenset({400, 422})) -> Refine:
    """A dialect's ``REFINE``, one rule for all: a result download answered as expired is
    :func:`expired`; an error answer with one of ``statuses`` whose JSON body ``read`` finds to
    be a content refusal is :func:`refusal`, naming the refused input and quoting the vendor
    (request id from the headers, else the body's ``request_id``); anything else is None, for
    the generic mapping. ``read`` gets the parsed body (any shape, None when not JSON)."""
    def refine(spec: RequestSpec, status: int, headers: Mapping[str, str],
               content: bytes) -> PolicyRejectedError | ContentExpiredError | None:
        gone = expired_download(provider, spec, status)
        if gone is not None or status not in statuses:
            return gone
        body = error_json(content)
        found = read(body)
        if found is None:
            return None
        refused, words = found
        said = body.get("request_id") if isinstance(body, dict) else None
        action = spec.action[:1].upper() + spec.action[1:]
        return refusal(provider, action, refused, words, request_id=request_id(headers) or (
            said if isinstance(said, str) else None))
    return refine


class DialectProvider:
    """What every vendor provider does alike: open, close, and download a finished job's result.

    Subclasses say who they are (``NAME``, ``KEY_VARIABLES``), how the key is sent
    (``AUTH_HEADER`` with ``AUTH_SCHEME`` before the key, or the bare key when the scheme is
    empty; ``FIXED_HEADERS`` go with every request), their error hooks (``REFINE``,
    ``NORMALIZE``). Where the key may go is not theirs to say: every request, result download
    and redirect takes its headers from the one rule of
    :meth:`~stillmotion.api._target.Target.headers_for` (the root's own origin only), so Veo's
    file URIs on the API host get it and signed URLs elsewhere (Runway's CDN, fal's media host,
    storage redirects) never do. They implement ``submit`` and ``poll`` (``poll`` puts the
    result URL in ``raw[RESULT_URL]`` once the job completed).
    """

    NAME: ClassVar[str]
    KEY_VARIABLES: ClassVar[tuple[str, ...]]
    AUTH_HEADER: ClassVar[str] = "Authorization"
    AUTH_SCHEME: ClassVar[str] = "Bearer"
    FIXED_HEADERS: ClassVar[Mapping[str, str]] = {}
    REFINE: ClassVar[Refine | None] = None
    NORMALIZE: ClassVar[Normalize | None] = None

    @classmethod
    def open(
        cls: type[P],
        root: str,
        key: str | None,
        *,
        default_model: str | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> P:
        """A provider for the API at ``root`` (vendor default: the module's ``DEFAULT_ROOT``)."""
        target = Target.resolve(root, provider=cls.NAME, key_variable=cls.KEY_VARIABLES[0],
                                key=key, auth=cls.auth_headers, fixed=cls.FIXED_HEADERS)
        http = HttpCore(target, refine=cls.REFINE, normalize=cls.NORMALIZE, timeout=timeout,
                        retry=retry, sleep=sleep, transport=transport)
        return cls(http, name=cls.NAME,
                   default_model=default_model or capabilities.DEFAULT_MODEL[cls.NAME])

    @classmethod
    def auth_headers(cls, key: str) -> dict[str, str]:
        """The authentication header carrying ``key`` in this vendor's style."""
        return {cls.AUTH_HEADER: f"{cls.AUTH_SCHEME} {key}" if cls.AUTH_SCHEME else key}

    def __init__(self, http: HttpCore, *, name: str, default_model: str) -> None:
        self.name = name
        self.http = http
        self.default_model = default_model

    def close(self) -> None:
        """Close the connections."""
        self.http.close()

    def declare(self, models: Mapping[str, Any]) -> None:
        """Learn what the user declared about their own models (the settings' ``models``
        table); a dialect whose request depends on the model (fal) reads it, others need not."""

    def submit(self, request: GenerationRequest) -> JobState:
        """Create the job once (implemented by each dialect)."""
        raise NotImplementedError

    def poll(self, job_id: str) -> JobState:
        """Observe the job once (implemented by each dialect)."""
        raise NotImplementedError

    def download(self, job: JobState, dest: Path) -> Path:
        """Stream the finished video to ``dest``; an expired URL is asked for afresh once.

        ``job`` may be a bare completed state (a resumed run): the job is polled for its URL.
        """
        state = job if job.raw.get(RESULT_URL) else self.poll(job.id)
        if state.status is not JobStatus.COMPLETED:
            raise JobError(f"Job {job.id} is {state.raw_status or state.status.value}, not "
                           "completed; wait for it before downloading.", provider=self.name)
        url = str(state.raw.get(RESULT_URL) or "")
        if not url:
            raise ResponseValidationError(
                f"{self.name} job {job.id} finished without a video URL; generate it again.",
                provider=self.name)
        try:
            return self.http.download(download_spec(url, job.id, self.name), dest)
        except ContentExpiredError:
            fresh = str(self.poll(job.id).raw.get(RESULT_URL) or "")
            if not fresh or fresh == url:
                raise
            return self.http.download(download_spec(fresh, job.id, self.name), dest)
