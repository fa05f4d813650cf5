"""Seedance's ModelArk dialect on ``stillmotion serve``: content generation tasks.

Paths (``--base-url`` is this server's root, standing for
``https://ark.ap-southeast.bytepluses.com``): ``POST /api/v3/contents/generations/tasks``,
``GET /api/v3/contents/generations/tasks/{id}``, and the result files ``GET
/_ark/{id}/video.mp4`` and ``/_ark/{id}/last_frame.png`` (signed like TOS links: no key; 403 once
expired). With ``--require-key`` the API calls need ``Authorization: Bearer KEY``. Bodies are
checked as Ark does: known fields, ``content`` with one optional text item and ``image_url``
items whose ``role`` is ``first_frame`` (required here: the double renders from a still) or
``last_frame``, each a base64 data URI (this server is offline); ``resolution`` 480p / 720p /
1080p, ``ratio`` (or ``adaptive``: the still's shape), ``duration`` 4-15 (an int). Refusals fail
the task with ``InputTextSensitiveContentDetected`` or ``InputImageSensitiveContentDetected``.
With ``return_last_frame`` the answer carries ``content.last_frame_url``: the render's exact last
frame as a PNG.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from stillmotion.server.dialect_files import (
    content_path,
    joined,
    signed_files_router,
    signed_result,
)
from stillmotion.server.dialect_tiers import SIZES, nearest_ratio, render_size
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
    view,
)
from stillmotion.server.errors import APIError
from stillmotion.server.service import VideoService
from stillmotion.server.sound import sound_switch
from stillmotion.server.store import COMPLETED, FAILED, IN_PROGRESS

DIALECT = "seedance"
PATH = "/api/v3/contents/generations/tasks"
MODELS = ("dreamina-seedance-2-0-260128",)
DURATIONS = range(4, 16)
_KEYS = {"model", "content", "resolution", "ratio", "duration", "return_last_frame",
         "watermark", "seed", "generate_audio", "camera_fixed", "callback_url",
         "service_tier", "execution_expires_after"}
REFUSED = {"image": ("InputImageSensitiveContentDetected",
                     "The request failed because the input image may contain sensitive "
                     "information."),
           "prompt": ("InputTextSensitiveContentDetected",
                      "The request failed because the input text may contain sensitive "
                      "information.")}
TOS_EXPIRED = {"Code": "AccessDenied", "Message": "Request has expired."}


def ark_error(status: int, code: str, message: str, param: str = "") -> DialectError:
    """An error in Ark's shape ``{"error": {"code", "message", "param", "type"}}``."""
    kind = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound",
            429: "TooManyRequests"}.get(status, "InternalServiceError")
    return DialectError(status, {"error": {"code": code, "message": message, "param": param,
                                           "type": kind}})


def _reshape(exc: APIError) -> DialectError:
    return ark_error(exc.status, "InvalidParameter" if exc.status == 400 else "InternalError",
                     exc.message, exc.param or "")


def _error(status: int, message: str) -> DialectError:
    code = {429: "RateLimitExceeded", 500: "InternalServiceError"}.get(status, "Error")
    return ark_error(status, code, message)


def _auth(missing: bool) -> DialectError:
    return ark_error(401, "AuthenticationError", "The API key in the request is missing or "
                     "invalid.")


def task_id(job_id: str) -> str:
    """The task id of a service job: ``cgt-`` and the job's hex."""
    return "cgt-" + job_id.removeprefix("video_")


def _job_of(task: str) -> str | None:
    """The service job id of a task id (``cgt-`` and the hex), or None."""
    return job_of_task(task.removeprefix("cgt-"))



def _images(content: object) -> tuple[str, bytes, bytes | None]:
    if not isinstance(content, list) or not content:
        raise ark_error(400, "InvalidParameter", "content must be a non-empty list.", "content")
    prompt, found = "", {}
    for item in content:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "text" and isinstance(item.get("text"), str):
            prompt = item["text"]
        elif kind == "image_url":
            role = item.get("role", "first_frame")
            url = (item.get("image_url") or {}).get("url") if isinstance(
                item.get("image_url"), dict) else None
            if role not in ("first_frame", "last_frame") or role in found:
                raise ark_error(400, "InvalidParameter", f"content role '{role}' is not "
                                "supported here or given twice.", "content.role")
            try:
                found[role] = decode_image(url, f"content.{role}")
            except APIError as exc:
                raise ark_error(400, "InvalidParameter", exc.message, "content.image_url") \
                    from None
        else:
            raise ark_error(400, "InvalidParameter", "Each content item is a text or an "
                            "image_url item.", "content.type")
    if "first_frame" not in found:
        raise ark_error(400, "InvalidParameter", "This server renders from a first frame; add "
                        "an image_url item with role first_frame.", "content")
    return prompt, found["first_frame"], found.get("last_frame")


