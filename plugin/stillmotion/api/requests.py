"""Build /v1/videos requests as plain specs (method, path, query, body, files, retry class).

Why a pure layer: the sync and async clients must send exactly the same requests; here every
call is described once, with the facts the executors need (is it idempotent, what is it doing,
in words, for error messages) and nothing is sent. :class:`ApiTarget` holds where requests go and
how they authenticate (bearer, Azure ``api-key``, or none for a loopback server) and keeps the
key out of every repr.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpx

from stillmotion.api.models import (
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

AuthStyle = Literal["bearer", "azure"]
Variant = Literal["video", "thumbnail", "spritesheet"]
VARIANTS: tuple[Variant, ...] = ("video", "thumbnail", "spritesheet")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_VARIABLE = "STILLMOTION_API_KEY"
_AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (a key is optional there)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ApiTarget:
    """Where requests go and how they authenticate. Build it with :meth:`resolve`.

    The key is held out of ``repr`` and only ever leaves through :meth:`auth_headers`.
    """

    base_url: str
    auth_style: AuthStyle
    provider: str
    key_variable: str
    api_key: str | None = field(default=None, repr=False)

    @classmethod
    def resolve(
        cls,
        base_url: str,
        *,
        api_key: str | None,
        auth_style: AuthStyle | None = None,
        provider: str = "openai",
        key_variable: str = DEFAULT_KEY_VARIABLE,
    ) -> ApiTarget:
        """Check the URL, pick the auth style (Azure hosts use ``api-key`` and ``/openai/v1``)
        and insist on a key for any non-loopback service."""
        url = base_url.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"The base URL '{base_url}' is not an http(s) URL; set it like "
                              "https://host/v1 or http://127.0.0.1:PORT/v1.")
        host = parts.hostname
        style: AuthStyle = auth_style or (
            "azure" if host.lower().endswith(_AZURE_HOSTS) else "bearer")
        if style == "azure" and not parts.path.endswith("/openai/v1"):
            url = url + ("/v1" if parts.path.endswith("/openai") else "/openai/v1")
        key = api_key or None
        if key is None and not is_loopback(host):
            raise ConfigError(f"No API key for {parts.scheme}://{parts.netloc}; set "
                              f"{key_variable} to the service's key.")
        return cls(base_url=url, auth_style=style, provider=provider,
                   key_variable=key_variable, api_key=key)

    @property
    def host(self) -> str:
        """The service's host and port, for messages."""
        return urlsplit(self.base_url).netloc

    def url(self, path: str) -> str:
        """The absolute URL of an API path such as ``/videos``."""
        return self.base_url + path

    def auth_headers(self) -> dict[str, str]:
        """The authentication header for this service (none without a key)."""
        if self.api_key is None:
            return {}
        if self.auth_style == "azure":
            return {"api-key": self.api_key}
        return {"Authorization": f"Bearer {self.api_key}"}


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
    the id the call is about, when there is one."""

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


def to_httpx(
    http: httpx.Client | httpx.AsyncClient, target: ApiTarget, spec: RequestSpec
) -> httpx.Request:
    """The httpx request for ``spec`` (both client kinds build requests the same way)."""
    headers = {"Accept": spec.accept, **target.auth_headers()}
    files = {part.name: (part.filename, part.content, part.content_type) for part in spec.files}
    return http.build_request(
        spec.method,
        target.url(spec.path),
        params=spec.params or None,
        headers=headers,
        json=spec.json,
        data=spec.form,
        files=files or None,
    )


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


def create_video(params: CreateVideoParams) -> RequestSpec:
    """``POST /videos``: multipart when the reference is a file, JSON otherwise."""
    reference = params.input_reference
    if isinstance(reference, Path):
        return RequestSpec("POST", "/videos", "creating a video", idempotent=False,
                           form=params.fields(),
                           files=(_image_part("input_reference", reference),))
    return RequestSpec("POST", "/videos", "creating a video", idempotent=False,
                       json=params.json_body())


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
