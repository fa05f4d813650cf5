"""fal.ai's queue dialect on ``stillmotion serve``: submit to a model id, status, result, files.

Paths (``--base-url`` is this server's root, standing for ``https://queue.fal.run``): ``POST
/{model_id}`` answers ``{request_id, response_url, status_url, cancel_url}`` pointing back here
(``/{model_id}/requests/{id}``, ``…/status``, ``…/cancel``); the result's ``video.url`` is a
public ``/_fal/files/{id}/output.mp4``. With ``--require-key`` the API calls need
``Authorization: Key KEY``. Bodies are checked as fal's apps do (FastAPI-style 422 ``detail``
lists) against :data:`MODELS`, each model's fields as its fal page lists them: the first-frame
field (``image_url``, ``start_image_url`` or ``first_frame_url``; a data URI: this server is
offline), the last-frame field where the model takes one (``tail_image_url``, ``end_image_url``,
``last_frame_url``), ``duration`` exactly as the model spells it (``"5"`` strings for Kling and
Seedance, integers for Wan 2.7 and LTX-2, ``"8s"`` for Veo 3.1), ``resolution`` and
``aspect_ratio`` words where the model takes them, and its knobs. The render follows the still's
shape. A refused job completes in the queue and its result answers 422 with ``type:
content_policy_violation`` and ``loc`` naming ``prompt`` (moderation words) or the image field
(an injected image refusal).

Model ids are matched by the ``falmodel`` path convertor: two or more segments, the first not
the server's own (``v1``, ``v1beta``, ``_…``), so /v1 paths nobody serves keep their ordinary
404; the router is mounted last all the same.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.convertors import Convertor, register_url_convertor

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
    decode_image,
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

DIALECT = "fal"
_TEXT_5_10 = ("5", "10")
_KLING: dict[str, Any] = {"image": "image_url", "last": None, "durations": _TEXT_5_10,
                          "knobs": {"negative_prompt", "cfg_scale"}}
_KLING_NEW: dict[str, Any] = {"image": "start_image_url", "last": "end_image_url",
                              "durations": tuple(str(d) for d in range(3, 16)),
                              "knobs": {"negative_prompt", "cfg_scale", "generate_audio"}}
_SEEDANCE: dict[str, Any] = {"image": "image_url", "last": "end_image_url",
                             "durations": ("auto", *(str(d) for d in range(4, 16))),
                             "resolution": ("480p", "720p", "1080p"),
                             "aspect_ratio": ("auto", "21:9", "16:9", "4:3", "1:1", "3:4",
                                              "9:16"),
                             "knobs": {"generate_audio", "seed"}}
_VEO: dict[str, Any] = {"image": "image_url", "last": None, "durations": ("4s", "6s", "8s"),
                        "resolution": ("720p", "1080p", "4k"),
                        "aspect_ratio": ("auto", "16:9", "9:16"),
                        "knobs": {"negative_prompt", "generate_audio", "seed"}}
MODELS: dict[str, dict[str, Any]] = {
    "fal-ai/kling-video/v2.1/standard/image-to-video": _KLING,
    "fal-ai/kling-video/v2.1/pro/image-to-video": {**_KLING, "last": "tail_image_url"},
    "fal-ai/kling-video/v2.1/master/image-to-video": _KLING,
    "fal-ai/kling-video/v2.6/pro/image-to-video": {
        **_KLING_NEW, "durations": _TEXT_5_10, "knobs": {"negative_prompt", "generate_audio"}},
    "fal-ai/kling-video/v3/pro/image-to-video": _KLING_NEW,
    "fal-ai/wan/v2.7/image-to-video": {
        "image": "image_url", "last": "end_image_url", "durations": tuple(range(2, 16)),
        "resolution": ("720p", "1080p"), "knobs": {"negative_prompt", "seed"}},
    "bytedance/seedance-2.0/image-to-video": _SEEDANCE,
    "bytedance/seedance-2.0/fast/image-to-video": {**_SEEDANCE,
                                                   "resolution": ("480p", "720p")},
    "fal-ai/veo3.1/image-to-video": _VEO,
    "fal-ai/veo3.1/fast/image-to-video": _VEO,
    "fal-ai/veo3.1/fast/first-last-frame-to-video": {
        **_VEO, "image": "first_frame_url", "last": "last_frame_url", "needs_last": True},
    "fal-ai/ltx-2/image-to-video": {
        "image": "image_url", "last": None, "durations": (6, 8, 10),
        "resolution": ("1080p", "1440p", "2160p"), "knobs": {"generate_audio", "fps"}},
}
"""What each hosted model accepts, from its fal page (``fal.ai/models/<id>/llms.txt``)."""
FLAGGED = "The content was flagged by a content checker."


class FalModelConvertor(Convertor[str]):
    """A fal model id in a path: ``owner/app[/…]``, never one of the server's own paths."""

    regex = r"(?!(?:v1|v1beta)/)[A-Za-z0-9][A-Za-z0-9._-]*/[^?#]*[^/?#]"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("falmodel", FalModelConvertor())


