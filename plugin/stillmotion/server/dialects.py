"""The vendor dialects of ``stillmotion serve`` (Veo, Runway, fal, Kling, Seedance, Wan,
OpenRouter): what their routers share.

Why a layer over :class:`~stillmotion.server.service.VideoService` and not a second server: a
Veo operation, a Runway task, a fal request or a Kling task is one of the service's jobs,
rendered by its preview engine and kept in its store; each dialect router only translates its
wire format (paths, auth headers, bodies, status words, error shapes, result URLs) onto the
service's calls, and keeps what the service does not know (which dialect and model, an
injected refusal) in the job record's ``extra``; a last frame goes to the service, whose render
ends on it. The routers live on their own paths, so one server speaks /v1/videos and every
dialect at once (:func:`mount_dialects`). Task ids are the service job's hex
(:func:`task_uuid`, :func:`job_of_task`), so no second table of ids is kept.

Fault hooks (``dialect_state(service).replace(DialectFaultPlan(...))``, or ``POST
/_dialect_faults`` in test mode) provoke what the clients must survive: status words nobody
documented, result URLs that have expired, and refusals of the image. Refusals of the prompt come
from the server's own moderation words (``FaultPlan.moderation_words``); every dialect reports
them in its own way.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from stillmotion.errors import StillmotionError
from stillmotion.server.errors import APIError
from stillmotion.server.inputs import Upload, decode_data_url, image_kind, image_size
from stillmotion.server.service import VideoService
from stillmotion.server.store import FAILED, JobRecord

MODERATION_CODE = "moderation_blocked"
MAX_SIDE = 1920


class DialectError(Exception):
    """An answer in a dialect's own error shape (``body``) with its HTTP status."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class DialectFaultPlan(BaseModel):
    """What goes wrong next in the dialects (counts run down as faults fire).

    - ``status_values``: the next status answers (any dialect) report these raw status words,
      one per answer, instead of the real one (Veo: as ``metadata.state`` of an unfinished
      operation).
    - ``expired_downloads``: the next N result downloads answer ``expired_status`` as an
      expired signed URL would.
    - ``refuse_images``: the next N jobs created are refused for their image (reported when
      the job is looked at: Veo filtered samples, Runway ``SAFETY.INPUT.IMAGE``, fal 422 on
      ``image_url``).
    """

    model_config = ConfigDict(extra="forbid")

    status_values: list[str] = Field(default_factory=list)
    expired_downloads: int = Field(default=0, ge=0)
    expired_status: int = Field(default=403, ge=400, le=599)
    refuse_images: int = Field(default=0, ge=0)


class DialectState:
    """The dialects' fault plan and URL-signing secret for one service; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plan = DialectFaultPlan()
        self._secret = secrets.token_bytes(16)

    def replace(self, plan: DialectFaultPlan | None = None) -> None:
        """Swap in a new plan (no argument: no faults)."""
        with self._lock:
            self._plan = (plan or DialectFaultPlan()).model_copy(deep=True)

    def plan(self) -> DialectFaultPlan:
        """A copy of what is left of the plan."""
        with self._lock:
            return self._plan.model_copy(deep=True)

    def take_status(self) -> str | None:
        """The next injected status word, if any."""
        with self._lock:
            return self._plan.status_values.pop(0) if self._plan.status_values else None

    def take(self, name: str) -> bool:
        """Fire the counted fault ``name`` once if any is left."""
        with self._lock:
            left = int(getattr(self._plan, name))
            if left <= 0:
                return False
            setattr(self._plan, name, left - 1)
            return True

    def expired_status(self) -> int:
        """The status an expired download answers."""
        with self._lock:
            return self._plan.expired_status

    def sign(self, job_id: str, expires: int, nonce: str) -> str:
        """The signature of a result URL for ``job_id`` valid until ``expires`` (unix s);
        ``nonce`` makes every URL handed out a new one, as real signed URLs are."""
        message = f"{job_id}:{expires}:{nonce}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def signed_query(self, job_id: str, expires: int) -> str:
        """``exp=…&n=…&sig=…`` for a fresh signed URL."""
        nonce = secrets.token_hex(4)
        return f"exp={expires}&n={nonce}&sig={self.sign(job_id, expires, nonce)}"

    def signed_ok(self, job_id: str, expires: str, nonce: str, signature: str) -> bool:
        """Whether a presented signature is right and not past its time."""
        try:
            when = int(expires)
        except ValueError:
            return False
        good = hmac.compare_digest(self.sign(job_id, when, nonce), signature)
        return good and when >= time.time()


_STATES: weakref.WeakKeyDictionary[VideoService, DialectState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def dialect_state(service: VideoService) -> DialectState:
    """The dialect faults and signer of ``service`` (made on first use)."""
    with _STATES_LOCK:
        state = _STATES.get(service)
        if state is None:
            state = DialectState()
            _STATES[service] = state
        return state


@dataclass(frozen=True)
class JobView:
    """A job as a dialect reports it: the record, its status, and why it failed."""

    record: JobRecord
    status: str
    refused: str | None
    injected: str | None

    @property
    def extra(self) -> dict[str, Any]:
        """The dialect's own facts about the job."""
        return self.record.extra

    @property
    def error_message(self) -> str:
        """The failure's words (the service's own for a render failure)."""
        return str((self.record.error or {}).get("message") or "The render failed.")


