"""The /v1/videos clients: :class:`VideosClient` (httpx.Client) and :class:`AsyncVideosClient`.

Why two thin executors: the pipeline waits on one job at a time, batches run many at once, and
both must send the same requests and read answers the same way. So requests are built in
:mod:`stillmotion.api.requests`, answers read and errors mapped in :mod:`stillmotion.api.parse`,
retry decisions made by :class:`~stillmotion.api.retry.RetryPolicy`, and downloads checked by
:class:`~stillmotion.api.download.ContentSink`; the clients only send, sleep between attempts
and stream to disk. Every client has explicit connect/read/write/pool timeouts; the key lives in
:class:`~stillmotion.api.requests.ApiTarget` and never reaches a repr or a message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel

from stillmotion.api import requests
from stillmotion.api.attempts import FAILURES as _Failure
from stillmotion.api.attempts import MAX_REDIRECTS
from stillmotion.api.attempts import StatusFailure as _StatusFailure
from stillmotion.api.attempts import delay_or_raise as _delay_or_raise
from stillmotion.api.attempts import http_timeout as _timeout
from stillmotion.api.attempts import too_many_redirects as _too_many_redirects
from stillmotion.api.download import DEFAULT_MAX_DOWNLOAD_BYTES, ContentSink
from stillmotion.api.models import (
    Character,
    CharacterParams,
    CreateVideoParams,
    EditVideoParams,
    ExtendVideoParams,
    InputReference,
    RemixVideoParams,
    Video,
    VideoDeleted,
    VideoList,
    VideoReference,
)
from stillmotion.api.parse import parse_body, poll_after
from stillmotion.api.providers.base import JobState
from stillmotion.api.requests import (
    DEFAULT_BASE_URL,
    DEFAULT_KEY_VARIABLE,
    ApiTarget,
    AuthStyle,
    RequestSpec,
    to_httpx,
)
from stillmotion.api.retry import RetryPolicy
from stillmotion.api.sending import download_once, send_checked, with_retries
from stillmotion.errors import ConfigError, ResponseValidationError
from stillmotion.files import atomic_path, check_output
from stillmotion.settings import Settings

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

SETTINGS_KEY_VARIABLE = "STILLMOTION_API_KEY (or OPENAI_API_KEY)"


# -- shared by both clients (pure) ---------------------------------------------------------------


def _redirect(
    http: httpx.Client | httpx.AsyncClient, target: ApiTarget, spec: RequestSpec,
    response: httpx.Response,
) -> httpx.Request:
    """The GET a download redirect points to; the key goes only to the service's own origin."""
    location = response.headers["location"]
    url = response.request.url.join(location)
    base = urlsplit(target.base_url)
    same_origin = (url.scheme, url.netloc.decode("ascii")) == (base.scheme, base.netloc)
    headers = {"Accept": spec.accept, **(target.auth_headers() if same_origin else {})}
    return http.build_request("GET", url, headers=headers)


def _settings_target(
    settings: Settings, provider: str, default_base_url: str | None
) -> ApiTarget:
    base_url = settings.base_url or default_base_url
    if base_url is None:
        raise ConfigError(f"The {provider} provider has no address; set STILLMOTION_BASE_URL "
                          "(for example http://127.0.0.1:PORT/v1).")
    return ApiTarget.resolve(base_url, api_key=settings.resolved_api_key(), provider=provider,
                             key_variable=SETTINGS_KEY_VARIABLE)


