"""The FastAPI application: /v1 routes onto :class:`VideoService`, errors in the OpenAI envelope.

Why bodies are read by hand (not declared as FastAPI models): the same call arrives as JSON or
as multipart with bracketed nested fields, and refusals must use the original's wording and
envelope, which FastAPI's automatic 422 does not. Every /v1 request goes through :func:`gate`
(count, key check, injected faults) first.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import re
import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stillmotion.server.dialects import mount_dialects
from stillmotion.server.errors import (
    SERVER_ERROR,
    APIError,
    envelope,
    invalid_value,
    quoted_choices,
)
from stillmotion.server.faults import FaultPlan
from stillmotion.server.inputs import (
    MAX_VIDEO_BYTES,
    Upload,
    nest_form,
    reference_image,
    text_field,
    video_source,
)
from stillmotion.server.responses import BrokenDownload, DroppedAnswer
from stillmotion.server.service import VideoService
from stillmotion.server.store import TERMINAL

LIST_LIMIT_DEFAULT = 20
LIST_LIMIT_MAX = 100


class RequestIdMiddleware:
    """Adds ``x-request-id: req_…`` to every answer (clients quote it in error messages)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ("req_" + secrets.token_hex(12)).encode("ascii")

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid)]
            await send(message)

        await self.app(scope, receive, stamped)


def _route_key(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None) or "<unmatched>"
    return f"{request.method} {path}"


def _presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("api-key") or None


def _json_error(exc: APIError) -> JSONResponse:
    return JSONResponse(exc.envelope(), status_code=exc.status, headers=exc.headers)


async def _read_body(request: Request) -> dict[str, Any]:
    """The request body as a dict, from JSON or a (multipart or urlencoded) form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form(max_part_size=MAX_VIDEO_BYTES)
        items: list[tuple[str, Any]] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                items.append((key, Upload(await value.read(), value.filename)))
            else:
                items.append((key, value))
        return nest_form(items)
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise APIError(400, "We could not parse the JSON body of your request. (HINT: This "
                       "likely means you aren't using your HTTP library correctly. The OpenAI "
                       "API expects a JSON payload, but what was sent was not valid JSON.)",
                       code="invalid_json") from None
    if not isinstance(body, dict):
        raise APIError(400, "Invalid body: expected a JSON object.", code="invalid_type")
    return body


def _validation_error(exc: RequestValidationError) -> APIError:
    """FastAPI's validation failure reworded as the original would (first problem only)."""
    first: dict[str, Any] = dict(exc.errors()[0]) if exc.errors() else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    param = ".".join(loc) or None
    kind = first.get("type", "")
    given = first.get("input")
    ctx = first.get("ctx") or {}
    if kind == "greater_than_equal":
        return APIError(400, f"Invalid '{param}': integer below minimum value. Expected a value "
                        f"greater than or equal to {ctx.get('ge')}, but got {given} instead.",
                        param=param, code="integer_below_min_value")
    if kind == "less_than_equal":
        return APIError(400, f"Invalid '{param}': integer above maximum value. Expected a value "
                        f"less than or equal to {ctx.get('le')}, but got {given} instead.",
                        param=param, code="integer_above_max_value")
    if kind == "int_parsing":
        return APIError(400, f"Invalid '{param}': expected an integer, but got '{given}' "
                        "instead.", param=param, code="invalid_type")
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return invalid_value(param or "value", str(given), quoted_choices(choices))
    return APIError(400, f"Invalid '{param}': {first.get('msg', 'invalid value')}.",
                    param=param, code="invalid_value")