def view(service: VideoService, job_id: str, dialect: str, *,
         status_answer: bool = False) -> JobView | None:
    """The job ``job_id`` if it exists and belongs to ``dialect`` (else None: a 404).

    ``status_answer``: the view is for a status answer, which takes the next injected status
    word (downloads and results never do).
    """
    record = service.store.get(job_id)
    if record is None or record.extra.get("dialect") != dialect:
        return None
    refused = record.extra.get("refused")
    if record.error and record.error.get("code") == MODERATION_CODE:
        refused = "prompt"
    status = FAILED if refused else record.status  # input moderation answers at once
    injected = dialect_state(service).take_status() if status_answer else None
    return JobView(record, status, refused, injected)


def task_uuid(job_id: str) -> str:
    """A service job id (``video_<32 hex>``) spelled as a UUID (Runway, Wan and fal ids)."""
    return str(uuid.UUID(hex=job_id.removeprefix("video_")))


def job_of_task(task: str) -> str | None:
    """The service job id of a task id holding the job's hex in any UUID spelling (dashed or
    bare), or None when it is not one of ours."""
    try:
        return "video_" + uuid.UUID(hex=task).hex
    except ValueError:
        return None


def root_url(request: Request) -> str:
    """``http://host:port`` as the client reached this server (for absolute URLs)."""
    return str(request.base_url).rstrip("/")


def free_model(service: VideoService) -> str:
    """A model of the service that takes any size (dialect jobs render through it)."""
    for name in service.catalog.models:
        if service.catalog.rule(name).sizes is None:
            return name
    raise APIError(500, "This server has no free-size model to render dialect jobs; start it "
                   "with --extra-model preview.", type="server_error", code="internal_error")


def decode_image(value: object, param: str) -> bytes:
    """An image sent as a base64 data URI (Runway, fal); 400 for anything else."""
    if not isinstance(value, str) or not value:
        raise APIError(400, f"Invalid '{param}': expected an image data URI.", param=param,
                       code="invalid_type")
    data = decode_data_url(value, param)
    image_kind(data, param)
    return data


def fit_to(data: bytes, size: tuple[int, int], param: str) -> bytes:
    """The image bytes, centre-cropped to exactly ``size`` when they are another size (the
    vendors take any still; the service wants the render's size)."""
    from stillmotion.media.frames import fit_image

    with tempfile.TemporaryDirectory(prefix="stillmotion-dialect-") as scratch:
        source = Path(scratch) / "in.img"
        source.write_bytes(data)
        if image_size(source, param) == size:
            return data
        fitted = Path(scratch) / "fitted.png"
        try:
            fit_image(source, fitted, size, fit="crop")
        except StillmotionError as exc:
            raise APIError(400, f"Invalid '{param}': {exc.message}", param=param,
                           code="invalid_image") from exc
        return fitted.read_bytes()


def still_size(data: bytes, param: str) -> tuple[int, int]:
    """A render size following the still's shape: even sides, the longest at most 1920."""
    with tempfile.TemporaryDirectory(prefix="stillmotion-dialect-") as scratch:
        source = Path(scratch) / "in.img"
        source.write_bytes(data)
        width, height = image_size(source, param)
    scale = min(1.0, MAX_SIDE / max(width, height))
    return (max(16, round(width * scale / 2) * 2), max(16, round(height * scale / 2) * 2))


def create_job(service: VideoService, *, dialect: str, model: str, prompt: str,
               size: tuple[int, int], seconds: int, image: bytes, last: bytes | None,
               extra: dict[str, Any] | None = None, sound: bool = True) -> JobRecord:
    """Queue a render on the service for a dialect request: it starts on ``image`` and, when
    a ``last`` frame came, ends on it (the job record's ``last_image``); ``sound`` is what the
    dialect read from the vendor's sound switch (:mod:`stillmotion.server.sound`)."""
    last_reference = None if last is None else Upload(fit_to(last, size, "last_frame"),
                                                      "last_frame.png")
    record = service.create(prompt=prompt, model=free_model(service),
                            size=f"{size[0]}x{size[1]}", seconds=str(seconds),
                            reference=Upload(fit_to(image, size, "image"), "first_frame.png"),
                            last_reference=last_reference, sound=sound)
    job_id = str(record["id"])
    facts: dict[str, Any] = {"dialect": dialect, "model": model, **(extra or {})}
    if dialect_state(service).take("refuse_images"):
        facts["refused"] = "image"
    updated = service.store.update(job_id, extra=facts)
    assert updated is not None
    return updated


