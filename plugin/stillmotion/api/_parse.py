"""Turn answers into models or into the error tree: the one place HTTP outcomes get meaning.

Why shared: the client core only executes requests, for /v1/videos and every vendor dialect
alike; what a 2xx body means, which class a 404 or a dropped connection becomes, and the
one-sentence message the user reads are decided here, once (a dialect's own refusals are read
by its ``refine`` hook first). Messages carry the service's own words (verbatim for policy
refusals) and the ``x-request-id``, never a header or a key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from stillmotion.api._policy import is_policy_code
from stillmotion.api._requests import RequestSpec
from stillmotion.api._target import Target
from stillmotion.api.models import VideoError, unwrap_gateway
from stillmotion.api.retry import retry_after_seconds
from stillmotion.errors import (
    AuthenticationError,
    ContentExpiredError,
    NotFoundError,
    PolicyRejectedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    ServiceConnectionError,
    ServiceError,
    ServiceStatusError,
    ServiceTimeoutError,
    ServiceUnreachableError,
)

M = TypeVar("M", bound=BaseModel)

_POLICY_STATUSES = frozenset({400, 422})
_MAX_QUOTED = 300


def request_id(headers: Mapping[str, str]) -> str | None:
    """The service's id for this request (``x-request-id``, else ``request-id``)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    return lowered.get("x-request-id") or lowered.get("request-id") or None


def poll_after(headers: Mapping[str, str]) -> float | None:
    """The ``openai-poll-after-ms`` hint in seconds, or None."""
    for key, value in headers.items():
        if key.lower() == "openai-poll-after-ms":
            try:
                millis = float(value)
            except ValueError:
                return None
            return max(millis, 0.0) / 1000.0
    return None


def _suffix(rid: str | None) -> str:
    return f" (request id {rid})" if rid else ""


def capital(text: str) -> str:
    """``text`` with its first letter upper-case (request actions start sentences)."""
    return text[:1].upper() + text[1:]


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_QUOTED else text[: _MAX_QUOTED - 1] + "…"


def error_json(content: bytes) -> Any:
    """An error answer's JSON (any shape), or None when it is not JSON."""
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


def error_body(content: bytes) -> VideoError | None:
    """The error object of an HTTP error answer, in whatever shape the service used.

    ``{"error": {...}}`` (the OpenAI shape), ``{"error": "text"}``, a gateway envelope
    ``{"code", "message"}`` or FastAPI's ``{"detail": ...}``; None when nothing readable.
    """
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        text = content.decode("utf-8", "replace").strip()
        return VideoError(message=_quoted(text)) if text and not text.startswith("<") else None
    if not isinstance(body, dict):
        return None
    candidate = body.get("error")
    if candidate is None:
        detail = body.get("detail")
        if isinstance(detail, str):
            candidate = {"message": detail}
        elif detail is not None:
            candidate = {"message": json.dumps(detail)}
        elif "message" in body or "code" in body:
            candidate = {key: body[key] for key in ("code", "message", "type", "param")
                         if key in body}
    if candidate is None or candidate == {}:
        return None
    try:
        return VideoError.model_validate(candidate)
    except ValidationError:
        return None


