"""The dialects' result files: signed result URLs, their expiry, and the route serving them.

Why apart from :mod:`stillmotion.server.dialects`: every vendor hands a finished video out its
own way (Runway's S3 links, Kling's CDN, Wan's OSS, Seedance's TOS, fal's files), but the rules
are one: a signed URL names the job and expires; an expired or forged one is answered as that
vendor's storage answers it; an injected fault or the content's lifetime expires it early.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, Response

from stillmotion.server.dialects import (
    DialectError,
    JobView,
    dialect_state,
    gate,
    in_thread,
    job_of_task,
    view,
)
from stillmotion.server.errors import APIError
from stillmotion.server.service import VideoService
from stillmotion.server.store import COMPLETED

Reshape = Callable[[APIError], DialectError]
"""A dialect's rewording of the service's refusals into its own error shape."""


def signed_files_router(service: VideoService, *, auth_error: Callable[[bool], DialectError],
                        error: Callable[[int, str], DialectError]) -> APIRouter:
    """The router for a dialect's signed result URLs: counted and faulted like its API, in
    its error shape, but asking no key, because the signed URL is the credential (as at the
    vendors' storage and CDNs)."""
    return APIRouter(dependencies=[Depends(gate(service, presented=lambda r: None,
                                                 auth_error=auth_error, error=error,
                                                 keyed=False))])


def expired_download(service: VideoService, job: JobView, body: Callable[[int], Any]) -> None:
    """Raise the expired answer when a fault says so or the content's time is over."""
    state = dialect_state(service)
    if state.take("expired_downloads"):
        status = state.expired_status()
        raise DialectError(status, body(status))
    expires = job.record.expires_at
    if expires is not None and time.time() >= expires:
        raise DialectError(410, body(410))


def signed_result(service: VideoService, job_id: str | None, dialect: str, exp: str, n: str,
                  sig: str, expired_body: Any) -> JobView:
    """The finished job a signed result URL names, as the vendors' storage answers it: 403 with
    ``expired_body`` for an unknown or unfinished job or a bad or stale signature, and the
    expired answer when a fault or the content's lifetime says so."""
    found = view(service, job_id or "", dialect)
    if found is None or found.status != COMPLETED \
            or not dialect_state(service).signed_ok(found.record.id, exp, n, sig):
        raise DialectError(403, expired_body)
    expired_download(service, found, lambda status: expired_body)
    return found


async def content_path(service: VideoService, job: JobView,
                       shape: Reshape) -> Path:
    """The finished video file of ``job`` (the service refuses unfinished or expired ones)."""
    path, _ = await in_thread(service.content, job.record.id, "video", shape=shape)
    return Path(path)


def signed_video_route(files: APIRouter, path: str, service: VideoService, dialect: str,
                       expired_body: Any, reshape: Reshape) -> None:
    """Add ``GET path`` (its ``{task}`` a task UUID or hex, with ``?exp=&n=&sig=``) serving the
    finished MP4 of a signed result URL (:func:`signed_result`)."""
    @files.get(path)
    async def output(task: str, exp: str = "", n: str = "", sig: str = "") -> Response:
        found = signed_result(service, job_of_task(task), dialect, exp, n, sig, expired_body)
        return FileResponse(await content_path(service, found, reshape),
                            media_type="video/mp4")


def joined(*routers: APIRouter) -> APIRouter:
    """One router holding ``routers`` (a dialect's keyed API and its unkeyed file URLs)."""
    combined = APIRouter()
    for router in routers:
        combined.include_router(router)
    return combined
