"""OpenRouter's video dialect on ``stillmotion serve``: submit, poll, content proxy, catalogue.

Paths (the client's ``--base-url`` is ``http://HOST:PORT/api/v1``, standing for
``https://openrouter.ai/api/v1``): ``POST /api/v1/videos`` -> 202 ``{id, polling_url, status:
"pending"}``; ``GET /api/v1/videos/{id}`` -> ``status`` pending / in_progress / completed /
failed with ``unsigned_urls`` (the content proxy) and ``usage`` once completed, or ``error`` (a
string) once failed; ``GET /api/v1/videos/{id}/content?index=0`` -> the MP4; ``GET
/api/v1/videos/models`` -> this server's catalogue (``data[]`` with the documented fields).
With ``--require-key`` every call needs ``Authorization: Bearer KEY``; errors come as
``{"error": {"code", "message"}}``.

Bodies are checked strictly against the server's own catalogue (below, not the client's table:
a wrong client table must be caught here): known fields only, ``duration`` an integer the model
takes, ``resolution`` and ``aspect_ratio`` (or ``size``) it lists, ``frame_images`` entries
``{type: "image_url", image_url: {url: data URI}, frame_type}`` with a frame type the model
takes. ``input_references``, ``provider`` and ``callback_url`` are accepted and kept, not used.
Refusals fail the job with an ``error`` naming the prompt (moderation words) or the image (an
injected refusal), as OpenRouter relays its providers' moderation.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from stillmotion.server.dialect_files import (
    content_path,
    expired_download,
)
from stillmotion.server.dialects import (
    DialectError,
    JobView,
    bearer,
    create_job,
    decode_image,
    gate,
    in_thread,
    json_answer,
    json_object,
    root_url,
    view,
)
from stillmotion.server.errors import APIError
from stillmotion.server.service import VideoService
from stillmotion.server.sound import sound_switch
from stillmotion.server.store import COMPLETED, FAILED, IN_PROGRESS

DIALECT = "openrouter"
PREFIX = "/api/v1"
_16_9, _9_16 = "16:9", "9:16"
_BOTH_FRAMES = ["first_frame", "last_frame"]


def _model(model_id: str, name: str, durations: list[int], resolutions: list[str],
           aspects: list[str], frames: list[str], audio: bool, pricing: dict[str, str] | None,
           sizes: list[str] | None = None) -> dict[str, Any]:
    return {"id": model_id, "canonical_slug": model_id, "name": name, "created": 1772323200,
            "description": f"{name} through OpenRouter (stillmotion serve's catalogue).",
            "supported_durations": durations, "supported_resolutions": resolutions,
            "supported_aspect_ratios": aspects, "supported_sizes": sizes,
            "supported_frame_images": frames, "generate_audio": audio, "seed": True,
            "allowed_passthrough_parameters": [],
            **({"pricing_skus": pricing} if pricing is not None else {})}


CATALOGUE: list[dict[str, Any]] = [
    _model("google/veo-3.1", "Google: Veo 3.1", [4, 6, 8], ["720p", "1080p"], [_16_9, _9_16],
           _BOTH_FRAMES, True, {"per-video-second": "0.40"}),
    _model("google/veo-3.1-fast", "Google: Veo 3.1 Fast", [4, 6, 8], ["720p", "1080p"],
           [_16_9, _9_16], _BOTH_FRAMES, True, {"per-video-second": "0.15"}),
    _model("alibaba/wan-2.7", "Alibaba: Wan 2.7", list(range(2, 16)), ["720p", "1080p"],
           [_16_9, _9_16, "1:1", "4:3", "3:4"], _BOTH_FRAMES, True,
           {"per-video-second-720p": "0.10", "per-video-second-1080p": "0.15"}),
    _model("bytedance/seedance-2.0", "ByteDance: Seedance 2.0", list(range(4, 16)),
           ["480p", "720p", "1080p"], [_16_9, _9_16, "1:1"], _BOTH_FRAMES, True,
           {"per-video-second": "0.25"}),
    _model("openai/sora-2-pro", "OpenAI: Sora 2 Pro", [4, 8, 12], ["720p"], [_16_9, _9_16],
           ["first_frame"], True, {"per-video-second": "0.30"},
           sizes=["1280x720", "720x1280"]),
    _model("minimax/hailuo-2.3", "MiniMax: Hailuo 2.3", [6, 10], ["768p"], [_16_9],
           ["first_frame"], False, None),
]
"""The models this server serves (Hailuo has no pricing: clients must not count it free)."""
MODELS = {entry["id"]: entry for entry in CATALOGUE}
_KEYS = {"model", "prompt", "duration", "resolution", "aspect_ratio", "size", "frame_images",
         "input_references", "generate_audio", "seed", "callback_url", "provider"}
PROMPT_REFUSED = "Content moderation: the prompt was flagged by the provider's safety system."
IMAGE_REFUSED = "Content moderation: the input image was flagged by the provider's safety system."


def openrouter_error(status: int, message: str) -> DialectError:
    """An error in OpenRouter's shape ``{"error": {"code", "message"}}``."""
    return DialectError(status, {"error": {"code": status, "message": message}})


