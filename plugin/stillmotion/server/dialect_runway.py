"""Runway's task dialect on ``stillmotion serve``: image_to_video, tasks, signed outputs.

Paths (``--base-url`` is this server's root): ``POST /v1/image_to_video``, ``GET
/v1/tasks/{id}``, and the signed output URL ``GET /_runway/outputs/{id}.mp4?exp=&sig=``, which
needs no key and answers 403 in S3's words once expired. Every API call must carry
``X-Runway-Version: 2024-11-06``; with ``--require-key`` also ``Authorization: Bearer KEY``.
Task ids are UUIDs (the service job's hex). Bodies are checked strictly: fields, types, the
model's ratios and durations, and a last frame only where the model takes one (the Veo 3.1 models
Runway serves, ``veo3.1`` and ``veo3.1_fast``: a ``promptImage`` list with ``position: last``;
gen4.5 and gen4_turbo take ``first`` only, per Runway's OpenAPI spec of July 2026). Refusals
fail the task with ``failureCode`` ``SAFETY.INPUT.TEXT`` (moderation words) or
``SAFETY.INPUT.IMAGE`` (an injected image refusal).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from stillmotion.server.dialect_files import (
    joined,
    signed_files_router,
    signed_video_route,
)
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
    json_object,
    root_url,
    task_uuid,
    view,
)
from stillmotion.server.errors import APIError
from stillmotion.server.service import VideoService
from stillmotion.server.sound import sound_switch
from stillmotion.server.store import COMPLETED, FAILED, IN_PROGRESS

DIALECT = "runway"
API_VERSION = "2024-11-06"
PROMPT_MAX = 1000
SEED_MAX = 4294967295
_GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
_VEO = {"ratios": ("1280:720", "720:1280", "1080:1920", "1920:1080"), "durations": (4, 6, 8),
        "last_frame": True, "keys": {"audio", "negativePrompt"}}
MODELS: dict[str, dict[str, Any]] = {
    "gen4.5": {"ratios": _GEN4_RATIOS, "durations": tuple(range(2, 11)), "last_frame": False,
               "keys": {"seed"}, "prompt_required": True},
    "gen4_turbo": {"ratios": _GEN4_RATIOS, "durations": (5, 10), "last_frame": False,
                   "keys": {"seed"}},
    "veo3.1": _VEO, "veo3.1_fast": _VEO,
}
RETIRED = {"gen3a_turbo": "Model gen3a_turbo was retired on 2026-07-30; use gen4.5."}
_KEYS = {"model", "promptImage", "promptText", "ratio", "duration", "seed", "audio",
         "negativePrompt"}
S3_EXPIRED = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>"
              "<Message>Request has expired</Message></Error>")


def _sound(rules: dict[str, Any], body: dict[str, Any]) -> bool:
    """Runway's own models make no sound; the Veo ones take ``audio`` (default: sound)."""
    return "audio" in rules["keys"] and sound_switch(body, "audio", default=True)


def runway_error(status: int, message: str) -> DialectError:
    """An error in Runway's shape ``{"error": "..."}``."""
    return DialectError(status, {"error": message})


def _reshape(exc: APIError) -> DialectError:
    return runway_error(exc.status, exc.message)



def _images(value: object, rules: dict[str, Any], model: str) -> tuple[bytes, bytes | None]:
    if isinstance(value, str):
        return decode_image(value, "promptImage"), None
    if not isinstance(value, list) or not 1 <= len(value) <= 2:
        raise runway_error(400, "promptImage must be a data URI or a list of one or two "
                           "{uri, position} objects.")
    found: dict[str, bytes] = {}
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"uri", "position"} \
                or entry["position"] not in ("first", "last") or entry["position"] in found:
            raise runway_error(400, "Each promptImage entry needs a 'uri' and a distinct "
                               "'position' of 'first' or 'last'.")
        found[entry["position"]] = decode_image(entry["uri"], f"promptImage.{entry['position']}")
    if "first" not in found:
        raise runway_error(400, "promptImage needs the 'first' position.")
    if "last" in found and not rules["last_frame"]:
        raise runway_error(400, f"The model {model} does not support a 'last' position.")
    return found["first"], found.get("last")


def _durations(allowed: tuple[int, ...]) -> str:
    """``5 or 10``, ``4, 6 or 8``, ``an integer from 2 to 10`` (a run of whole seconds)."""
    if len(allowed) > 3 and allowed == tuple(range(allowed[0], allowed[-1] + 1)):
        return f"an integer from {allowed[0]} to {allowed[-1]}"
    return ", ".join(str(d) for d in allowed[:-1]) + f" or {allowed[-1]}"