def _check(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ark_error(400, "InvalidParameter", "The body must be a JSON object.")
    unknown = sorted(set(body) - _KEYS)
    if unknown:
        raise ark_error(400, "InvalidParameter", f"Unknown parameter {unknown[0]}.", unknown[0])
    if body.get("model") not in MODELS:
        raise ark_error(404, "InvalidEndpointOrModel.NotFound", "The model or endpoint "
                        f"{body.get('model')} does not exist or you do not have access to it.")
    duration = body.get("duration", 5)
    if not isinstance(duration, int) or isinstance(duration, bool) or duration not in DURATIONS:
        raise ark_error(400, "InvalidParameter", "duration must be an integer from 4 to 15.",
                        "duration")
    if body.get("resolution", "720p") not in SIZES:
        raise ark_error(400, "InvalidParameter", "resolution must be 480p, 720p or 1080p.",
                        "resolution")
    seed = body.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not -1 <= seed <= 2**32 - 1:
        raise ark_error(400, "InvalidParameter", "seed must be an integer from -1 to "
                        "4294967295.", "seed")
    for flag in ("return_last_frame", "watermark", "generate_audio", "camera_fixed"):
        if flag in body and not isinstance(body[flag], bool):
            raise ark_error(400, "InvalidParameter", f"{flag} must be a boolean.", flag)
    return body


def task_json(job: JobView, root: str, service: VideoService) -> dict[str, Any]:
    """A task as Ark spells it."""
    record = job.record
    body: dict[str, Any] = {"id": task_id(record.id), "model": job.extra.get("model"),
                            "created_at": record.created_at,
                            "updated_at": record.completed_at or record.created_at,
                            "resolution": job.extra.get("resolution"),
                            "ratio": job.extra.get("ratio"), "duration": int(record.seconds),
                            "seed": job.extra.get("seed"), "framespersecond": 24,
                            "error": None}
    if job.injected is not None:
        return {**body, "status": job.injected}
    if job.status == COMPLETED:
        expires = int(time.time()) + 3600
        if record.expires_at is not None:
            expires = min(expires, int(record.expires_at))
        state = dialect_state(service)
        base = f"{root}/_ark/{task_id(record.id)}"
        content = {"video_url": f"{base}/video.mp4?{state.signed_query(record.id, expires)}"}
        if job.extra.get("return_last_frame"):
            content["last_frame_url"] = \
                f"{base}/last_frame.png?{state.signed_query(record.id, expires)}"
        return {**body, "status": "succeeded", "content": content,
                "usage": {"completion_tokens": 108900, "total_tokens": 108900}}
    if job.status == FAILED:
        code, message = REFUSED.get(job.refused or "", ("InternalServiceError",
                                                        job.error_message))
        return {**body, "status": "failed", "error": {"code": code, "message": message}}
    return {**body, "status": "running" if job.status == IN_PROGRESS else "queued"}


def _last_frame(video: Path) -> Path:
    """The render's last frame as a PNG beside it (made on first request)."""
    from stillmotion.media.frames import last_frame

    still = video.with_name(video.stem + "_last_frame.png")
    if not still.exists():
        last_frame(video, still)
    return still


def router(service: VideoService) -> APIRouter:
    """The Seedance routes onto ``service``."""

    api = APIRouter(dependencies=[Depends(gate(service, presented=bearer,
                                               auth_error=_auth, error=_error))])
    files = signed_files_router(service, auth_error=_auth, error=_error)

    @api.post(PATH)
    async def create(request: Request) -> JSONResponse:
        try:
            body = _check(await request.json())
        except ValueError:
            raise ark_error(400, "InvalidParameter", "The body is not JSON.") from None
        prompt, image, last = await in_thread(_images, body.get("content"), shape=_reshape)
        ratio = body.get("ratio", "adaptive")
        if ratio == "adaptive":
            ratio = nearest_ratio(await in_thread(still_size, image, "content.first_frame",
                                                  shape=_reshape))
        resolution = body.get("resolution", "720p")
        size = render_size(resolution, str(ratio))
        if size is None:
            raise ark_error(400, "InvalidParameter", f"ratio {ratio} is not supported at "
                            f"{resolution} here.", "ratio")
        record = await in_thread(create_job, service, dialect=DIALECT, model=body["model"],
                                 prompt=prompt or "(no prompt)", size=size,
                                 seconds=body.get("duration", 5), image=image, last=last,
                                 extra={"resolution": resolution, "ratio": ratio,
                                        "seed": body.get("seed", secrets.randbelow(2**31)),
                                        "return_last_frame": bool(body.get("return_last_frame"))},
                                 sound=sound_switch(body, "generate_audio", default=True),
                                 shape=_reshape)
        return json_answer({"id": task_id(record.id)})

    @api.get(PATH + "/{task}")
    async def get_task(task: str, request: Request) -> JSONResponse:
        found = view(service, _job_of(task) or "", DIALECT, status_answer=True)
        if found is None:
            raise ark_error(404, "ResourceNotFound", f"The task {task} was not found.")
        return json_answer(task_json(found, root_url(request), service))

    def signed(task: str, exp: str, n: str, sig: str) -> JobView:
        return signed_result(service, _job_of(task), DIALECT, exp, n, sig, TOS_EXPIRED)

    @files.get("/_ark/{task}/video.mp4")
    async def video(task: str, exp: str = "", n: str = "", sig: str = "") -> Response:
        found = signed(task, exp, n, sig)
        return FileResponse(await content_path(service, found, _reshape),
                            media_type="video/mp4")

    @files.get("/_ark/{task}/last_frame.png")
    async def last(task: str, exp: str = "", n: str = "", sig: str = "") -> Response:
        found = signed(task, exp, n, sig)
        path = await content_path(service, found, _reshape)
        return FileResponse(await in_thread(_last_frame, path, shape=_reshape),
                            media_type="image/png")

    return joined(api, files)