def fal_error(status: int, message: str) -> DialectError:
    """An error in fal's shape ``{"detail": "..."}``."""
    return DialectError(status, {"detail": message})


def field_error(field: str, message: str, kind: str, given: Any = None) -> DialectError:
    """A 422 naming one body field, as fal's (FastAPI) apps answer."""
    entry: dict[str, Any] = {"loc": ["body", field], "msg": message, "type": kind}
    if given is not None:
        entry["input"] = given
    return DialectError(422, {"detail": [entry]})


def _reshape(exc: APIError) -> DialectError:
    if exc.param:
        return field_error(exc.param.split(".")[0], exc.message, exc.code or "value_error")
    return fal_error(exc.status, exc.message)



def _fields(rules: dict[str, Any]) -> set[str]:
    """Every body field the model takes."""
    shape = {word for word in ("resolution", "aspect_ratio") if word in rules}
    last = {rules["last"]} if rules["last"] else set()
    return {"prompt", rules["image"], "duration", *last, *shape, *rules["knobs"]}


def _literal(allowed: tuple[Any, ...]) -> str:
    shown = [repr(a) for a in allowed]
    return ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else shown[0]


def seconds_of(duration: object) -> int:
    """Whole seconds of an accepted ``duration`` (``"5"``, ``5``, ``"8s"``; ``"auto"``: 5)."""
    text = str(duration).removesuffix("s")
    return int(text) if text.isdigit() else 5


def _check_body(model: str, body: object) -> dict[str, Any]:
    rules = MODELS[model]
    if not isinstance(body, dict):
        raise fal_error(422, "The body must be a JSON object.")
    allowed = _fields(rules)
    for key in body:
        if key not in allowed:
            raise field_error(key, "Extra inputs are not permitted", "extra_forbidden",
                              body[key] if isinstance(body[key], (int, float)) else None)
    for key in ("prompt", rules["image"], *([rules["last"]] if rules.get("needs_last") else [])):
        if key not in body:
            raise field_error(key, "Field required", "missing")
    if not isinstance(body["prompt"], str) or not body["prompt"].strip():
        raise field_error("prompt", "Input should be a non-empty string", "string_type")
    duration = body.get("duration", rules["durations"][0])
    if duration not in rules["durations"] or isinstance(duration, bool) \
            or type(duration) is not type(rules["durations"][-1]):
        raise field_error("duration", f"Input should be {_literal(rules['durations'])}",
                          "literal_error", duration)
    for word in ("resolution", "aspect_ratio"):
        if word in body and body[word] not in rules[word]:
            raise field_error(word, f"Input should be {_literal(rules[word])}",
                              "literal_error", body[word])
    for flag in ("generate_audio",):
        if flag in body and not isinstance(body[flag], bool):
            raise field_error(flag, "Input should be a valid boolean", "bool_type")
    scale = body.get("cfg_scale", 0.5)
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0 <= scale <= 1:
        raise field_error("cfg_scale", "Input should be a number from 0 to 1", "value_error")
    if "negative_prompt" in body and not isinstance(body["negative_prompt"], str):
        raise field_error("negative_prompt", "Input should be a valid string", "string_type")
    return body


def _sound(rules: dict[str, Any], body: dict[str, Any]) -> bool:
    """Sound from the models whose page lists ``generate_audio`` (default true) unless it is
    false; the others (Kling v2.1, Wan 2.7) make none."""
    return "generate_audio" in rules["knobs"] and sound_switch(body, "generate_audio",
                                                               default=True)


def _result(job: JobView) -> DialectError | None:
    """The error a finished job's result answers, if it failed."""
    if job.refused is not None:
        rules = MODELS.get(str(job.extra.get("model")), _KLING)
        field = rules["image"] if job.refused == "image" else "prompt"
        return DialectError(422, {"detail": [{
            "loc": ["body", field], "msg": FLAGGED, "type": "content_policy_violation",
            "url": "https://docs.fal.ai/errors#content_policy_violation"}]})
    if job.status == FAILED:
        return fal_error(500, job.error_message)
    return None


