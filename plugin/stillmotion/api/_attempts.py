"""What one failed HTTP attempt means: wait and try again, or raise the mapped error.

Why apart from the sending: every dialect (/v1/videos, Veo, Runway, fal) sends requests
described as :class:`~stillmotion.api._requests.RequestSpec` and retries them by the same rules
(GETs on transient failures; creates never once they may have reached the service). The decision
after a failure is pure, on top of :class:`~stillmotion.api.retry.RetryPolicy` and the error
mapping of :mod:`stillmotion.api._parse`, so it is tested without sockets; the client core in
:mod:`stillmotion.api._core` only sends and sleeps.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from stillmotion.api._download import TruncatedBody
from stillmotion.api._parse import capital, reached_server, status_error, transport_error
from stillmotion.api._requests import RequestSpec
from stillmotion.api._target import Target
from stillmotion.api.retry import RetryPolicy
from stillmotion.errors import ResponseValidationError, ServiceConnectionError


class StatusFailure(Exception):
    """A non-2xx answer, carried from an attempt to the retry decision."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers
        self.content = response.content


FAILURES = (httpx.RequestError, TruncatedBody, StatusFailure)
"""What an attempt may raise for :func:`delay_or_raise` to judge."""


def delay_or_raise(
    policy: RetryPolicy, spec: RequestSpec, target: Target, retries: int, exc: Exception
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
                f"{capital(spec.action)} was cut short after {exc.received} of "
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
            f"{capital(spec.action)} got an unreadable answer ({type(exc).__name__}); try "
            "again.", provider=target.provider) from exc
    return delay