class _Specs:
    """Public method arguments -> request specs; shared so both clients validate identically."""

    @staticmethod
    def create(
        prompt: str, model: str | None, seconds: int | str | None,
        size: str | tuple[int, int] | None,
        input_reference: InputReference | None,
    ) -> RequestSpec:
        return requests.create_video(CreateVideoParams.build(
            prompt=prompt, model=model, seconds=seconds, size=size,
            input_reference=input_reference))

    @staticmethod
    def video_source(video: str | Path) -> VideoReference | Path:
        return video if isinstance(video, Path) else VideoReference.build(id=video)

    @staticmethod
    def extend(video: str | Path, prompt: str, seconds: int | str) -> RequestSpec:
        return requests.extend_video(ExtendVideoParams.build(
            prompt=prompt, seconds=seconds, video=_Specs.video_source(video)))

    @staticmethod
    def edit(video: str | Path, prompt: str) -> RequestSpec:
        return requests.edit_video(EditVideoParams.build(
            prompt=prompt, video=_Specs.video_source(video)))

    @staticmethod
    def remix(video_id: str, prompt: str) -> RequestSpec:
        return requests.remix_video(video_id, RemixVideoParams.build(prompt=prompt))

    @staticmethod
    def character(name: str, video: Path) -> RequestSpec:
        return requests.create_character(CharacterParams.build(name=name, video=video))

    @staticmethod
    def next_page(page: VideoList, seen: set[str], spec: RequestSpec,
                  target: ApiTarget) -> str | None:
        cursor = page.next_cursor()
        if cursor is not None and cursor in seen:
            raise ResponseValidationError(
                f"Listing videos on {target.host} returned the cursor {cursor} twice; the "
                "service's paging is broken, so stop and list with a larger limit.",
                provider=target.provider)
        if cursor is not None:
            seen.add(cursor)
        return cursor


# -- the synchronous client ----------------------------------------------------------------------


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
        self.target = ApiTarget.resolve(base_url, api_key=api_key, auth_style=auth_style,
                                        provider=provider, key_variable=key_variable)
        self.retry = retry or RetryPolicy(jitter=0.25)
        self.max_download_bytes = max_download_bytes
        self._sleep = sleep
        self._http = httpx.Client(timeout=_timeout(timeout, connect_timeout),
                                  transport=transport, follow_redirects=False)

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
        target = _settings_target(settings, provider, default_base_url)
        return cls(target.base_url, api_key=target.api_key, auth_style=target.auth_style,
                   provider=provider, key_variable=SETTINGS_KEY_VARIABLE,
                   timeout=settings.request_timeout, retry=retry, sleep=sleep,
                   transport=transport)

    def __repr__(self) -> str:
        return (f"VideosClient(base_url={self.target.base_url!r}, "
                f"auth_style={self.target.auth_style!r}, provider={self.target.provider!r})")

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> VideosClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- execution

    def _with_retries(self, spec: RequestSpec, attempt: Callable[[], T]) -> T:
        return with_retries(attempt, spec=spec, target=self.target, policy=self.retry,
                            sleep=self._sleep)

    def _send(self, spec: RequestSpec) -> httpx.Response:
        return self._with_retries(
            spec, lambda: send_checked(self._http, to_httpx(self._http, self.target, spec)))

    def _call(self, model: type[M], spec: RequestSpec) -> M:
        response = self._send(spec)
        return parse_body(model, spec, self.target, response.headers, response.content)

    # -- the API

    def create(
        self,
        prompt: str,
        *,
        model: str | None = None,
        seconds: int | str | None = None,
        size: str | tuple[int, int] | None = None,
        input_reference: InputReference | None = None,
    ) -> Video:
        """Create a job (a paid call, never retried once it may have reached the service).

        A Path reference is uploaded as multipart; an ImageUrlReference or FileIdReference
        is sent in a JSON body.
        """
        return self._call(Video, _Specs.create(prompt, model, seconds, size, input_reference))

    def retrieve(self, video_id: str) -> Video:
        """The job as the service sees it now."""
        return self._call(Video, requests.retrieve_video(video_id))

    def poll(self, video_id: str) -> JobState:
        """One observation in the common job model, with the ``openai-poll-after-ms`` hint."""
        spec = requests.retrieve_video(video_id)
        response = self._send(spec)
        video = parse_body(Video, spec, self.target, response.headers, response.content)
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
            cursor = _Specs.next_page(page, seen, spec, self.target)
            if cursor is None:
                return

    def list(
        self, *, limit: int | None = None, order: str | None = None, after: str | None = None
    ) -> Iterator[Video]:
        """Every job across all pages."""
        for page in self.list_pages(limit=limit, order=order, after=after):
            yield from page.data

    def delete(self, video_id: str) -> VideoDeleted:
        """Delete a finished job and its content."""
        return self._call(VideoDeleted, requests.delete_video(video_id))

    def remix(self, video_id: str, *, prompt: str) -> Video:
        """A new job remixing a finished one (paid, not retried blindly)."""
        return self._call(Video, _Specs.remix(video_id, prompt))

    def extend(self, video: str | Path, *, prompt: str, seconds: int | str) -> Video:
        """A new job extending a finished job (its id) or an MP4 file (paid)."""
        return self._call(Video, _Specs.extend(video, prompt, seconds))

    def edit(self, video: str | Path, *, prompt: str) -> Video:
        """A new job editing a finished job (its id) or an MP4 file (paid)."""
        return self._call(Video, _Specs.edit(video, prompt))

    def create_character(self, *, name: str, video: Path) -> Character:
        """A character from an MP4 (multipart ``name`` and ``video``)."""
        return self._call(Character, _Specs.character(name, video))

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
        spec = requests.download_content(video_id, variant)
        final = check_output(Path(dest), overwrite=overwrite)
        return self._with_retries(spec, lambda: self._download_once(spec, final, variant))

    def _download_once(self, spec: RequestSpec, final: Path, variant: str) -> Path:
        return download_once(
            self._http, to_httpx(self._http, self.target, spec), final, spec=spec,
            target=self.target,
            follow=lambda response: _redirect(self._http, self.target, spec, response),
            variant=variant, max_bytes=self.max_download_bytes,
            what=f"The {variant} of {spec.subject}")