def status_error(
    spec: RequestSpec,
    target: Target,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
) -> ServiceError:
    """The error-tree exception for an HTTP error answer to ``spec``."""
    rid = request_id(headers)
    detail = error_body(content)
    said = f": {_quoted(detail.message).rstrip('. ')}" if detail and detail.message else ""
    action = capital(spec.action)
    provider = target.provider
    if status in _POLICY_STATUSES and detail and is_policy_code(detail.code, detail.type):
        words = detail.message or detail.describe()
        return PolicyRejectedError(
            f"{action} was refused by the service's content policy (\"{words}\"); change the "
            f"prompt or the reference image{_suffix(rid)}.",
            provider=provider, request_id=rid)
    head = f"{action} failed with HTTP {status}{said}"
    if status in (401, 403):
        return AuthenticationError(
            f"{head}; check the key in {target.key_variable} and its access to "
            f"{target.host}{_suffix(rid)}.",
            status_code=status, provider=provider, request_id=rid)
    if status == 404:
        return NotFoundError(f"{head}; check the id and the base URL {target.root}"
                             f"{_suffix(rid)}.",
                             status_code=status, provider=provider, request_id=rid)
    if status == 410 and spec.accept == "application/binary":
        return ContentExpiredError(f"{head}; the download has expired, so generate the clip "
                                   f"again{_suffix(rid)}.", provider=provider, request_id=rid)
    if status == 429:
        wait = retry_after_seconds(headers)
        when = f"wait {math.ceil(wait)} s" if wait is not None and wait > 0 else "wait a while"
        return RateLimitError(f"{head}; {when} and try again{_suffix(rid)}.",
                              retry_after=wait, provider=provider, request_id=rid)
    if status >= 500:
        advice = ("the job may still have been created, so check the service's job list "
                  "before submitting again" if not spec.idempotent else "try again later")
        return ServerError(f"{head}; {advice}{_suffix(rid)}.",
                           status_code=status, provider=provider, request_id=rid)
    return ServiceStatusError(f"{head}; fix the request and try again{_suffix(rid)}.",
                              status_code=status, provider=provider, request_id=rid)


def reached_server(exc: httpx.TransportError) -> bool:
    """False only when ``exc`` proves nothing was sent: connecting failed or timed out, or no
    pooled connection came free. Anything else may have reached the server."""
    return not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def transport_error(
    spec: RequestSpec, target: Target, exc: httpx.TransportError
) -> ServiceConnectionError:
    """The error-tree exception for a transport failure (no HTTP answer) of ``spec``."""
    action = capital(spec.action)
    sent = reached_server(exc)
    maybe = ("; the job may still have been created, so check the service's job list before "
             "submitting again" if sent and not spec.idempotent else "")
    provider = target.provider
    if isinstance(exc, httpx.TimeoutException):
        phase = {httpx.ConnectTimeout: "connecting", httpx.ReadTimeout: "waiting for the answer",
                 httpx.WriteTimeout: "sending", httpx.PoolTimeout: "waiting for a free "
                 "connection"}.get(type(exc), "waiting")
        advice = maybe or "; check the service or raise the timeout"
        return ServiceTimeoutError(f"{action} timed out while {phase} ({target.host}){advice}.",
                                   provider=provider)
    reason = str(exc).strip() or type(exc).__name__
    if not sent:
        return ServiceUnreachableError(
            f"{action} could not connect to {target.host} ({_quoted(reason)}); check the base "
            "URL and that the service is running.", provider=provider)
    advice = maybe or "; try again"
    return ServiceConnectionError(
        f"{action} lost the connection to {target.host} ({_quoted(reason)}){advice}.",
        provider=provider)


def parse_body(
    model: type[M], spec: RequestSpec, target: Target, headers: Mapping[str, str],
    content: bytes,
) -> M:
    """A 2xx body as ``model`` (an empty body reads as ``{}``); ResponseValidationError when it
    is not JSON or does not fit, naming what the base URL should point at."""
    rid = request_id(headers)
    action = capital(spec.action)
    try:
        body = json.loads(content) if content.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise ResponseValidationError(
            f"{action} got an answer that is not JSON from {target.host}; check that the base "
            f"URL points at {target.kind}{_suffix(rid)}.",
            provider=target.provider, request_id=rid) from None
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        said = ""
        unwrapped = unwrap_gateway(body)
        if isinstance(unwrapped, dict) and isinstance(unwrapped.get("message"), str):
            said = f" (the service said: {_quoted(unwrapped['message'])})"
        raise ResponseValidationError(
            f"{action} got an answer from {target.host} that does not fit the "
            f"{target.provider} job model ({where}: {first['msg']}){said}; check that the base "
            f"URL points at {target.kind}{_suffix(rid)}.",
            provider=target.provider, request_id=rid) from None
