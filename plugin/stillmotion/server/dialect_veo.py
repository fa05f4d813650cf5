"""The Gemini API's Veo dialect on ``stillmotion serve``: long-running operations and files.

Paths (the client's ``--base-url`` is this server's root): ``POST
/v1beta/models/{model}:predictLongRunning``, ``GET /v1beta/models/{model}/operations/{id}`` (and
``/v1beta/operations/{id}``), ``GET /v1beta/files/{id}:download`` which redirects to a signed
``/_veo/media/{id}`` as Google's file downloads redirect to storage. With ``--require-key`` the
key is read from ``x-goog-api-key`` (or ``?key=``). Bodies are checked strictly (unknown fields,
wrong types, durations and shapes each model refuses; Veo 3.1 Lite takes no lastFrame and no
extension), refusals use Google's error shape; an unfinished operation omits ``done`` as
Google's JSON does.

Renders at the size the aspect ratio and resolution stand for (4k is refused: the preview
engine stops at 1920 pixels). A native extension (``instances[0].video.uri`` naming one of this
server's files) continues that job through the service's extension, so the result holds the
source followed by the new part.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from stillmotion.server.dialect_files import (
    content_path,
    expired_download,
    joined,
    signed_files_router,
)
from stillmotion.server.dialects import (
    DialectError,
    JobView,
    create_job,
    dialect_state,
    gate,
    in_thread,
    json_answer,
    root_url,
    view,
)
from stillmotion.server.errors import APIError
from stillmotion.server.inputs import VideoRef, image_kind
from stillmotion.server.service import VideoService
from stillmotion.server.store import COMPLETED, FAILED

DIALECT = "veo"
SIGNED_URL_SECONDS = 300
_WORDS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
          404: "NOT_FOUND", 410: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
          503: "UNAVAILABLE"}
_SHAPES = {("16:9", "720p"): (1280, 720), ("9:16", "720p"): (720, 1280),
           ("16:9", "1080p"): (1920, 1080), ("9:16", "1080p"): (1080, 1920)}
_V31 = {"durations": (4, 6, 8), "last_frame": True, "extension": True}
MODELS: dict[str, dict[str, Any]] = {
    "veo-3.1-generate-preview": _V31, "veo-3.1-fast-generate-preview": _V31,
    "veo-3.1-lite-generate-preview": {"durations": (4, 6, 8), "last_frame": False,
                                      "extension": False},
    "veo-3.0-generate-001": {"durations": (8,), "last_frame": False, "extension": False},
    "veo-3.0-fast-generate-001": {"durations": (8,), "last_frame": False, "extension": False},
    "veo-2.0-generate-001": {"durations": (5, 6, 7, 8), "last_frame": False,
                             "extension": False, "silent": True},
}
"""Veo 3.x always makes sound; Veo 2 (``silent``) none (:mod:`stillmotion.server.sound`)."""
NO_AUDIO_SWITCH = "generateAudio parameter is not supported in Gemini API."
_INSTANCE_KEYS = {"prompt", "image", "lastFrame", "video"}
_PARAMETER_KEYS = {"aspectRatio", "durationSeconds", "resolution", "negativePrompt",
                   "personGeneration", "seed"}
PROMPT_REFUSED = ("The prompt was blocked by the safety filters: it violates the usage "
                  "guidelines (Responsible AI).")
IMAGE_REFUSED = "The input image was flagged by the safety filters (Responsible AI)."


def google_error(status: int, message: str, reason: str | None = None) -> DialectError:
    """An HTTP error in Google's shape ``{"error": {"code", "message", "status"}}``."""
    error: dict[str, Any] = {"code": status, "message": message,
                             "status": _WORDS.get(status, "UNKNOWN")}
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                             "reason": reason, "domain": "googleapis.com"}]
    return DialectError(status, {"error": error})


def _reshape(exc: APIError) -> DialectError:
    return google_error(exc.status, exc.message)


def _bad(message: str) -> DialectError:
    return google_error(400, f"Invalid JSON payload received. {message}")


