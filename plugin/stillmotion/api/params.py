"""Pydantic models of the bodies we send to /v1/videos: strict writers, checked before sending.

Why strict: services reject ``seconds`` sent as a number and sizes not spelled ``WxH``, and a
refused create may still cost money, so what we send is validated, and spelled exactly, before
a paid call is made. A writer that does not validate raises
:class:`~stillmotion.errors.ConfigError` (one sentence), never a pydantic error. Reference
images and uploaded videos are read here too, their kind sniffed from the bytes.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stillmotion.api.sniff import IMAGE_KINDS, MIME_TYPES, sniff
from stillmotion.errors import ConfigError
from stillmotion.timecode import format_size, parse_size

SOUND_HEADER = "X-Stillmotion-Sound"
"""``off`` asks ``stillmotion serve`` for a clip without sound. OpenAI documents no sound switch
(Sora 2 clips always have sound), so the body stays OpenAI's; only the ``preview`` provider,
always our own server, sends it (a gateway would ignore an unknown header)."""

MAX_IMAGE_URL_BYTES = 20 * 1024 * 1024
"""Largest image the service takes as a data URL (20 MiB)."""


_W = TypeVar("_W", bound="_Writer")


class _Writer(BaseModel):
    """Base of every body we send: unknown fields refused, values frozen once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def build(cls: type[_W], **values: Any) -> _W:
        """Validate ``values``; a bad one is a ConfigError naming the field."""
        try:
            return cls(**values)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "body"
            reason = str(first["msg"]).removeprefix("Value error, ")
            raise ConfigError(f"The video request's {field} is not valid: {reason}.") from None


def seconds_text(value: object) -> str:
    """``seconds`` as the wire wants it: a string of a whole positive number ("8")."""
    if isinstance(value, bool):
        raise ValueError("seconds must be a whole number such as 4, 8 or 12")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise ValueError("seconds must be a whole number such as 4, 8 or 12")
    if number <= 0:
        raise ValueError("seconds must be more than zero")
    return str(number)


def size_text(value: object) -> str:
    """``size`` as the wire wants it: ``"WxH"`` from a (width, height) pair or a size text."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        width, height = value
        return format_size(parse_size(f"{int(width)}x{int(height)}"))
    if isinstance(value, str):
        return format_size(parse_size(value))
    raise ValueError("size must be WIDTHxHEIGHT, e.g. 1280x720")


def _validated_size(value: object) -> str | None:
    if value is None:
        return None
    try:
        return size_text(value)
    except ConfigError as exc:
        raise ValueError(exc.message.rstrip(".")) from None


class ImageUrlReference(_Writer):
    """``input_reference: {"image_url": ...}``: an https URL or a base64 ``data:image/...`` URL."""

    image_url: str

    @field_validator("image_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://", "data:image/")):
            raise ValueError("image_url must be an http(s) URL or a data:image/... URL")
        return value

    @classmethod
    def from_file(cls, path: Path) -> ImageUrlReference:
        """A data URL of a JPEG, PNG or WebP file (at most 20 MiB), its type sniffed."""
        data = read_image(path, limit=MAX_IMAGE_URL_BYTES)
        kind = sniff(data)
        assert kind is not None  # read_image refused anything else
        encoded = base64.b64encode(data).decode("ascii")
        return cls(image_url=f"data:{MIME_TYPES[kind]};base64,{encoded}")


class FileIdReference(_Writer):
    """``input_reference: {"file_id": ...}``: an image already uploaded to the service."""

    file_id: str = Field(min_length=1)


class VideoReference(_Writer):
    """``video: {"id": ...}``: a finished job to extend or edit."""

    id: str = Field(min_length=1)


InputReference = Path | ImageUrlReference | FileIdReference
"""A first frame: a file to upload (multipart), or an image URL / file id (JSON)."""


class CreateVideoParams(_Writer):
    """The body of ``POST /videos``; a Path reference is sent as a multipart file upload."""

    prompt: str = Field(min_length=1, max_length=32000)
    model: str | None = Field(default=None, min_length=1)
    seconds: str | None = None
    size: str | None = None
    input_reference: Path | ImageUrlReference | FileIdReference | None = None

    @field_validator("seconds", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> str | None:
        return None if value is None else seconds_text(value)

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, value: object) -> str | None:
        return _validated_size(value)

    def fields(self) -> dict[str, str]:
        """The plain text fields, in wire spelling (what a multipart form carries)."""
        values = {"prompt": self.prompt, "model": self.model, "seconds": self.seconds,
                  "size": self.size}
        return {key: value for key, value in values.items() if value is not None}

    def json_body(self) -> dict[str, Any]:
        """The JSON body; only for references given as an image URL or a file id."""
        body: dict[str, Any] = dict(self.fields())
        reference = self.input_reference
        if isinstance(reference, (ImageUrlReference, FileIdReference)):
            body["input_reference"] = reference.model_dump()
        return body


class RemixVideoParams(_Writer):
    """The body of ``POST /videos/{id}/remix``."""

    prompt: str = Field(min_length=1, max_length=32000)


class ExtendVideoParams(_Writer):
    """The body of ``POST /videos/extensions``: ``video`` is a finished job's id or a file."""

    prompt: str = Field(min_length=1, max_length=32000)
    seconds: str
    video: VideoReference | Path

    @field_validator("seconds", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> str:
        return seconds_text(value)


class EditVideoParams(_Writer):
    """The body of ``POST /videos/edits``: ``video`` is a finished job's id or a file."""

    prompt: str = Field(min_length=1, max_length=32000)
    video: VideoReference | Path


class CharacterParams(_Writer):
    """The multipart body of ``POST /videos/characters``."""

    name: str = Field(min_length=1, max_length=80)
    video: Path


def read_image(path: Path, *, limit: int = MAX_IMAGE_URL_BYTES) -> bytes:
    """The bytes of a JPEG, PNG or WebP reference image; ConfigError for anything else."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the reference image {path} ({exc.strerror}); "
                          "check the path.") from None
    if len(data) > limit:
        raise ConfigError(f"The reference image {path} is larger than {limit // (1024 * 1024)} "
                          "MiB; export a smaller JPEG, PNG or WebP.")
    if sniff(data[:16]) not in IMAGE_KINDS:
        raise ConfigError(f"The reference image {path} is not a JPEG, PNG or WebP file; "
                          "export the still in one of those formats.")
    return data


def read_video(path: Path) -> bytes:
    """The bytes of an MP4 to upload (extensions, edits, characters); ConfigError otherwise."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the video {path} ({exc.strerror}); check the path.") \
            from None
    if sniff(data[:16]) != "mp4":
        raise ConfigError(f"The video {path} is not an MP4 file; conform it to MP4 first.")
    return data
