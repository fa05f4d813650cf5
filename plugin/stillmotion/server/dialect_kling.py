"""Kling's image2video dialect on ``stillmotion serve``: JWT-signed tasks and CDN results.

Paths (``--base-url`` is this server's root, standing for ``https://api-singapore.klingai.com``):
``POST /v1/videos/image2video``, ``GET /v1/videos/image2video/{task_id}``, and the result URL
``GET /_kling/videos/{task_id}.mp4?exp=&n=&sig=`` (a signed CDN link: no token; once expired it
answers 403). With ``--require-key KEY`` every API call needs ``Authorization: Bearer <JWT>``
verified against the key pair (access key ``KEY``, secret ``--require-kling-secret``, or
``KEY`` again when none is set): HS256 with ``typ: JWT``, ``iss`` equal to the access key, inside
its ``nbf``..``exp`` window; Kling's codes answer otherwise (1001 no token, 1002 not valid, 1003
not yet valid, 1004 expired). Bodies are checked as Kling does: known fields only, ``image`` and
``image_tail`` as bare base64 (a URL is refused: this server is offline), ``duration`` a string
the model takes, ``mode`` std (renders 720p) or pro (1080p), ``image_tail`` on kling-v3 (on
kling-v2-6 in pro mode only), stills of at least 300 px a side within 1:2.5..2.5:1.
Refusals fail the task with a ``task_status_msg`` naming the image or the prompt (the double's
words; Kling's own say "risk control").
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from stillmotion.api import hs256
from stillmotion.server.dialect_files import (
    joined,
    signed_files_router,
    signed_video_route,
)
from stillmotion.server.dialect_tiers import nearest_ratio, render_size
from stillmotion.server.dialects import (
    DialectError,
    JobView,
    create_job,
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
from stillmotion.server.inputs import image_kind
from stillmotion.server.service import VideoService
from stillmotion.server.store import COMPLETED, FAILED, IN_PROGRESS

DIALECT = "kling"
PATH = "/v1/videos/image2video"
PROMPT_MAX = 2500
MODELS: dict[str, dict[str, Any]] = {
    "kling-v3": {"durations": tuple(str(s) for s in range(3, 16)), "tail": True, "sound": True},
    "kling-v2-6": {"durations": ("5", "10"), "tail": "pro", "sound": "pro"},
}
"""``tail``: whether ``image_tail`` is taken (kling-v2-6 takes it in pro mode only);
``sound``: where ``sound: "on"`` is taken ("off" always is; kling-v2-6 sounds in pro only)."""
MIN_SIDE = 300
MAX_ASPECT = 2.5
MODES = {"std": "720p", "pro": "1080p"}
_KEYS = {"model_name", "image", "image_tail", "prompt", "negative_prompt", "mode", "duration",
         "cfg_scale", "sound", "callback_url", "external_task_id"}
REFUSED = {"image": "The input image failed the content security check (risk control).",
           "prompt": "The prompt failed the content security check (risk control)."}
CDN_EXPIRED = {"code": 403, "message": "Access denied: the link has expired."}


def kling_error(status: int, code: int, message: str) -> DialectError:
    """An error in Kling's shape ``{"code", "message", "request_id"}``."""
    return DialectError(status, {"code": code, "message": message,
                                 "request_id": str(uuid.uuid4())})


def _reshape(exc: APIError) -> DialectError:
    return kling_error(exc.status, 1201 if exc.status == 400 else 5000, exc.message)


def _error(status: int, message: str) -> DialectError:
    return kling_error(status, {429: 1302, 500: 5000}.get(status, 1200), message)


def _auth(missing: bool) -> DialectError:
    return kling_error(401, 1001 if missing else 1002,
                       "Authorization is empty." if missing else "Authorization is not valid.")


def task_id(job_id: str) -> str:
    """The task id of a service job (its hex)."""
    return job_id.removeprefix("video_")



def decode_bare(value: object, param: str) -> bytes:
    """An image sent as bare base64 (Kling refuses a data: prefix); 400 otherwise."""
    if not isinstance(value, str) or not value:
        raise kling_error(400, 1201, f"{param} must be a base64 image or URL.")
    if value.startswith(("http://", "https://")):
        raise kling_error(400, 1201, f"{param}: this server cannot fetch remote URLs; send the "
                          "image as base64.")
    if value.startswith("data:"):
        raise kling_error(400, 1201, f"{param}: send bare base64 without the data: prefix.")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise kling_error(400, 1201, f"{param} is not valid base64.") from None
    try:
        image_kind(data, param)
    except APIError as exc:
        raise kling_error(400, 1201, exc.message) from None
    return data


def task_json(job: JobView, root: str, service: VideoService) -> dict[str, Any]:
    """The ``data`` of a task answer as Kling spells it."""
    record = job.record
    data: dict[str, Any] = {"task_id": task_id(record.id), "task_status_msg": "",
                            "created_at": record.created_at * 1000,
                            "updated_at": (record.completed_at or record.created_at) * 1000}
    if job.injected is not None:
        return {**data, "task_status": job.injected}
    if job.status == COMPLETED:
        expires = int(time.time()) + 3600
        if record.expires_at is not None:
            expires = min(expires, int(record.expires_at))
        query = dialect_state(service).signed_query(record.id, expires)
        video = {"id": str(uuid.uuid4()), "url": f"{root}/_kling/videos/{task_id(record.id)}"
                 f".mp4?{query}", "duration": str(record.seconds)}
        return {**data, "task_status": "succeed", "task_result": {"videos": [video]}}
    if job.status == FAILED:
        message = REFUSED.get(job.refused or "", job.error_message)
        return {**data, "task_status": "failed", "task_status_msg": message}
    return {**data, "task_status": "processing" if job.status == IN_PROGRESS else "submitted"}


