"""Standard Webhooks signing and verification for ``video.completed`` / ``video.failed`` events.

Why: a webhook saves polling, but only if a forged, altered, stale or replayed request cannot
pass for the service. Scheme (as OpenAI and the Standard Webhooks spec): headers ``webhook-id``,
``webhook-timestamp`` (unix s) and ``webhook-signature`` (space-separated ``v1,<base64>``, any
match passes); the signed content is ``{id}.{timestamp}.{raw body}``, HMAC-SHA256 keyed with the
secret (``whsec_<base64>`` is decoded; any other text is used as UTF-8 bytes, as OpenAI's SDK
does); timestamps more than 300 s away either way are refused; a ``webhook-id`` seen before is
refused (bounded memory). :func:`sign` / :func:`signed_headers` are the sending side, used by
``stillmotion serve``. Secrets never appear in reprs or messages.
"""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stillmotion.errors import ConfigError, WebhookError

DEFAULT_TOLERANCE = 300.0
SECRET_PREFIX = "whsec_"
VIDEO_EVENTS = ("video.completed", "video.failed")


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a secret: ``whsec_<base64>`` decoded, other text as UTF-8."""
    if not secret:
        raise ConfigError("The webhook secret is empty; set it to the whsec_… value of the "
                          "sender.")
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode("utf-8")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("The webhook secret starts with whsec_ but the rest is not base64; "
                          "copy the whole secret again.") from None
    if not key:
        raise ConfigError("The webhook secret has nothing after whsec_; copy the whole secret.")
    return key


def new_secret() -> str:
    """A fresh random ``whsec_`` secret (32 bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _digest(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> str:
    content = f"{webhook_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode("ascii")


def sign(body: bytes, *, secret: str, webhook_id: str, timestamp: int) -> str:
    """The ``webhook-signature`` value (``v1,<base64>``) for ``body``."""
    return "v1," + _digest(decode_secret(secret), webhook_id, str(timestamp), body)


def signed_headers(
    body: bytes,
    *,
    secret: str,
    webhook_id: str | None = None,
    timestamp: int | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, str]:
    """The three Standard Webhooks headers for sending ``body`` (a new id and now by default).

    A sender retrying a delivery must reuse the same ``webhook_id``: it is the receiver's
    idempotency key.
    """
    webhook_id = webhook_id or f"msg_{secrets.token_hex(12)}"
    stamp = int(clock()) if timestamp is None else timestamp
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(body, secret=secret, webhook_id=webhook_id, timestamp=stamp),
    }


class WebhookEvent(BaseModel):
    """``{"id": "evt_…", "object": "event", "created_at", "type", "data": {"id": "video_…"}}``.

    Only the job id is carried: fetch the job after receiving it.
    """

    model_config = ConfigDict(extra="allow")

    id: str
    object: str | None = "event"
    created_at: int | None = None
    type: str
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def video_id(self) -> str | None:
        """The job the event is about."""
        value = self.data.get("id")
        return str(value) if value is not None else None


class SeenIds:
    """The ``webhook-id`` values already accepted, oldest forgotten beyond ``capacity``.

    Thread-safe: the receiver verifies requests on several threads.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._ids: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._lock = threading.Lock()

    def add(self, webhook_id: str) -> bool:
        """Record ``webhook_id``; False when it was already there."""
        with self._lock:
            if webhook_id in self._ids:
                return False
            self._ids[webhook_id] = None
            while len(self._ids) > self._capacity:
                self._ids.popitem(last=False)
            return True

    def discard(self, webhook_id: str) -> None:
        """Forget ``webhook_id`` (its delivery failed downstream, so a retry must pass)."""
        with self._lock:
            self._ids.pop(webhook_id, None)

    def __contains__(self, webhook_id: object) -> bool:
        with self._lock:
            return webhook_id in self._ids

    def __len__(self) -> int:
        with self._lock:
            return len(self._ids)


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value.strip()
    raise WebhookError(f"The webhook request has no {name} header; it was not sent by a "
                       "Standard Webhooks sender.", reason="malformed")


class WebhookVerifier:
    """Checks incoming webhooks against one secret; see the module docstring for the rules."""

    def __init__(
        self,
        secret: str,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        seen: SeenIds | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = decode_secret(secret)
        self._tolerance = tolerance
        self._seen = seen if seen is not None else SeenIds()
        self._clock = clock

    def __repr__(self) -> str:
        return f"WebhookVerifier(tolerance={self._tolerance:g})"

    def verify(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The event in ``body`` if the request is genuine, fresh and new; else WebhookError
        (``reason`` malformed, timestamp, signature or replay)."""
        webhook_id = _header(headers, "webhook-id")
        stamp = _header(headers, "webhook-timestamp")
        signatures = _header(headers, "webhook-signature")
        if not stamp.isdigit():
            raise WebhookError(f"The webhook timestamp '{stamp[:20]}' is not unix seconds; the "
                               "request is malformed.", reason="malformed")
        skew = self._clock() - int(stamp)
        if abs(skew) > self._tolerance:
            direction = "old" if skew > 0 else "far in the future"
            raise WebhookError(f"The webhook timestamp is {abs(skew):.0f} s {direction}, outside "
                               f"the {self._tolerance:g} s tolerance; check both clocks.",
                               reason="timestamp")
        expected = _digest(self._key, webhook_id, stamp, body).encode("ascii")
        offered = [part[3:] for part in signatures.split() if part.startswith("v1,")]
        if not any(hmac.compare_digest(expected, sig.encode("ascii", "replace"))
                   for sig in offered):
            raise WebhookError("The webhook signature does not match; check that sender and "
                               "receiver use the same secret.", reason="signature")
        try:
            event = WebhookEvent.model_validate(json.loads(body))
        except (ValueError, UnicodeDecodeError, ValidationError):
            raise WebhookError("The webhook body is not an event object; the sender is not "
                               "speaking the video events format.", reason="malformed") from None
        if not self._seen.add(webhook_id):
            raise WebhookError(f"The webhook {webhook_id} was already received; the repeat is "
                               "ignored.", reason="replay")
        return event

    def forget(self, webhook_id: str) -> None:
        """Let ``webhook_id`` pass again (its handling failed, the sender will retry)."""
        self._seen.discard(webhook_id)
