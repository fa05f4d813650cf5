"""Wan 2.7's DashScope dialect on ``stillmotion serve``: asynchronous video synthesis.

Paths (``--base-url`` is this server's root, standing for ``https://dashscope-intl.aliyuncs.com``):
``POST /api/v1/services/aigc/video-generation/video-synthesis`` (only with ``X-DashScope-Async:
enable``, as DashScope refuses synchronous calls there), ``GET /api/v1/tasks/{task_id}``, and
the result ``GET /_wan/{task_id}.mp4?exp=&n=&sig=`` (a signed OSS link: no key; once
expired it answers 403 in OSS's words, as DashScope's 24-hour URLs do). With ``--require-key``
the API calls need ``Authorization: Bearer KEY``. Bodies are checked as DashScope does: model
wan2.7-i2v, ``input.media`` items typed ``first_frame`` (required) and ``last_frame`` with base64
data URIs (this server is offline), ``parameters.resolution`` 720P / 1080P, ``duration`` 2-15
(an int); the video takes the still's shape. An id nobody issued answers ``UNKNOWN``. Refusals
fail the task with ``DataInspectionFailed`` and words naming the input text or image.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from stillmotion.server.dialect_files import (
    joined,
    signed_files_router,
    signed_video_route,
)
from stillmotion.server.dialect_tiers import nearest_ratio, render_size
from stillmotion.server.dialects import (
    DialectError,
    JobView,
    bearer,
    create_job,
    decode_image,
    dialect_state,
    gate,
    in_thread,
    job_of_task,
    json_answer,
    root_url,
    still_size,
    task_uuid,
    view,
)
from stillmotion.server.errors import APIError
from stillmotion.server.service import VideoService
from stillmotion.server.sound import sound_switch
from stillmotion.server.store import COMPLETED, FAILED, IN_PROGRESS

DIALECT = "wan"
CREATE_PATH = "/api/v1/services/aigc/video-generation/video-synthesis"
MODELS = ("wan2.7-i2v",)
RESOLUTIONS = {"720P": "720p", "1080P": "1080p"}
PROMPT_MAX = 5000
_INPUT_KEYS = {"prompt", "negative_prompt", "media"}
_PARAMETER_KEYS = {"resolution", "duration", "prompt_extend", "watermark", "seed", "audio"}
REFUSED = {"image": "Input image data may contain inappropriate content.",
           "prompt": "Input text data may contain inappropriate content."}
OSS_EXPIRED = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>"
               "<Message>Request has expired.</Message></Error>")


def wan_error(status: int, code: str, message: str) -> DialectError:
    """An error in DashScope's shape ``{"request_id", "code", "message"}``."""
    return DialectError(status, {"request_id": str(uuid.uuid4()), "code": code,
                                 "message": message})


def _reshape(exc: APIError) -> DialectError:
    return wan_error(exc.status, "InvalidParameter" if exc.status == 400 else "InternalError",
                     exc.message)


def _error(status: int, message: str) -> DialectError:
    code = {429: "Throttling.RateQuota", 500: "InternalError"}.get(status, "InvalidParameter")
    return wan_error(status, code, message)


def _auth(missing: bool) -> DialectError:
    return wan_error(401, "InvalidApiKey", "No API-key provided." if missing
                     else "Invalid API-key provided.")



