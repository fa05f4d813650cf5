"""Request bodies of the create-like calls, read the same way from JSON and multipart forms.

Why one reader: the SDK sends multipart (files as parts, nested objects as ``video[id]`` /
``input_reference[image_url]`` fields) while curl users and gateways send JSON objects; both
become the same plain dict here (:func:`nest_form`), and :func:`reference_image` /
:func:`video_source` turn the ``input_reference`` / ``video`` field into bytes or an id, refusing
anything else with the original's kind of 400.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stillmotion.api.sniff import IMAGE_KINDS, sniff
from stillmotion.errors import ProbeError
from stillmotion.media.probe import probe
from stillmotion.server.errors import APIError

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_VIDEO_BYTES = 512 * 1024 * 1024
IMAGE_FORMATS = "Supported formats are: 'image/jpeg', 'image/png', and 'image/webp'."


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart part (or decoded from a data URL)."""

    data: bytes
    filename: str | None = None


@dataclass(frozen=True)
class FileRef:
    """``{"file_id": …}``: a file uploaded earlier to ``/v1/files``."""

    file_id: str


@dataclass(frozen=True)
class VideoRef:
    """``{"id": …}``: a video job of this server."""

    video_id: str


def nest_form(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Multipart fields as a nested dict: ``video[id]=x`` -> ``{"video": {"id": "x"}}``."""
    nested: dict[str, Any] = {}
    for key, value in items:
        head, bracket, rest = key.partition("[")
        if not bracket or not rest.endswith("]"):
            nested[key] = value
            continue
        inner = nested.setdefault(head, {})
        if isinstance(inner, dict):
            inner[rest[:-1]] = value
    return nested


def text_field(body: dict[str, Any], name: str, default: str | None = None) -> object:
    """A field's raw value (type checked by the caller), or ``default`` when absent/null."""
    value = body.get(name)
    return default if value is None else value


def reference_image(value: object) -> Upload | FileRef:
    """``input_reference`` as image bytes or a file id; 400 when it is neither."""
    if isinstance(value, Upload):
        return value
    if isinstance(value, dict):
        keys = {k for k, v in value.items() if v not in (None, "")}
        if keys == {"image_url"} and isinstance(value["image_url"], str):
            return Upload(decode_data_url(value["image_url"], "input_reference.image_url"))
        if keys == {"file_id"} and isinstance(value["file_id"], str):
            return FileRef(value["file_id"])
        raise APIError(400, "Invalid 'input_reference': give exactly one of 'image_url' or "
                       "'file_id'.", param="input_reference", code="invalid_value")
    raise APIError(400, "Invalid 'input_reference': expected an image file upload or an object "
                   "with 'image_url' or 'file_id'.", param="input_reference",
                   code="invalid_type")


def video_source(value: object) -> Upload | VideoRef:
    """``video`` as uploaded bytes or a job id; 400 when missing or malformed."""
    if isinstance(value, Upload):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"]:
        return VideoRef(value["id"])
    if isinstance(value, str) and value:
        return VideoRef(value)
    if value is None:
        raise APIError(400, "Missing required parameter: 'video'.", param="video",
                       code="missing_required_parameter")
    raise APIError(400, "Invalid 'video': expected a video file upload or an object with "
                   "'id'.", param="video", code="invalid_type")


def decode_data_url(url: str, param: str) -> bytes:
    """The bytes of a base64 ``data:`` URL; 400 for other URLs (this server is offline)."""
    if not url.startswith("data:"):
        raise APIError(400, f"Invalid '{param}': this server cannot fetch remote URLs; send a "
                       "base64 data URL or upload the file.", param=param,
                       code="invalid_image_url")
    header, comma, payload = url.partition(",")
    if not comma or not header.endswith(";base64"):
        raise APIError(400, f"Invalid '{param}': expected a base64 data URL "
                       "('data:image/png;base64,...').", param=param, code="invalid_image_url")
    if len(payload) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise APIError(400, f"Invalid '{param}': the image is larger than 20 MiB.", param=param,
                       code="image_too_large")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise APIError(400, f"Invalid '{param}': the data URL is not valid base64.",
                       param=param, code="invalid_image_url") from None


def image_kind(data: bytes, param: str = "input_reference") -> str:
    """'jpeg', 'png' or 'webp' by the bytes; 400 for anything else or an oversized image."""
    if len(data) > MAX_IMAGE_BYTES:
        raise APIError(400, f"Invalid '{param}': the image is larger than 20 MiB.", param=param,
                       code="image_too_large")
    kind = sniff(data[:16])
    if kind not in IMAGE_KINDS:
        raise APIError(400, f"Invalid file format for '{param}'. {IMAGE_FORMATS}",
                       param=param, code="invalid_image_format")
    assert kind is not None
    return kind


def image_size(path: Path, param: str = "input_reference") -> tuple[int, int]:
    """Width and height of the image at ``path``; 400 when it cannot be decoded."""
    try:
        video = probe(path).require_video()
    except ProbeError:
        raise APIError(400, f"Invalid '{param}': the image could not be decoded.", param=param,
                       code="invalid_image") from None
    return video.width, video.height


def video_facts(path: Path, param: str = "video") -> tuple[tuple[int, int], int]:
    """Size and whole seconds (at least 1) of an uploaded video; 400 when it is not a video."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if sniff(head) != "mp4":
        raise APIError(400, f"Invalid file format for '{param}'. Supported formats are: "
                       "'video/mp4'.", param=param, code="invalid_video_format")
    try:
        info = probe(path)
        video = info.require_video()
    except ProbeError:
        raise APIError(400, f"Invalid '{param}': the video could not be decoded.", param=param,
                       code="invalid_video") from None
    return (video.width, video.height), max(1, round(video.duration))