def _answer(data: dict[str, Any]) -> JSONResponse:
    return json_answer({"code": 0, "message": "SUCCEED", "request_id": str(uuid.uuid4()),
                        "data": data})


def _check(body: object) -> tuple[str, dict[str, Any]]:
    if not isinstance(body, dict):
        raise kling_error(400, 1201, "The body must be a JSON object.")
    unknown = sorted(set(body) - _KEYS)
    if unknown:
        raise kling_error(400, 1201, f"Unknown parameter '{unknown[0]}'.")
    model = body.get("model_name", "kling-v1")
    rules = MODELS.get(model) if isinstance(model, str) else None
    if rules is None:
        raise kling_error(400, 1201, f"model_name is invalid; use one of: {', '.join(MODELS)}.")
    if "image" not in body:
        raise kling_error(400, 1201, "image is required.")
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str) or len(prompt) > PROMPT_MAX:
        raise kling_error(400, 1201, f"prompt must be a string of at most {PROMPT_MAX} "
                          "characters.")
    if body.get("duration", "5") not in rules["durations"]:
        raise kling_error(400, 1201, f"duration must be one of {', '.join(rules['durations'])} "
                          f"(a string) for {model}.")
    if body.get("mode", "std") not in MODES:
        raise kling_error(400, 1201, "mode must be std or pro.")
    if "image_tail" in body and rules["tail"] not in (True, body.get("mode", "std")):
        raise kling_error(400, 1201, f"{model} does not support image_tail in "
                          f"{body.get('mode', 'std')} mode.")
    if body.get("sound", "off") not in ("on", "off"):
        raise kling_error(400, 1201, "sound must be on or off.")
    if body.get("sound") == "on" and rules["sound"] not in (True, body.get("mode", "std")):
        raise kling_error(400, 1201, f"{model} does not support sound in "
                          f"{body.get('mode', 'std')} mode.")
    return model, body


def router(service: VideoService) -> APIRouter:
    """The Kling routes onto ``service``."""
    options = service.options

    def verify(request: Request) -> None:
        if not options.require_key:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _auth(True)
        secret = options.kling_secret or options.require_key
        try:
            claims = hs256.verify(token.strip(), secret, now=time.time())
        except hs256.TokenError as exc:
            code = 1004 if "expired" in str(exc) else 1003 if "not valid yet" in str(exc) \
                else 1002
            raise kling_error(401, code, f"Authorization is not valid: {exc}.") from None
        if claims.get("iss") != options.require_key:
            raise kling_error(401, 1002, "Authorization is not valid: unknown access key.")

    def no_key(request: Request) -> None:
        return None

    api = APIRouter(dependencies=[Depends(gate(service, presented=no_key, auth_error=_auth,
                                               error=_error, check=verify, keyed=False))])
    files = signed_files_router(service, auth_error=_auth, error=_error)

    @api.post(PATH)
    async def image2video(request: Request) -> JSONResponse:
        try:
            model, body = _check(await request.json())
        except ValueError:
            raise kling_error(400, 1201, "The body is not JSON.") from None
        image = await in_thread(decode_bare, body["image"], "image", shape=_reshape)
        last = None
        if "image_tail" in body:
            last = await in_thread(decode_bare, body["image_tail"], "image_tail",
                                   shape=_reshape)
        dims = await in_thread(still_size, image, "image", shape=_reshape)
        if min(dims) < MIN_SIDE or max(dims) > MAX_ASPECT * min(dims):
            raise kling_error(400, 1201, f"image must be at least {MIN_SIDE} px on each side "
                              "with an aspect ratio between 1:2.5 and 2.5:1.")
        size = render_size(MODES[body.get("mode", "std")], nearest_ratio(dims))
        assert size is not None  # every ratio has a 720p and 1080p size but 21:9 at 1080p
        record = await in_thread(create_job, service, dialect=DIALECT, model=model,
                                 prompt=body.get("prompt") or "(no prompt)", size=size,
                                 seconds=int(body.get("duration", "5")), image=image,
                                 last=last, extra={"mode": body.get("mode", "std"),
                                                    "sound": body.get("sound")},
                                 sound=body.get("sound", "off") == "on", shape=_reshape)
        return _answer({"task_id": task_id(record.id), "task_status": "submitted",
                        "created_at": record.created_at * 1000,
                        "updated_at": record.created_at * 1000})

    @api.get(PATH + "/{task}")
    async def get_task(task: str, request: Request) -> JSONResponse:
        found = view(service, job_of_task(task) or "", DIALECT, status_answer=True)
        if found is None:
            raise kling_error(404, 1203, f"Task {task} does not exist.")
        return _answer(task_json(found, root_url(request), service))

    signed_video_route(files, "/_kling/videos/{task}.mp4", service, DIALECT, CDN_EXPIRED, _reshape)
    return joined(api, files)