def router(service: VideoService) -> APIRouter:
    """The fal routes onto ``service`` (include it after every other router)."""

    def presented(request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "key" and token.strip() else None

    def auth_error(missing: bool) -> DialectError:
        return fal_error(401, "Missing authorization header." if missing
                         else "Invalid authorization credentials.")

    queue = APIRouter(dependencies=[Depends(gate(service, presented=presented,
                                                 auth_error=auth_error, error=fal_error))])
    files = signed_files_router(service, auth_error=auth_error, error=fal_error)

    def model_of(path: str) -> str:
        if path not in MODELS:
            raise fal_error(404, f"Application '{path}' not found.")
        return path

    def job_or_404(path: str, request: str, *, status_answer: bool = False) -> JobView:
        model_of(path)
        found = view(service, job_of_task(request) or "", DIALECT, status_answer=status_answer)
        if found is None or found.extra.get("model") != path:
            raise fal_error(404, f"Request {request} not found.")
        return found

    def urls(root: str, model: str, rid: str) -> dict[str, str]:
        base = f"{root}/{model}/requests/{rid}"
        return {"response_url": base, "status_url": f"{base}/status",
                "cancel_url": f"{base}/cancel"}

    @files.get("/_fal/files/{request}/output.mp4")
    async def output(request: str) -> Response:
        found = view(service, job_of_task(request) or "", DIALECT)
        if found is None or found.status != COMPLETED or found.refused:
            raise fal_error(404, "File not found.")
        expired_download(service, found, lambda status: {"detail": "The file has expired."})
        return FileResponse(await content_path(service, found, _reshape),
                            media_type="video/mp4")

    @queue.get("/{model_path:falmodel}/requests/{request}/status")
    async def status(model_path: str, request: str, http: Request) -> JSONResponse:
        job = job_or_404(model_path, request, status_answer=True)
        position = sum(1 for r in service.store.jobs()
                       if r.status == "queued" and r.seq < job.record.seq)
        if job.injected is not None:
            return json_answer({"status": job.injected, "request_id": request})
        if job.status in (COMPLETED, FAILED):
            body: dict[str, Any] = {"status": "COMPLETED", "request_id": request,
                                    "response_url": urls(root_url(http), model_path,
                                                         request)["response_url"]}
            if job.status == FAILED and job.refused is None:
                body["error"] = job.error_message
            return json_answer(body)
        if job.status == IN_PROGRESS:
            return json_answer({"status": "IN_PROGRESS", "request_id": request, "logs": []})
        return json_answer({"status": "IN_QUEUE", "request_id": request,
                            "queue_position": position})

    @queue.get("/{model_path:falmodel}/requests/{request}")
    async def result(model_path: str, request: str, http: Request) -> JSONResponse:
        job = job_or_404(model_path, request)
        if job.status not in (COMPLETED, FAILED):
            raise fal_error(400, "Request is still in progress.")
        failed = _result(job)
        if failed is not None:
            raise failed
        path = await content_path(service, job, _reshape)
        return json_answer({"video": {
            "url": f"{root_url(http)}/_fal/files/{request}/output.mp4",
            "content_type": "video/mp4", "file_name": "output.mp4",
            "file_size": path.stat().st_size}})

    @queue.post("/{model_path:falmodel}")
    async def submit(model_path: str, http: Request) -> JSONResponse:
        model = model_of(model_path)
        try:
            body = _check_body(model, await http.json())
        except ValueError:
            raise fal_error(422, "The body is not JSON.") from None
        rules = MODELS[model]
        image = await in_thread(decode_image, body[rules["image"]], rules["image"],
                                shape=_reshape)
        last = None
        if rules["last"] and rules["last"] in body:
            last = await in_thread(decode_image, body[rules["last"]], rules["last"],
                                   shape=_reshape)
        size = await in_thread(still_size, image, rules["image"], shape=_reshape)
        record = await in_thread(create_job, service, dialect=DIALECT, model=model,
                                 prompt=body["prompt"], size=size,
                                 seconds=seconds_of(body.get("duration", rules["durations"][0])),
                                 image=image, last=last, sound=_sound(rules, body),
                                 shape=_reshape)
        rid = task_uuid(record.id)
        return json_answer({"request_id": rid, **urls(root_url(http), model, rid),
                            "queue_position": 0})

    return joined(files, queue)