# -- the asynchronous client ---------------------------------------------------------------------


class AsyncVideosClient:
    """The same API over httpx.AsyncClient, for batches; same arguments as VideosClient."""

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
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.target = ApiTarget.resolve(base_url, api_key=api_key, auth_style=auth_style,
                                        provider=provider, key_variable=key_variable)
        self.retry = retry or RetryPolicy(jitter=0.25)
        self.max_download_bytes = max_download_bytes
        self._sleep = sleep
        self._http = httpx.AsyncClient(timeout=_timeout(timeout, connect_timeout),
                                       transport=transport, follow_redirects=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        provider: str = "openai",
        default_base_url: str | None = DEFAULT_BASE_URL,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> AsyncVideosClient:
        """As :meth:`VideosClient.from_settings`."""
        target = _settings_target(settings, provider, default_base_url)
        return cls(target.base_url, api_key=target.api_key, auth_style=target.auth_style,
                   provider=provider, key_variable=SETTINGS_KEY_VARIABLE,
                   timeout=settings.request_timeout, retry=retry, sleep=sleep,
                   transport=transport)

    def __repr__(self) -> str:
        return (f"AsyncVideosClient(base_url={self.target.base_url!r}, "
                f"auth_style={self.target.auth_style!r}, provider={self.target.provider!r})")

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncVideosClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- execution

    async def _with_retries(self, spec: RequestSpec,
                            attempt: Callable[[], Awaitable[T]]) -> T:
        retries = 0
        while True:
            try:
                return await attempt()
            except _Failure as exc:
                delay = _delay_or_raise(self.retry, spec, self.target, retries, exc)
            await self._sleep(delay)
            retries += 1

    async def _send(self, spec: RequestSpec) -> httpx.Response:
        async def attempt() -> httpx.Response:
            response = await self._http.send(to_httpx(self._http, self.target, spec))
            if not response.is_success:
                raise _StatusFailure(response)
            return response

        return await self._with_retries(spec, attempt)

    async def _call(self, model: type[M], spec: RequestSpec) -> M:
        response = await self._send(spec)
        return parse_body(model, spec, self.target, response.headers, response.content)

    # -- the API (see VideosClient for each call's contract)

    async def create(
        self,
        prompt: str,
        *,
        model: str | None = None,
        seconds: int | str | None = None,
        size: str | tuple[int, int] | None = None,
        input_reference: InputReference | None = None,
    ) -> Video:
        """Create a job (paid; never retried once it may have reached the service)."""
        return await self._call(Video, _Specs.create(prompt, model, seconds, size,
                                                     input_reference))

    async def retrieve(self, video_id: str) -> Video:
        """The job as the service sees it now."""
        return await self._call(Video, requests.retrieve_video(video_id))

    async def poll(self, video_id: str) -> JobState:
        """One observation in the common job model, with the poll-after hint."""
        spec = requests.retrieve_video(video_id)
        response = await self._send(spec)
        video = parse_body(Video, spec, self.target, response.headers, response.content)
        return video.to_job_state(poll_after=poll_after(response.headers))

    async def list_pages(
        self, *, limit: int | None = None, order: str | None = None, after: str | None = None
    ) -> AsyncIterator[VideoList]:
        """Every page of jobs, following ``after=last_id`` while ``has_more``."""
        seen: set[str] = set()
        cursor = after
        while True:
            spec = requests.list_videos(after=cursor, limit=limit, order=order)
            page = await self._call(VideoList, spec)
            yield page
            cursor = _Specs.next_page(page, seen, spec, self.target)
            if cursor is None:
                return

    async def list(
        self, *, limit: int | None = None, order: str | None = None, after: str | None = None
    ) -> AsyncIterator[Video]:
        """Every job across all pages."""
        async for page in self.list_pages(limit=limit, order=order, after=after):
            for video in page.data:
                yield video

    async def delete(self, video_id: str) -> VideoDeleted:
        """Delete a finished job and its content."""
        return await self._call(VideoDeleted, requests.delete_video(video_id))

    async def remix(self, video_id: str, *, prompt: str) -> Video:
        """A new job remixing a finished one (paid)."""
        return await self._call(Video, _Specs.remix(video_id, prompt))

    async def extend(self, video: str | Path, *, prompt: str, seconds: int | str) -> Video:
        """A new job extending a finished job or an MP4 file (paid)."""
        return await self._call(Video, _Specs.extend(video, prompt, seconds))

    async def edit(self, video: str | Path, *, prompt: str) -> Video:
        """A new job editing a finished job or an MP4 file (paid)."""
        return await self._call(Video, _Specs.edit(video, prompt))

    async def create_character(self, *, name: str, video: Path) -> Character:
        """A character from an MP4."""
        return await self._call(Character, _Specs.character(name, video))

    async def retrieve_character(self, character_id: str) -> Character:
        """A character by id."""
        return await self._call(Character, requests.retrieve_character(character_id))

    async def download(
        self, video_id: str, dest: Path, *, variant: str = "video", overwrite: bool = False
    ) -> Path:
        """Stream a job's ``variant`` to ``dest`` with the same checks as VideosClient."""
        spec = requests.download_content(video_id, variant)
        final = check_output(Path(dest), overwrite=overwrite)
        return await self._with_retries(spec,
                                         lambda: self._download_once(spec, final, variant))

    async def _download_once(self, spec: RequestSpec, final: Path, variant: str) -> Path:
        request = to_httpx(self._http, self.target, spec)
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._http.send(request, stream=True)
            try:
                if response.is_redirect:
                    request = _redirect(self._http, self.target, spec, response)
                    continue
                if not response.is_success:
                    await response.aread()
                    raise _StatusFailure(response)
                with atomic_path(final) as temp, temp.open("wb") as handle:
                    sink = ContentSink(handle, variant=variant, max_bytes=self.max_download_bytes,
                                       headers=response.headers,
                                       what=f"The {variant} of {spec.subject}")
                    async for chunk in response.aiter_bytes():
                        sink.write(chunk)
                    sink.finish()
                return final
            finally:
                await response.aclose()
        raise _too_many_redirects(spec, self.target)