def _reshape(exc: APIError) -> DialectError:
    return openrouter_error(exc.status, exc.message)


def public_id(job_id: str) -> str:
    """The OpenRouter job id of a service job (``video_<hex>`` -> ``job-<hex>``)."""
    return "job-" + job_id.removeprefix("video_")


def service_id(job: str) -> str:
    """The service job id of an OpenRouter job id (any other text finds nothing)."""
    return "video_" + job.removeprefix("job-") if job.startswith("job-") else ""


def render_size(resolution: str, aspect: str) -> tuple[int, int]:
    """The pixels a resolution and aspect ratio stand for (even sides): 720p 16:9 -> 1280x720."""
    short = int(resolution.removesuffix("p"))
    across, _, down = aspect.partition(":")
    ratio = Fraction(int(across), int(down))
    long_side = round(short * max(ratio, 1 / ratio) / 2) * 2
    return (long_side, short) if ratio >= 1 else (short, long_side)


def _choice(body: dict[str, Any], name: str, allowed: list[str] | None, model: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not allowed or value not in allowed:
        raise openrouter_error(400, f"{name} {value!r} is not supported by {model}; supported: "
                               f"{', '.join(allowed or []) or 'none'}.")
    return value


def _size(body: dict[str, Any], rules: dict[str, Any], model: str) -> tuple[int, int]:
    if "size" in body:
        text = _choice(body, "size", rules["supported_sizes"], model)
        width, _, height = text.partition("x")
        return int(width), int(height)
    resolution = _choice(body, "resolution", rules["supported_resolutions"], model)
    aspect = _choice(body, "aspect_ratio", rules["supported_aspect_ratios"], model)
    return render_size(resolution, aspect)


def _frames(value: object, rules: dict[str, Any], model: str) -> dict[str, bytes]:
    if not isinstance(value, list) or not 1 <= len(value) <= 2:
        raise openrouter_error(400, "frame_images must be a list of one or two frame images.")
    found: dict[str, bytes] = {}
    for entry in value:
        url = entry.get("image_url") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or set(entry) != {"type", "image_url", "frame_type"} \
                or entry["type"] != "image_url" or not isinstance(url, dict) \
                or set(url) != {"url"} or entry["frame_type"] in found:
            raise openrouter_error(400, "Each frame_images entry needs type 'image_url', "
                                   "image_url.url and a distinct frame_type.")
        kind = entry["frame_type"]
        if kind not in rules["supported_frame_images"]:
            raise openrouter_error(400, f"frame_type {kind!r} is not supported by {model}; "
                                   f"supported: {', '.join(rules['supported_frame_images'])}.")
        found[str(kind)] = decode_image(url["url"], f"frame_images.{kind}")
    if "first_frame" not in found:
        raise openrouter_error(400, "This server renders from a first frame; send a "
                               "frame_images entry with frame_type 'first_frame'.")
    return found


def _checked(body: dict[str, Any]) -> tuple[str, dict[str, Any], int, tuple[int, int]]:
    """(model, its catalogue entry, duration, render size) of a valid create body."""
    model = body.get("model")
    rules = MODELS.get(model) if isinstance(model, str) else None
    if rules is None or not isinstance(model, str):
        raise openrouter_error(400, f"Model {model!r} is not a video generation model; see "
                               "GET /api/v1/videos/models.")
    if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
        raise openrouter_error(400, "prompt must be a non-empty string.")
    duration = body.get("duration", rules["supported_durations"][0])
    if not isinstance(duration, int) or isinstance(duration, bool) \
            or duration not in rules["supported_durations"]:
        raise openrouter_error(400, f"duration {duration!r} is not supported by {model}; "
                               "supported: "
                               f"{', '.join(map(str, rules['supported_durations']))}.")
    for flag, kind in (("generate_audio", bool), ("seed", int)):
        if flag in body and (not isinstance(body[flag], kind)
                             or (kind is int and isinstance(body[flag], bool))):
            raise openrouter_error(400, f"{flag} must be a {kind.__name__}.")
    return model, rules, duration, _size(body, rules, model)


def _sound(rules: dict[str, Any], body: dict[str, Any]) -> bool:
    """Sound when the model makes it (its catalogue ``generate_audio``) and the request did
    not turn it off with ``generate_audio: false``."""
    return rules.get("generate_audio") is True and sound_switch(body, "generate_audio",
                                                                default=True)


def job_json(job: JobView, root: str) -> dict[str, Any]:
    """The poll answer for ``job`` as OpenRouter spells it."""
    job_id = public_id(job.record.id)
    body: dict[str, Any] = {"id": job_id, "polling_url": f"{PREFIX}/videos/{job_id}"}
    if job.injected is not None:
        return {**body, "status": job.injected}
    if job.status == COMPLETED:
        price = Decimal(str(job.extra.get("price_per_second") or "0"))
        return {**body, "status": "completed", "generation_id": f"gen-{job_id[4:]}",
                "unsigned_urls": [f"{root}{PREFIX}/videos/{job_id}/content?index=0"],
                "usage": {"cost": float(price * int(job.record.seconds)), "is_byok": False}}
    if job.status == FAILED:
        error = {"image": IMAGE_REFUSED, "prompt": PROMPT_REFUSED}.get(job.refused or "",
                                                                       job.error_message)
        return {**body, "status": "failed", "error": error}
    return {**body, "status": "in_progress" if job.status == IN_PROGRESS else "pending"}


def _price(rules: dict[str, Any], size: tuple[int, int]) -> str:
    skus = rules.get("pricing_skus") or {}
    return str(skus.get(f"per-video-second-{min(size)}p") or skus.get("per-video-second")
               or "0")


def router(service: VideoService) -> APIRouter:
    """The OpenRouter routes onto ``service``."""

    def auth_error(missing: bool) -> DialectError:
        return openrouter_error(401, "No auth credentials found" if missing
                                else "User not found.")

    api = APIRouter(prefix=PREFIX, dependencies=[Depends(gate(
        service, presented=bearer, auth_error=auth_error, error=openrouter_error))])

    def job_or_404(job: str, *, status_answer: bool = False) -> JobView:
        found = view(service, service_id(job), DIALECT, status_answer=status_answer)
        if found is None:
            raise openrouter_error(404, f"Video generation job {job} not found.")
        return found

    @api.get("/videos/models")
    async def models() -> JSONResponse:
        return json_answer({"data": CATALOGUE})

    @api.post("/videos")
    async def create(request: Request) -> JSONResponse:
        body = await json_object(request, _KEYS, openrouter_error)
        model, rules, duration, size = _checked(body)
        frames = await in_thread(_frames, body.get("frame_images"), rules, model,
                                 shape=_reshape)
        record = await in_thread(create_job, service, dialect=DIALECT, model=model,
                                 prompt=body["prompt"], size=size, seconds=duration,
                                 image=frames["first_frame"], last=frames.get("last_frame"),
                                 extra={"price_per_second": _price(rules, size),
                                        "generate_audio": body.get("generate_audio")},
                                 sound=_sound(rules, body), shape=_reshape)
        job_id = public_id(record.id)
        return json_answer({"id": job_id, "polling_url": f"{PREFIX}/videos/{job_id}",
                            "status": "pending"}, status=202)

    @api.get("/videos/{job}")
    async def poll(job: str, request: Request) -> JSONResponse:
        return json_answer(job_json(job_or_404(job, status_answer=True), root_url(request)))

    @api.get("/videos/{job}/content")
    async def content(job: str, index: int = 0) -> Response:
        found = job_or_404(job)
        if index != 0:
            raise openrouter_error(404, f"Job {job} has no output {index}.")
        if found.status != COMPLETED:
            raise openrouter_error(400, f"Job {job} is not completed.")
        expired_download(service, found, lambda status: {"error": {
            "code": status, "message": "The video content has expired."}})
        return FileResponse(await content_path(service, found, _reshape),
                            media_type="video/mp4")

    return api