def _image(value: object, where: str) -> bytes:
    if not isinstance(value, dict) or set(value) - {"bytesBase64Encoded", "mimeType"}:
        raise _bad(f"'{where}' must be an object with bytesBase64Encoded and mimeType.")
    encoded, mime = value.get("bytesBase64Encoded"), value.get("mimeType")
    if not isinstance(encoded, str) or not isinstance(mime, str):
        raise _bad(f"'{where}.bytesBase64Encoded' and '{where}.mimeType' must be strings.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(f"'{where}.bytesBase64Encoded' is not valid base64.") from None
    try:
        kind = image_kind(data, where)
    except APIError as exc:
        raise google_error(400, exc.message) from None
    if mime != f"image/{kind}":
        raise google_error(400, f"'{where}.mimeType' says {mime} but the bytes are "
                           f"image/{kind}.")
    return data


def _check_keys(value: object, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"'{where}' must be an object.")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _bad(f"Unknown name \"{unknown[0]}\" at '{where}': Cannot find field.")
    return value


def _int_field(parameters: dict[str, Any], name: str, default: int) -> int:
    value = parameters.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(f"Invalid value at 'parameters.{name}' (TYPE_INT32), {value!r}.")
    return value


def _operation_name(model: str, job_id: str) -> str:
    return f"models/{model}/operations/{job_id}"


def operation(job: JobView, root: str) -> dict[str, Any]:
    """The operation JSON of ``job`` as Google spells it."""
    name = _operation_name(str(job.extra.get("model")), job.record.id)
    if job.injected is not None:
        return {"name": name, "metadata": {"state": job.injected}}
    if job.status == COMPLETED:
        uri = f"{root}/v1beta/files/{job.record.id}:download?alt=media"
        return {"name": name, "done": True, "response": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
                     "PredictLongRunningResponse",
            "generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]}}}
    if job.status == FAILED:
        if job.refused == "image":
            return {"name": name, "done": True, "response": {"generateVideoResponse": {
                "raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [IMAGE_REFUSED]}}}
        if job.refused == "prompt":
            return {"name": name, "done": True,
                    "error": {"code": 3, "message": PROMPT_REFUSED}}
        return {"name": name, "done": True, "error": {"code": 13, "message": job.error_message}}
    return {"name": name}


def router(service: VideoService) -> APIRouter:
    """The Veo routes onto ``service``."""

    def presented(request: Request) -> str | None:
        return request.headers.get("x-goog-api-key") or request.query_params.get("key") or None

    def auth_error(missing: bool) -> DialectError:
        if missing:
            return google_error(403, "Method doesn't allow unregistered callers (callers "
                                "without established identity). Please use API Key or other "
                                "form of API consumer identity to call this API.")
        return google_error(400, "API key not valid. Please pass a valid API key.",
                            reason="API_KEY_INVALID")

    keyed = APIRouter(dependencies=[Depends(gate(service, presented=presented,
                                                 auth_error=auth_error, error=google_error))])
    signed = signed_files_router(service, auth_error=auth_error, error=google_error)

    def operation_or_404(job_id: str) -> JobView:
        found = view(service, job_id, DIALECT, status_answer=True)
        if found is None:
            raise google_error(404, f"Operation {job_id} was not found.")
        return found

    @keyed.post("/v1beta/models/{model}:predictLongRunning")
    async def predict(model: str, request: Request) -> JSONResponse:
        rules = MODELS.get(model)
        if rules is None:
            raise google_error(404, f"models/{model} is not found for API version v1beta, or "
                               "is not supported for predictLongRunning.")
        try:
            body = _check_keys(await request.json(), {"instances", "parameters"}, "body")
        except ValueError:
            raise _bad("The body is not JSON.") from None
        instances = body.get("instances")
        if not isinstance(instances, list) or len(instances) != 1:
            raise _bad("'instances' must hold exactly one instance.")
        instance = _check_keys(instances[0], _INSTANCE_KEYS, "instances[0]")
        if isinstance(body.get("parameters"), dict) and "generateAudio" in body["parameters"]:
            raise google_error(400, NO_AUDIO_SWITCH)  # a Vertex AI field the Gemini API refuses
        parameters = _check_keys(body.get("parameters", {}), _PARAMETER_KEYS, "parameters")
        prompt = instance.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise google_error(400, "'instances[0].prompt' must be a non-empty string.")
        seconds = _int_field(parameters, "durationSeconds", 8)
        if seconds not in rules["durations"]:
            allowed = ", ".join(map(str, rules["durations"]))
            raise google_error(400, f"durationSeconds {seconds} is not supported by {model}; "
                               f"use one of {allowed}.")
        if "video" in instance:
            return json_answer(await _extend(model, rules, instance, prompt, seconds, request))
        aspect = parameters.get("aspectRatio", "16:9")
        resolution = parameters.get("resolution", "720p")
        if resolution == "4k":
            raise google_error(400, "4k output is not rendered by this local server; ask for "
                               "720p or 1080p.")
        size = _SHAPES.get((aspect, resolution))
        if size is None:
            raise google_error(400, f"aspectRatio {aspect!r} with resolution {resolution!r} is "
                               "not supported; use 16:9 or 9:16 at 720p or 1080p.")
        if resolution != "720p" and seconds != 8:
            raise google_error(400, f"{resolution} output needs durationSeconds 8.")
        if "image" not in instance:
            raise google_error(400, "This local server renders image-to-video only; send "
                               "'instances[0].image'.")
        image = _image(instance["image"], "instances[0].image")
        last = None
        if "lastFrame" in instance:
            if not rules["last_frame"]:
                raise google_error(400, f"{model} does not take a lastFrame.")
            last = _image(instance["lastFrame"], "instances[0].lastFrame")
        record = await in_thread(create_job, service, dialect=DIALECT, model=model,
                                 prompt=prompt, size=size, seconds=seconds, image=image,
                                 last=last, extra={"parameters": parameters},
                                 sound=not rules.get("silent"), shape=_reshape)
        return json_answer({"name": _operation_name(model, record.id)})

    async def _extend(model: str, rules: dict[str, Any], instance: dict[str, Any], prompt: str,
                      seconds: int, request: Request) -> dict[str, Any]:
        if not rules["extension"]:
            raise google_error(400, f"{model} cannot extend videos.")
        video = instance["video"]
        uri = video.get("uri") if isinstance(video, dict) else None
        if not isinstance(uri, str) or set(video) != {"uri"}:
            raise _bad("'instances[0].video' must be an object with a 'uri'.")
        path = urlsplit(uri).path
        file_id = path.rsplit("/", 1)[-1].removesuffix(":download")
        source = view(service, file_id, DIALECT)
        if source is None or not path.startswith("/v1beta/files/"):
            raise google_error(400, "'instances[0].video.uri' must name a video this server "
                               "generated.")
        if source.status != COMPLETED:
            raise google_error(400, f"The video {file_id} is not a finished video; only those "
                               "can be extended.")
        if "image" in instance or "lastFrame" in instance:
            raise google_error(400, "An extension takes the video only, no image or lastFrame.")
        public = await in_thread(service.extend, prompt=prompt, seconds=str(seconds),
                                 video=VideoRef(file_id), shape=_reshape)
        job_id = str(public["id"])
        service.store.update(job_id, extra={"dialect": DIALECT, "model": model,
                                            "extended_from": file_id})
        return {"name": _operation_name(model, job_id)}

    @keyed.get("/v1beta/models/{model}/operations/{job_id}")
    async def get_model_operation(model: str, job_id: str, request: Request) -> JSONResponse:
        return json_answer(operation(operation_or_404(job_id), root_url(request)))

    @keyed.get("/v1beta/operations/{job_id}")
    async def get_operation(job_id: str, request: Request) -> JSONResponse:
        return json_answer(operation(operation_or_404(job_id), root_url(request)))

    @keyed.get("/v1beta/files/{file_id}:download")
    async def download(file_id: str) -> Response:
        job = view(service, file_id, DIALECT)
        if job is None or job.status != COMPLETED:
            raise google_error(404, f"File files/{file_id} was not found.")
        expired_download(service, job, lambda status: google_error(
            status, f"File files/{file_id} has expired and is no longer available.").body)
        query = dialect_state(service).signed_query(file_id,
                                                    int(time.time()) + SIGNED_URL_SECONDS)
        return RedirectResponse(f"/_veo/media/{file_id}?{query}", status_code=302)

    @signed.get("/_veo/media/{file_id}")
    async def media(file_id: str, exp: str = "", n: str = "", sig: str = "") -> Response:
        job = view(service, file_id, DIALECT)
        if job is None or not dialect_state(service).signed_ok(file_id, exp, n, sig):
            raise DialectError(403, "<Error><Code>ExpiredToken</Code><Message>The provided "
                               "token has expired.</Message></Error>")
        return FileResponse(await content_path(service, job, _reshape), media_type="video/mp4")

    return joined(keyed, signed)
