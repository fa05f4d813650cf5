"""The synchronous send loop of :class:`~stillmotion.api.client.VideosClient` and
:class:`~stillmotion.api.dialect_http.DialectHttp`: retried attempts, checked sends, downloads.

Why one module: the /v1/videos client and the vendor dialects differ in how they build requests,
which headers a redirect gets and how they read their own refusals, not in how an attempt is
retried (:func:`~stillmotion.api.attempts.delay_or_raise` decides) or how a body is streamed to
disk (checked by :class:`~stillmotion.api.download.ContentSink`, renamed into place only when
whole). The asynchronous client keeps its own awaiting copy of the same loop.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

from stillmotion.api.attempts import (
    FAILURES,
    MAX_REDIRECTS,
    StatusFailure,
    delay_or_raise,
    too_many_redirects,
)
from stillmotion.api.download import ContentSink
from stillmotion.api.requests import ApiTarget, RequestSpec
from stillmotion.api.retry import RetryPolicy
from stillmotion.files import atomic_path

T = TypeVar("T")


def with_retries(
    attempt: Callable[[], T],
    *,
    spec: RequestSpec,
    target: ApiTarget,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    judge: Callable[[Exception], None] | None = None,
) -> T:
    """Run ``attempt`` until it succeeds or a failure is not to be retried (its error raised).

    ``judge`` sees every failure first and may raise its own error (a dialect's refusal) or
    adjust the failure before the shared decision.
    """
    retries = 0
    while True:
        try:
            return attempt()
        except FAILURES as exc:
            if judge is not None:
                judge(exc)
            delay = delay_or_raise(policy, spec, target, retries, exc)
        sleep(delay)
        retries += 1


def send_checked(http: httpx.Client, request: httpx.Request) -> httpx.Response:
    """Send ``request``; a non-2xx answer is raised as :class:`StatusFailure` for the judge."""
    response = http.send(request)
    if not response.is_success:
        raise StatusFailure(response)
    return response


def download_once(
    http: httpx.Client,
    request: httpx.Request,
    final: Path,
    *,
    spec: RequestSpec,
    target: ApiTarget,
    follow: Callable[[httpx.Response], httpx.Request],
    variant: str,
    max_bytes: int,
    what: str,
) -> Path:
    """One attempt at streaming ``request``'s body to ``final``, following redirects.

    ``follow`` builds the next request from a redirect answer (deciding whether the key goes
    along); the body is sniffed, size-capped and checked complete before it is renamed onto
    ``final``, so a refused body leaves no file.
    """
    for _ in range(MAX_REDIRECTS + 1):
        response = http.send(request, stream=True)
        try:
            if response.is_redirect:
                request = follow(response)
                continue
            if not response.is_success:
                response.read()
                raise StatusFailure(response)
            with atomic_path(final) as temp, temp.open("wb") as handle:
                sink = ContentSink(handle, variant=variant, max_bytes=max_bytes,
                                   headers=response.headers, what=what)
                for chunk in response.iter_bytes():
                    sink.write(chunk)
                sink.finish()
            return final
        finally:
            response.close()
    raise too_many_redirects(spec, target)
