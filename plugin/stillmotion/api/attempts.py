"""What one failed HTTP attempt means: wait and try again, or raise the mapped error.

Why shared: every dialect's client (the /v1/videos clients, Veo, Runway, fal) sends requests
described as :class:`~stillmotion.api.requests.RequestSpec` and must retry them by the same
rules (GETs on transient failures; creates never once they may have reached the service), so the
decision after a failure lives here once, on top of :class:`~stillmotion.api.retry.RetryPolicy`
and the error mapping of :mod:`stillmotion.api.parse`. The executors only send and sleep.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from stillmotion.api.download import TruncatedBody
from stillmotion.api.parse import reached_server, status_error, transport_error
from stillmotion.api.requests import ApiTarget, RequestSpec
from stillmotion.api.retry import RetryPolicy
from stillmotion.errors import ResponseValidationError, ServiceConnectionError

MAX_REDIRECTS = 5


class StatusFailure(Exception):
    """A non-2xx answer, carried from an attempt to the retry decision."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers
        self.content = response.content


FAILURES = (httpx.RequestError, TruncatedBody, StatusFailure)
"""What an attempt may raise for :func:`delay_or_raise` to judge."""


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def delay_or_raise(
    policy: RetryPolicy, spec: RequestSpec, target: ApiTarget, retries: int, exc: Exception
) -> float:
    """How long to wait before the next attempt; raises the mapped error when not retrying."""
    if isinstance(exc, StatusFailure):
        delay = policy.delay_after_status(retries, idempotent=spec.idempotent,
                                          status=exc.status, headers=exc.headers)
        if delay is None:
            raise status_error(spec, target, exc.status, exc.headers, exc.content) from None
        return delay
    if isinstance(exc, TruncatedBody):
        delay = policy.delay_after_transport(retries, idempotent=spec.idempotent,
                                             reached_server=True)
        if delay is None:
            raise ServiceConnectionError(
                f"{_capital(spec.action)} was cut short after {exc.received} of "
                f"{exc.expected} bytes; nothing was saved, try again.",
                provider=target.provider) from None
        return delay
    assert isinstance(exc, httpx.RequestError)
    sent = reached_server(exc) if isinstance(exc, httpx.TransportError) else True
    delay = policy.delay_after_transport(retries, idempotent=spec.idempotent,
                                         reached_server=sent)
    if delay is None:
        if isinstance(exc, httpx.TransportError):
            raise transport_error(spec, target, exc) from exc
        raise ResponseValidationError(
            f"{_capital(spec.action)} got an unreadable answer ({type(exc).__name__}); try "
            "again.", provider=target.provider) from exc
    return delay


def too_many_redirects(spec: RequestSpec, target: ApiTarget) -> ServiceConnectionError:
    """The error for a download that keeps being redirected."""
    return ServiceConnectionError(
        f"{_capital(spec.action)} was redirected more than {MAX_REDIRECTS} times; check the "
        "base URL.", provider=target.provider)


def http_timeout(read: float, connect: float) -> httpx.Timeout:
    """Explicit connect/read/write/pool timeouts (every client has them)."""
    return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)
