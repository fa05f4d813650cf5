"""Build /v1/videos requests as plain specs (method, path, query, body, files, retry class).

Why a pure layer: a request is described once, with the facts the client core needs (is it
idempotent, what is it doing, in words, for error messages, what it accepts) and nothing is
sent; the vendor dialects describe their calls with the same :class:`RequestSpec`, so one core
sends, retries and downloads for all of them. Where a spec goes and which headers it carries is
the :class:`~stillmotion.api._target.Target`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from stillmotion.api.params import (
    SOUND_HEADER,
    CharacterParams,
    CreateVideoParams,
    EditVideoParams,
    ExtendVideoParams,
    RemixVideoParams,
    VideoReference,
    read_image,
    read_video,
)
from stillmotion.api.sniff import MIME_TYPES, sniff
from stillmotion.errors import ConfigError

Variant = Literal["video", "thumbnail", "spritesheet"]
VARIANTS: tuple[Variant, ...] = ("video", "thumbnail", "spritesheet")


@dataclass(frozen=True)
class FilePart:
    """One file in a multipart body; the bytes stay out of ``repr``."""

    name: str
    filename: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class RequestSpec:
    """One request, described: ``action`` is a gerund phrase for messages ("creating a video");
    ``idempotent`` False marks a paid create that must not be retried blindly; ``subject`` is
    the id the call is about, when there is one. ``path`` is under the API root, or an absolute
    URL a service returned (fal's status URLs, result URLs)."""

    method: str
    path: str
    action: str
    idempotent: bool
    params: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    files: tuple[FilePart, ...] = ()
    accept: str = "application/json"
    subject: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    """Headers of this request only (the preview server's :data:`SOUND_HEADER`)."""


def _segment(value: str, what: str) -> str:
    if not value or not value.strip():
        raise ConfigError(f"The {what} is empty; give the id the service returned.")
    return quote(value, safe="")


def _image_part(field_name: str, path: Path) -> FilePart:
    data = read_image(path)
    kind = sniff(data[:16]) or "jpeg"
    return FilePart(field_name, Path(path).name, MIME_TYPES[kind], data)


def _video_part(field_name: str, path: Path) -> FilePart:
    return FilePart(field_name, Path(path).name, MIME_TYPES["mp4"], read_video(path))


def create_video(params: CreateVideoParams, *, sound: bool = True) -> RequestSpec:
    """``POST /videos``: multipart when the reference is a file, JSON otherwise; ``sound``
    False adds :data:`SOUND_HEADER` ``off``."""
    reference = params.input_reference
    headers = {} if sound else {SOUND_HEADER: "off"}
    if isinstance(reference, Path):
        return RequestSpec("POST", "/videos", "creating a video", idempotent=False,
                           form=params.fields(),
                           files=(_image_part("input_reference", reference),), headers=headers)
    return RequestSpec("POST", "/videos", "creating a video", idempotent=False,
                       json=params.json_body(), headers=headers)


def retrieve_video(video_id: str) -> RequestSpec:
    """``GET /videos/{id}``."""
    return RequestSpec("GET", f"/videos/{_segment(video_id, 'video id')}",
                       f"retrieving video {video_id}", idempotent=True)


def list_videos(
    *, after: str | None = None, limit: int | None = None, order: str | None = None
) -> RequestSpec:
    """``GET /videos`` with the cursor ``after``, ``limit`` 1–100 and ``order`` asc/desc."""
    params: dict[str, str] = {}
    if after:
        params["after"] = after
    if limit is not None:
        if not 1 <= limit <= 100:
            raise ConfigError(f"The list limit {limit} is out of range; use 1 to 100.")
        params["limit"] = str(limit)
    if order is not None:
        if order not in ("asc", "desc"):
            raise ConfigError(f"The list order '{order}' is unknown; use asc or desc.")
        params["order"] = order
    return RequestSpec("GET", "/videos", "listing videos", idempotent=True, params=params)


def list_models() -> RequestSpec:
    """``GET /models``: the models a gateway offers (OpenAI's list shape)."""
    return RequestSpec("GET", "/models", "listing the service's models", idempotent=True)


def delete_video(video_id: str) -> RequestSpec:
    """``DELETE /videos/{id}`` (retried like a GET: deleting twice deletes once)."""
    return RequestSpec("DELETE", f"/videos/{_segment(video_id, 'video id')}",
                       f"deleting video {video_id}", idempotent=True)


def download_content(video_id: str, variant: str = "video") -> RequestSpec:
    """``GET /videos/{id}/content?variant=``; the body is bytes, sniffed by the reader."""
    if variant not in VARIANTS:
        raise ConfigError(f"The content variant '{variant}' is unknown; use video, thumbnail "
                          "or spritesheet.")
    return RequestSpec("GET", f"/videos/{_segment(video_id, 'video id')}/content",
                       f"downloading the {variant} of {video_id}", idempotent=True,
                       params={"variant": variant}, accept="application/binary",
                       subject=video_id)


def remix_video(video_id: str, params: RemixVideoParams) -> RequestSpec:
    """``POST /videos/{id}/remix`` (a paid create)."""
    return RequestSpec("POST", f"/videos/{_segment(video_id, 'video id')}/remix",
                       f"remixing video {video_id}", idempotent=False,
                       json=params.model_dump())


def _source_video(
    path: str, action: str, fields: dict[str, str], video: VideoReference | Path
) -> RequestSpec:
    if isinstance(video, Path):
        return RequestSpec("POST", path, action, idempotent=False, form=fields,
                           files=(_video_part("video", video),))
    return RequestSpec("POST", path, action, idempotent=False,
                       json={**fields, "video": video.model_dump()})


def extend_video(params: ExtendVideoParams) -> RequestSpec:
    """``POST /videos/extensions``: JSON ``video: {id}``, or multipart with an uploaded file."""
    subject = params.video.id if isinstance(params.video, VideoReference) else params.video.name
    return _source_video("/videos/extensions", f"extending video {subject}",
                         {"prompt": params.prompt, "seconds": params.seconds}, params.video)


def edit_video(params: EditVideoParams) -> RequestSpec:
    """``POST /videos/edits``: JSON ``video: {id}``, or multipart with an uploaded file."""
    subject = params.video.id if isinstance(params.video, VideoReference) else params.video.name
    return _source_video("/videos/edits", f"editing video {subject}",
                         {"prompt": params.prompt}, params.video)


def create_character(params: CharacterParams) -> RequestSpec:
    """``POST /videos/characters``: multipart ``name`` and ``video`` file."""
    return RequestSpec("POST", "/videos/characters", f"creating character {params.name}",
                       idempotent=False, form={"name": params.name},
                       files=(_video_part("video", params.video),))


def retrieve_character(character_id: str) -> RequestSpec:
    """``GET /videos/characters/{id}``."""
    return RequestSpec("GET", f"/videos/characters/{_segment(character_id, 'character id')}",
                       f"retrieving character {character_id}", idempotent=True)
