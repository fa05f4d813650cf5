"""The /v1 router: models, videos (create, list, retrieve, delete, content, remix, extend,
edit), characters and files, each a thin call onto the app's :class:`VideoService`.

Why a module-level router: the routes hold no state; the service comes from the app
(:data:`~stillmotion.server.requests.ServiceDep`), so one router serves every app, and every /v1
request passes :func:`gate` (count, key check, injected faults) first.
"""

from __future__ import annotations

import asyncio
import hmac
import math
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from stillmotion.server.dialects import route_key
from stillmotion.server.errors import SERVER_ERROR, APIError
from stillmotion.server.inputs import reference_image, text_field, video_source
from stillmotion.server.requests import ServiceDep, presented_key, read_body
from stillmotion.server.responses import BrokenDownload, DroppedAnswer
from stillmotion.server.sound import header_wants_sound
from stillmotion.server.store import TERMINAL

LIST_LIMIT_DEFAULT = 20
LIST_LIMIT_MAX = 100


UNFAULTED = frozenset({"GET /v1/models"})
"""Routes the injected faults leave alone: the model list is a client's check before a job (read
once and cached), and the faults are there to test the job calls (a slowed or failed ``GET``
meant for a poll must not be spent on it)."""


async def gate(request: Request, service: ServiceDep) -> None:
    """Count the request, check the key, then fire any injected fault."""
    options, faults = service.options, service.faults
    route = route_key(request)
    faults.count_request(route)
    if options.require_key:
        presented = presented_key(request)
        if presented is None:
            raise APIError(401, "You didn't provide an API key. Send it as "
                           "'Authorization: Bearer KEY' or 'api-key: KEY'.",
                           code="missing_api_key")
        if not hmac.compare_digest(presented.encode(), options.require_key.encode()):
            raise APIError(401, "Incorrect API key provided.", code="invalid_api_key")
    if route in UNFAULTED:
        return
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


router = APIRouter(prefix="/v1", dependencies=[Depends(gate)])


@router.post("/videos")
async def create_video(request: Request, service: ServiceDep) -> Response:
    body = await read_body(request)
    if service.faults.take("drop_creates"):
        return DroppedAnswer()
    reference = body.get("input_reference")
    return JSONResponse(await run_in_threadpool(
        service.create, prompt=body.get("prompt"), model=text_field(body, "model"),
        size=text_field(body, "size"), seconds=text_field(body, "seconds"),
        reference=None if reference in (None, "") else reference_image(reference),
        sound=header_wants_sound(request.headers)))


@router.get("/models")
async def list_models(service: ServiceDep) -> JSONResponse:
    return JSONResponse(service.catalog.model_list())


@router.get("/videos")
async def list_videos(
    service: ServiceDep,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = LIST_LIMIT_DEFAULT,
    order: Literal["asc", "desc"] = "desc",
) -> JSONResponse:
    return JSONResponse(service.list(after=after or None, limit=limit, order=order))


@router.post("/videos/extensions")
async def extend_video(request: Request, service: ServiceDep) -> JSONResponse:
    body = await read_body(request)
    return JSONResponse(await run_in_threadpool(
        service.extend, prompt=body.get("prompt"), seconds=text_field(body, "seconds"),
        video=video_source(body.get("video")), model=text_field(body, "model")))


@router.post("/videos/edits")
async def edit_video(request: Request, service: ServiceDep) -> JSONResponse:
    body = await read_body(request)
    return JSONResponse(await run_in_threadpool(
        service.edit, prompt=body.get("prompt"), video=video_source(body.get("video")),
        model=text_field(body, "model")))


@router.post("/videos/characters")
async def create_character(request: Request, service: ServiceDep) -> JSONResponse:
    body = await read_body(request)
    return JSONResponse(await run_in_threadpool(
        service.create_character, name=body.get("name"), video=body.get("video")))


@router.get("/videos/characters/{character_id}")
async def get_character(character_id: str, service: ServiceDep) -> JSONResponse:
    return JSONResponse(service.get_character(character_id))


@router.get("/videos/{video_id}")
async def retrieve_video(video_id: str, service: ServiceDep) -> JSONResponse:
    video = service.retrieve(video_id)
    headers = ({} if video["status"] in TERMINAL
               else {"openai-poll-after-ms": str(service.options.poll_after_ms)})
    return JSONResponse(video, headers=headers)


@router.delete("/videos/{video_id}")
async def delete_video(video_id: str, service: ServiceDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(service.delete, video_id))


@router.get("/videos/{video_id}/content")
async def video_content(
    video_id: str, service: ServiceDep,
    variant: Literal["video", "thumbnail", "spritesheet"] = "video",
) -> Response:
    path, media_type = await run_in_threadpool(service.content, video_id, variant)
    faults = service.faults
    if faults.take("expire_downloads"):
        raise APIError(410, f"The content of video '{video_id}' has expired; create the "
                       "video again.", code="video_expired")
    for mode in ("drop", "truncate"):
        if faults.take(f"{mode}_downloads"):
            return BrokenDownload(path, media_type, mode)
    return FileResponse(path, media_type=media_type)


@router.post("/videos/{video_id}/remix")
async def remix_video(video_id: str, request: Request, service: ServiceDep) -> JSONResponse:
    body = await read_body(request)
    return JSONResponse(await run_in_threadpool(service.remix, video_id,
                                                prompt=body.get("prompt")))


@router.post("/files")
async def upload_file(request: Request, service: ServiceDep) -> JSONResponse:
    body = await read_body(request)
    return JSONResponse(await run_in_threadpool(
        service.upload_file, upload=body.get("file"), purpose=body.get("purpose")))


@router.get("/files/{file_id}")
async def get_file(file_id: str, service: ServiceDep) -> JSONResponse:
    return JSONResponse(service.get_file(file_id))