def _int(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise runway_error(400, f"'{name}' must be an integer.")
    return value


def task_json(job: JobView, root: str, service: VideoService) -> dict[str, Any]:
    """The task JSON of ``job`` as Runway spells it."""
    record = job.record
    body: dict[str, Any] = {"id": task_uuid(record.id), "createdAt": datetime.fromtimestamp(
        record.created_at, timezone.utc).isoformat().replace("+00:00", "Z")}
    if job.injected is not None:
        return {**body, "status": job.injected}
    if job.status == COMPLETED:
        expires = int(time.time()) + 3600
        if record.expires_at is not None:
            expires = min(expires, int(record.expires_at))
        query = dialect_state(service).signed_query(record.id, expires)
        url = f"{root}/_runway/outputs/{task_uuid(record.id)}.mp4?{query}"
        return {**body, "status": "SUCCEEDED", "output": [url]}
    if job.status == FAILED:
        if job.refused == "image":
            return {**body, "status": "FAILED", "failureCode": "SAFETY.INPUT.IMAGE",
                    "failure": "The input image was flagged by content moderation."}
        if job.refused == "prompt":
            return {**body, "status": "FAILED", "failureCode": "SAFETY.INPUT.TEXT",
                    "failure": "The prompt was flagged by content moderation."}
        return {**body, "status": "FAILED", "failureCode": "INTERNAL.BAD_OUTPUT",
                "failure": job.error_message}
    if job.status == IN_PROGRESS:
        return {**body, "status": "RUNNING", "progress": round(record.progress / 100, 2)}
    return {**body, "status": "PENDING"}


def router(service: VideoService) -> APIRouter:
    """The Runway routes onto ``service``."""

    def auth_error(missing: bool) -> DialectError:
        return runway_error(401, "Missing API key." if missing else "Invalid API key.")

    def version(request: Request) -> None:
        given = request.headers.get("x-runway-version")
        if given is None:
            raise runway_error(400, "You must provide a X-Runway-Version header.")
        if given != API_VERSION:
            raise runway_error(400, f"Invalid API version '{given}'; use {API_VERSION}.")

    api = APIRouter(dependencies=[Depends(gate(service, presented=bearer,
                                               auth_error=auth_error, error=runway_error,
                                               check=version))])
    files = signed_files_router(service, auth_error=auth_error, error=runway_error)

    def task_or_404(task: str) -> JobView:
        found = view(service, job_of_task(task) or "", DIALECT, status_answer=True)
        if found is None:
            raise runway_error(404, "Task not found.")
        return found

    @api.post("/v1/image_to_video")
    async def image_to_video(request: Request) -> JSONResponse:
        body = await json_object(request, _KEYS, runway_error)
        model = body.get("model")
        if isinstance(model, str) and model in RETIRED:
            raise runway_error(400, RETIRED[model])
        rules = MODELS.get(model) if isinstance(model, str) else None
        if rules is None:
            raise runway_error(400, f"Invalid model; use one of: {', '.join(MODELS)}.")
        assert isinstance(model, str)
        foreign = sorted(set(body) & (_KEYS - {"model", "promptImage", "promptText", "ratio",
                                               "duration"} - rules["keys"]))
        if foreign:
            raise runway_error(400, f"Unrecognized key for {model}: '{foreign[0]}'.")
        prompt = body.get("promptText", "")
        if not isinstance(prompt, str) or len(prompt) > PROMPT_MAX:
            raise runway_error(400, f"promptText must be a string of at most {PROMPT_MAX} "
                               "characters.")
        if rules.get("prompt_required") and not prompt.strip():
            raise runway_error(400, f"promptText is required for {model}.")
        if ("negativePrompt" in body and not isinstance(body["negativePrompt"], str)) \
                or ("audio" in body and not isinstance(body["audio"], bool)):
            raise runway_error(400, "negativePrompt must be a string and audio a boolean.")
        ratio = body.get("ratio")
        if ratio not in rules["ratios"]:
            raise runway_error(400, f"Invalid ratio for {model}; use one of: "
                               f"{', '.join(rules['ratios'])}.")
        duration = _int(body, "duration")
        if duration not in rules["durations"]:
            raise runway_error(400, f"duration must be {_durations(rules['durations'])} for "
                               f"{model}.")
        if "seed" in body and not 0 <= _int(body, "seed") <= SEED_MAX:
            raise runway_error(400, f"seed must be from 0 to {SEED_MAX}.")
        first, last = await in_thread(_images, body.get("promptImage"), rules, model,
                                      shape=_reshape)
        width, _, height = str(ratio).partition(":")
        record = await in_thread(create_job, service, dialect=DIALECT, model=model,
                                 prompt=prompt or "(no prompt)",
                                 size=(int(width), int(height)), seconds=duration,
                                 image=first, last=last, extra={"ratio": ratio},
                                 sound=_sound(rules, body), shape=_reshape)
        return json_answer({"id": task_uuid(record.id)})

    @api.get("/v1/tasks/{task}")
    async def get_task(task: str, request: Request) -> JSONResponse:
        return json_answer(task_json(task_or_404(task), root_url(request), service))

    signed_video_route(files, "/_runway/outputs/{task}.mp4", service, DIALECT, S3_EXPIRED, _reshape)
    return joined(api, files)