async def in_thread(call: Callable[..., Any], *args: Any,
                    shape: Callable[[APIError], DialectError], **kwargs: Any) -> Any:
    """Run a service call off the event loop; its refusals re-shaped for the dialect."""
    try:
        return await run_in_threadpool(call, *args, **kwargs)
    except APIError as exc:
        raise shape(exc) from None


def bearer(request: Request) -> str | None:
    """The key of an ``Authorization: Bearer KEY`` header (Runway, OpenRouter), if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def json_object(request: Request, keys: set[str],
                      error: Callable[[int, str], DialectError]) -> dict[str, Any]:
    """A request's JSON object body holding only ``keys``; the dialect's 400 otherwise."""
    try:
        body = await request.json()
    except ValueError:
        raise error(400, "The body is not JSON.") from None
    if not isinstance(body, dict):
        raise error(400, "The body must be a JSON object.")
    unknown = sorted(set(body) - keys)
    if unknown:
        raise error(400, f"Unrecognized key '{unknown[0]}' in the body.")
    return body


def json_answer(body: Any, status: int = 200) -> JSONResponse:
    """A JSON answer."""
    return JSONResponse(body, status_code=status)


def mount_dialects(app: FastAPI, service: VideoService) -> None:
    """Add the Veo, Runway, fal, Kling, Seedance, Wan and OpenRouter routers (and, in test
    mode, ``/_dialect_faults``)."""
    from stillmotion.server.dialect_fal import router as fal_router
    from stillmotion.server.dialect_kling import router as kling_router
    from stillmotion.server.dialect_openrouter import router as openrouter_router
    from stillmotion.server.dialect_runway import router as runway_router
    from stillmotion.server.dialect_seedance import router as seedance_router
    from stillmotion.server.dialect_veo import router as veo_router
    from stillmotion.server.dialect_wan import router as wan_router

    state = dialect_state(service)

    @app.exception_handler(DialectError)
    async def dialect_error(request: Request, exc: DialectError) -> Response:
        if isinstance(exc.body, str):
            return Response(exc.body, status_code=exc.status, headers=exc.headers,
                            media_type="application/xml")
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    if service.options.test_mode:
        @app.get("/_dialect_faults")
        async def get_dialect_faults() -> JSONResponse:
            return JSONResponse(state.plan().model_dump())

        @app.post("/_dialect_faults")
        async def set_dialect_faults(request: Request) -> JSONResponse:
            try:
                plan = DialectFaultPlan.model_validate(await request.json())
            except (ValidationError, ValueError) as exc:
                raise APIError(400, f"Invalid dialect fault plan: {exc}.",
                               code="invalid_value") from None
            state.replace(plan)
            return JSONResponse(state.plan().model_dump())

    app.include_router(veo_router(service))
    app.include_router(runway_router(service))
    app.include_router(kling_router(service))
    app.include_router(seedance_router(service))
    app.include_router(wan_router(service))
    app.include_router(openrouter_router(service))  # before fal: /api/v1/videos is not a model
    app.include_router(fal_router(service))  # last: it takes every POST nobody else took


def route_key(request: Request) -> str:
    """``"POST /v1/image_to_video"`` style counter key (the route's path template)."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', None) or '<unmatched>'}"


def gate(
    service: VideoService,
    *,
    presented: Callable[[Request], str | None],
    auth_error: Callable[[bool], DialectError],
    error: Callable[[int, str], DialectError],
    check: Callable[[Request], None] | None = None,
    keyed: bool = True,
) -> Callable[[Request], Any]:
    """A dialect's request gate: count, check its headers and key, then fire shared faults
    (rate limits, GET 500s, slow answers) in the dialect's own error shape.

    ``auth_error(missing)`` shapes a missing (True) or wrong (False) key; ``error(status,
    message)`` any other refusal. ``keyed`` False: no key is asked (signed result URLs).
    """
    options = service.options
    faults = service.faults

    async def run(request: Request) -> None:
        faults.count_request(route_key(request))
        if check is not None:
            check(request)
        if keyed and options.require_key:
            key = presented(request)
            if key is None:
                raise auth_error(True)
            if not hmac.compare_digest(key.encode(), options.require_key.encode()):
                raise auth_error(False)
        if faults.take("rate_limit", request.method):
            wait_ms = faults.plan().retry_after_ms
            refused = error(429, "Rate limit reached; slow down and try again.")
            refused.headers.update({"retry-after-ms": str(wait_ms),
                                    "Retry-After": str(max(1, -(-wait_ms // 1000)))})
            raise refused
        if request.method == "GET" and faults.take("server_errors"):
            raise error(500, "The server had an error while processing your request.")
        if faults.take("slow"):
            await asyncio.sleep(faults.plan().delay_ms / 1000)

    return run