def _when(stamp: int | None) -> str:
    moment = datetime.fromtimestamp(stamp or 0, timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _media(items: object) -> tuple[bytes, bytes | None]:
    if not isinstance(items, list) or not items:
        raise wan_error(400, "InvalidParameter", "input.media must be a non-empty list.")
    found: dict[str, bytes] = {}
    for item in items:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in ("first_frame", "last_frame") or kind in found:
            raise wan_error(400, "InvalidParameter", f"input.media type '{kind}' is not "
                            "supported here or given twice.")
        try:
            found[kind] = decode_image(item.get("url"), f"input.media.{kind}")
        except APIError as exc:
            raise wan_error(400, "InvalidParameter", exc.message) from None
    if "first_frame" not in found:
        raise wan_error(400, "InvalidParameter", "input.media needs a first_frame.")
    return found["first_frame"], found.get("last_frame")


def _check(body: object) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
        raise wan_error(400, "InvalidParameter", "The body needs an 'input' object.")
    if body.get("model") not in MODELS:
        raise wan_error(400, "InvalidParameter", f"Model not exist: {body.get('model')}.")
    inputs, parameters = body["input"], body.get("parameters") or {}
    unknown = sorted((set(inputs) - _INPUT_KEYS) | (set(parameters) - _PARAMETER_KEYS)
                     | (set(body) - {"model", "input", "parameters"}))
    if unknown:
        raise wan_error(400, "InvalidParameter", f"Unknown parameter: {unknown[0]}.")
    prompt = inputs.get("prompt", "")
    if not isinstance(prompt, str) or len(prompt) > PROMPT_MAX:
        raise wan_error(400, "InvalidParameter", f"input.prompt must be a string of at most "
                        f"{PROMPT_MAX} characters.")
    if parameters.get("resolution", "1080P") not in RESOLUTIONS:
        raise wan_error(400, "InvalidParameter", "parameters.resolution must be 720P or 1080P.")
    duration = parameters.get("duration", 5)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 2 <= duration <= 15:
        raise wan_error(400, "InvalidParameter", "parameters.duration must be an integer from "
                        "2 to 15.")
    if not isinstance(parameters.get("audio", True), bool):
        raise wan_error(400, "InvalidParameter", "parameters.audio must be a boolean.")
    return inputs, parameters


def task_json(job: JobView, root: str, service: VideoService) -> dict[str, Any]:
    """A task answer as DashScope spells it."""
    record = job.record
    output: dict[str, Any] = {"task_id": task_uuid(record.id),
                              "submit_time": _when(record.created_at),
                              "scheduled_time": _when(record.created_at)}
    answer: dict[str, Any] = {"request_id": str(uuid.uuid4()), "output": output}
    if job.injected is not None:
        output["task_status"] = job.injected
    elif job.status == COMPLETED:
        expires = int(time.time()) + 3600
        if record.expires_at is not None:
            expires = min(expires, int(record.expires_at))
        query = dialect_state(service).signed_query(record.id, expires)
        output.update({"task_status": "SUCCEEDED", "end_time": _when(record.completed_at),
                       "orig_prompt": record.prompt,
                       "video_url": f"{root}/_wan/{task_uuid(record.id)}.mp4?{query}"})
        answer["usage"] = {"duration": int(record.seconds), "input_video_duration": 0,
                           "output_video_duration": int(record.seconds), "video_count": 1,
                           "SR": int(job.extra.get("resolution", "720P").rstrip("P"))}
    elif job.status == FAILED:
        code = "DataInspectionFailed" if job.refused else "InternalError"
        output.update({"task_status": "FAILED", "code": code,
                       "message": REFUSED.get(job.refused or "", job.error_message)})
    else:
        output["task_status"] = "RUNNING" if job.status == IN_PROGRESS else "PENDING"
    return answer


def router(service: VideoService) -> APIRouter:
    """The Wan routes onto ``service``."""

    api = APIRouter(dependencies=[Depends(gate(service, presented=bearer,
                                               auth_error=_auth, error=_error))])
    files = signed_files_router(service, auth_error=_auth, error=_error)

    @api.post(CREATE_PATH)
    async def create(request: Request) -> JSONResponse:
        if request.headers.get("x-dashscope-async", "").lower() != "enable":
            raise wan_error(403, "AccessDenied", "current user api does not support "
                            "synchronous calls")
        try:
            body = await request.json()
        except ValueError:
            raise wan_error(400, "InvalidParameter", "The body is not JSON.") from None
        inputs, parameters = _check(body)
        image, last = await in_thread(_media, inputs.get("media"), shape=_reshape)
        dims = await in_thread(still_size, image, "input.media.first_frame", shape=_reshape)
        resolution = parameters.get("resolution", "1080P")
        size = render_size(RESOLUTIONS[resolution], nearest_ratio(dims))
        assert size is not None  # every still ratio has a 720p and a 1080p size
        record = await in_thread(create_job, service, dialect=DIALECT, model=body["model"],
                                 prompt=inputs.get("prompt") or "(no prompt)", size=size,
                                 seconds=parameters.get("duration", 5), image=image, last=last,
                                 extra={"resolution": resolution},
                                 sound=sound_switch(parameters, "audio", default=True),
                                 shape=_reshape)
        return json_answer({"request_id": str(uuid.uuid4()),
                            "output": {"task_id": task_uuid(record.id),
                                       "task_status": "PENDING"}})

    @api.get("/api/v1/tasks/{task}")
    async def get_task(task: str, request: Request) -> JSONResponse:
        found = view(service, job_of_task(task) or "", DIALECT, status_answer=True)
        if found is None:
            return json_answer({"request_id": str(uuid.uuid4()),
                                "output": {"task_id": task, "task_status": "UNKNOWN"}})
        return json_answer(task_json(found, root_url(request), service))

    signed_video_route(files, "/_wan/{task}.mp4", service, DIALECT, OSS_EXPIRED, _reshape)
    return joined(api, files)
