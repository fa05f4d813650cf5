"""The /v1/videos client: :class:`VideosClient`, the OpenAI wire shape over the shared core.

Why thin: requests are described in :mod:`stillmotion.api._requests` from the strict writers of
:mod:`stillmotion.api.params`, sent, retried and downloaded by the one client core
(:class:`~stillmotion.api._core.HttpCore`, shared with the Veo, Runway and fal dialects), and
answers read into :mod:`stillmotion.api.models`. What is /v1/videos-only lives here: the auth
style (bearer, or Azure's ``api-key`` with its ``/openai/v1`` path), list paging and the
``openai-poll-after-ms`` hint. The key lives in the core's
:class:`~stillmotion.api._target.Target` and never reaches a repr or a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel

from stillmotion.api import _requests as requests
from stillmotion.api._core import HttpCore
from stillmotion.api._download import DEFAULT_MAX_DOWNLOAD_BYTES
from stillmotion.api._parse import poll_after
from stillmotion.api._requests import RequestSpec
from stillmotion.api._target import Target
from stillmotion.api.models import Character, ModelList, Video, VideoDeleted, VideoList
from stillmotion.api.params import (
    CharacterParams,
    CreateVideoParams,
    EditVideoParams,
    ExtendVideoParams,
    InputReference,
    RemixVideoParams,
    VideoReference,
)
from stillmotion.api.providers.base import JobState
from stillmotion.api.retry import RetryPolicy
from stillmotion.errors import ConfigError, ResponseValidationError
from stillmotion.settings import Settings

M = TypeVar("M", bound=BaseModel)

AuthStyle = Literal["bearer", "azure"]
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_VARIABLE = "STILLMOTION_API_KEY"
SETTINGS_KEY_VARIABLE = "STILLMOTION_API_KEY (or OPENAI_API_KEY)"
_AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")


def videos_target(
    base_url: str, *, api_key: str | None, auth_style: AuthStyle | None = None,
    provider: str = "openai", key_variable: str = DEFAULT_KEY_VARIABLE,
) -> tuple[Target, AuthStyle]:
    """The target of a /v1/videos service and its auth style (Azure hosts use ``api-key`` and
    ``/openai/v1``; everything else a bearer key)."""
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    style: AuthStyle = auth_style or ("azure" if host.endswith(_AZURE_HOSTS) else "bearer")
    if style == "azure" and host and not parts.path.endswith("/openai/v1"):
        url = url + ("/v1" if parts.path.endswith("/openai") else "/openai/v1")
    header, scheme = ("api-key", "") if style == "azure" else ("Authorization", "Bearer ")
    target = Target.resolve(url, provider=provider, key_variable=key_variable,
                            key=api_key or None, auth=lambda key: {header: scheme + key},
                            kind="a /v1/videos service",
                            example="https://host/v1 or http://127.0.0.1:PORT/v1")
    return target, style


def _video_source(video: str | Path) -> VideoReference | Path:
    return video if isinstance(video, Path) else VideoReference.build(id=video)


class VideosClient:
    """A /v1/videos service (OpenAI shape, Azure, gateways, or ``stillmotion serve``).

    ``base_url`` ends at the API root (``https://api.openai.com/v1``,
    ``http://127.0.0.1:PORT/v1``, or an Azure resource URL). A key is required unless the host
    is loopback. ``auth_style`` is chosen from the URL when not given.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        auth_style: AuthStyle | None = None,
        provider: str = "openai",
        key_variable: str = DEFAULT_KEY_VARIABLE,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.target, self.auth_style = videos_target(
            base_url, api_key=api_key, auth_style=auth_style, provider=provider,
            key_variable=key_variable)
        self._core = HttpCore(self.target, timeout=timeout, connect_timeout=connect_timeout,
                              retry=retry, max_download_bytes=max_download_bytes, sleep=sleep,
                              transport=transport)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        provider: str = "openai",
        default_base_url: str | None = DEFAULT_BASE_URL,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> VideosClient:
        """A client from STILLMOTION_BASE_URL, STILLMOTION_API_KEY (else OPENAI_API_KEY) and
        STILLMOTION_REQUEST_TIMEOUT."""
        base_url = settings.base_url or default_base_url
        if base_url is None:
            raise ConfigError(f"The {provider} provider has no address; set "
                              "STILLMOTION_BASE_URL (for example http://127.0.0.1:PORT/v1).")
        return cls(base_url, api_key=settings.resolved_api_key(), provider=provider,
                   key_variable=SETTINGS_KEY_VARIABLE, timeout=settings.request_timeout,
                   retry=retry, sleep=sleep, transport=transport)

    def __repr__(self) -> str:
        return (f"VideosClient(base_url={self.target.root!r}, "
                f"auth_style={self.auth_style!r}, provider={self.target.provider!r})")

    def close(self) -> None:
        """Close the connection pool."""
        self._core.close()

    def __enter__(self) -> VideosClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, model: type[M], spec: RequestSpec) -> M:
        return self._core.call(model, spec)

    # -- the API

    def create(
        self,
        prompt: str,
        *,
        model: str | None = None,
        seconds: int | str | None = None,
        size: str | tuple[int, int] | None = None,
        input_reference: InputReference | None = None,
        sound: bool = True,
    ) -> Video:
        """Create a job (a paid call, never retried once it may have reached the service).

        A Path reference is uploaded as multipart; an ImageUrlReference or FileIdReference
        is sent in a JSON body. ``sound`` False asks our own server for no sound
        (``params.SOUND_HEADER``; the ``preview`` provider only).
        """
        return self._call(Video, requests.create_video(CreateVideoParams.build(
            prompt=prompt, model=model, seconds=seconds, size=size,
            input_reference=input_reference), sound=sound))

    def retrieve(self, video_id: str) -> Video:
        """The job as the service sees it now."""
        return self._call(Video, requests.retrieve_video(video_id))

    def poll(self, video_id: str) -> JobState:
        """One observation in the common job model, with the ``openai-poll-after-ms`` hint."""
        spec = requests.retrieve_video(video_id)
        response = self._core.send(spec)
        video = self._core.read(Video, spec, response)
        return video.to_job_state(poll_after=poll_after(response.headers))

    def list_pages(
        self, *, limit: int | None = None, order: str | None = None, after: str | None = None
    ) -> Iterator[VideoList]:
        """Every page of jobs, following ``after=last_id`` while ``has_more``."""
        seen: set[str] = set()
        cursor = after
        while True:
            spec = requests.list_videos(after=cursor, limit=limit, order=order)
            page = self._call(VideoList, spec)
            yield page
            cursor = page.next_cursor()
            if cursor is not None and cursor in seen:
                raise ResponseValidationError(
                    f"Listing videos on {self.target.host} returned the cursor {cursor} twice; "
                    "the service's paging is broken, so stop and list with a larger limit.",
                    provider=self.target.provider)
            if cursor is None:
                return
            seen.add(cursor)

    def list(
        self, *, limit: int | None = None, order: str | None = None, after: str | None = None
    ) -> Iterator[Video]:
        """Every job across all pages."""
        for page in self.list_pages(limit=limit, order=order, after=after):
            yield from page.data

    def list_models(self) -> ModelList:
        """The models the service lists (``GET /models``)."""
        return self._call(ModelList, requests.list_models())

    def delete(self, video_id: str) -> VideoDeleted:
        """Delete a finished job and its content."""
        return self._call(VideoDeleted, requests.delete_video(video_id))

    def remix(self, video_id: str, *, prompt: str) -> Video:
        """A new job remixing a finished one (paid, not retried blindly)."""
        return self._call(Video, requests.remix_video(
            video_id, RemixVideoParams.build(prompt=prompt)))

    def extend(self, video: str | Path, *, prompt: str, seconds: int | str) -> Video:
        """A new job extending a finished job (its id) or an MP4 file (paid)."""
        return self._call(Video, requests.extend_video(ExtendVideoParams.build(
            prompt=prompt, seconds=seconds, video=_video_source(video))))

    def edit(self, video: str | Path, *, prompt: str) -> Video:
        """A new job editing a finished job (its id) or an MP4 file (paid)."""
        return self._call(Video, requests.edit_video(EditVideoParams.build(
            prompt=prompt, video=_video_source(video))))

    def create_character(self, *, name: str, video: Path) -> Character:
        """A character from an MP4 (multipart ``name`` and ``video``)."""
        return self._call(Character, requests.create_character(
            CharacterParams.build(name=name, video=video)))

    def retrieve_character(self, character_id: str) -> Character:
        """A character by id."""
        return self._call(Character, requests.retrieve_character(character_id))

    def download(
        self, video_id: str, dest: Path, *, variant: str = "video", overwrite: bool = False
    ) -> Path:
        """Stream a job's ``variant`` (video, thumbnail, spritesheet) to ``dest``.

        The body goes to a temporary sibling, is size-capped, sniffed (MP4 for video, WebP/JPEG/
        PNG for images) and checked against Content-Length; only then is it renamed onto
        ``dest``. A refused body leaves no file. Returns ``dest`` made absolute.
        """
        return self._core.download(requests.download_content(video_id, variant), dest,
                                   variant=variant, overwrite=overwrite)