def create_app(service: VideoService) -> FastAPI:
    """The ASGI app serving ``service`` under ``/v1`` (plus ``/_faults``, ``/_stats`` in test
    mode and ``/healthz``)."""
    options = service.options
    faults = service.faults

    async def gate(request: Request) -> None:
        """Count the request, check the key, then fire any injected fault."""
        faults.count_request(_route_key(request))
        if options.require_key:
            presented = _presented_key(request)
            if presented is None:
                raise APIError(401, "You didn't provide an API key. Send it as "
                               "'Authorization: Bearer KEY' or 'api-key: KEY'.",
                               code="missing_api_key")
            if not hmac.compare_digest(presented.encode(), options.require_key.encode()):
                raise APIError(401, "Incorrect API key provided.", code="invalid_api_key")
        if faults.take("rate_limit", request.method):
            wait_ms = faults.plan().retry_after_ms
            raise APIError(429, "Rate limit reached for requests; slow down and try again.",
                           type="requests", code="rate_limit_exceeded",
                           headers={"retry-after-ms": str(wait_ms),
                                    "Retry-After": str(math.ceil(wait_ms / 1000))})
        if request.method == "GET" and faults.take("server_errors"):
            raise APIError(500, "The server had an error while processing your request. "
                           "Sorry about that!", type=SERVER_ERROR, code="internal_error")
        if faults.take("slow", request.method):
            await asyncio.sleep(faults.plan().delay_ms / 1000)

    app = FastAPI(title="stillmotion serve", version="1", docs_url="/docs", redoc_url=None)
    app.add_middleware(RequestIdMiddleware)
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(gate)])

    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError) -> JSONResponse:
        return _json_error(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            faults.count_request(_route_key(request))
            message = f"Invalid URL ({request.method} {request.url.path})"
            return _json_error(APIError(404, message, code="unknown_url"))
        if exc.status_code == 405:
            return _json_error(APIError(405, f"Method {request.method} is not allowed on "
                                        f"{request.url.path}.", code="method_not_allowed"))
        return _json_error(APIError(exc.status_code, str(exc.detail)))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _json_error(_validation_error(exc))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(envelope("The server had an error while processing your request.",
                                     type=SERVER_ERROR, code="internal_error"), status_code=500)

    @v1.post("/videos")
    async def create_video(request: Request) -> Response:
        body = await _read_body(request)
        if faults.take("drop_creates"):
            return DroppedAnswer()
        reference = body.get("input_reference")
        return JSONResponse(await run_in_threadpool(
            service.create, prompt=body.get("prompt"), model=text_field(body, "model"),
            size=text_field(body, "size"), seconds=text_field(body, "seconds"),
            reference=None if reference in (None, "") else reference_image(reference)))

    @v1.get("/videos")
    async def list_videos(
        after: str | None = None,
        limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = LIST_LIMIT_DEFAULT,
        order: Literal["asc", "desc"] = "desc",
    ) -> JSONResponse:
        return JSONResponse(service.list(after=after or None, limit=limit, order=order))

    @v1.post("/videos/extensions")
    async def extend_video(request: Request) -> JSONResponse:
        body = await _read_body(request)
        return JSONResponse(await run_in_threadpool(
            service.extend, prompt=body.get("prompt"), seconds=text_field(body, "seconds"),
            video=video_source(body.get("video")), model=text_field(body, "model")))

    @v1.post("/videos/edits")
    async def edit_video(request: Request) -> JSONResponse:
        body = await _read_body(request)
        return JSONResponse(await run_in_threadpool(
            service.edit, prompt=body.get("prompt"), video=video_source(body.get("video")),
            model=text_field(body, "model")))

    @v1.post("/videos/characters")
    async def create_character(request: Request) -> JSONResponse:
        body = await _read_body(request)
        return JSONResponse(await run_in_threadpool(
            service.create_character, name=body.get("name"), video=body.get("video")))

    @v1.get("/videos/characters/{character_id}")
    async def get_character(character_id: str) -> JSONResponse:
        return JSONResponse(service.get_character(character_id))

    @v1.get("/videos/{video_id}")
    async def retrieve_video(video_id: str) -> JSONResponse:
        video = service.retrieve(video_id)
        headers = ({} if video["status"] in TERMINAL
                   else {"openai-poll-after-ms": str(options.poll_after_ms)})
        return JSONResponse(video, headers=headers)

    @v1.delete("/videos/{video_id}")
    async def delete_video(video_id: str) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(service.delete, video_id))

    @v1.get("/videos/{video_id}/content")
    async def video_content(
        video_id: str, variant: Literal["video", "thumbnail", "spritesheet"] = "video",
    ) -> Response:
        path, media_type = await run_in_threadpool(service.content, video_id, variant)
        if faults.take("expire_downloads"):
            raise APIError(410, f"The content of video '{video_id}' has expired; create the "
                           "video again.", code="video_expired")
        for mode in ("drop", "truncate"):
            if faults.take(f"{mode}_downloads"):
                return BrokenDownload(path, media_type, mode)
        return FileResponse(path, media_type=media_type)

    @v1.post("/videos/{video_id}/remix")
    async def remix_video(video_id: str, request: Request) -> JSONResponse:
        body = await _read_body(request)
        return JSONResponse(await run_in_threadpool(service.remix, video_id,
                                                    prompt=body.get("prompt")))

    @v1.post("/files")
    async def upload_file(request: Request) -> JSONResponse:
        body = await _read_body(request)
        return JSONResponse(await run_in_threadpool(
            service.upload_file, upload=body.get("file"), purpose=body.get("purpose")))

    @v1.get("/files/{file_id}")
    async def get_file(file_id: str) -> JSONResponse:
        return JSONResponse(service.get_file(file_id))

    app.include_router(v1)

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    if options.test_mode:
        @app.get("/_faults")
        async def get_faults() -> JSONResponse:
            return JSONResponse(faults.plan().model_dump())

        @app.post("/_faults")
        async def set_faults(request: Request) -> JSONResponse:
            try:
                plan = FaultPlan.model_validate(await _read_body(request))
            except ValidationError as exc:
                raise APIError(400, f"Invalid fault plan: {exc.errors()[0]['msg']}.",
                               code="invalid_value") from None
            faults.replace(plan)
            return JSONResponse(faults.plan().model_dump())

        @app.get("/_stats")
        async def get_stats() -> JSONResponse:
            return JSONResponse(faults.stats())

        @app.delete("/_stats")
        async def reset_stats() -> JSONResponse:
            faults.reset_stats()
            return JSONResponse(faults.stats())

    mount_dialects(app, service)  # Veo, Runway, fal on their own paths (after every route)
    return app
