"""The HTTP executor of the vendor dialects (Veo, Runway, fal): JSON calls and result downloads.

Why not :class:`~stillmotion.api.client.VideosClient`: the vendors authenticate differently
(``x-goog-api-key``, ``Authorization: Bearer`` plus ``X-Runway-Version``, ``Authorization:
Key``), answer with absolute URLs (fal's status and response URLs, signed result URLs) and
refuse content in their own shapes. What is shared is everything that decides: requests are
:class:`~stillmotion.api.requests.RequestSpec`, failures are judged by
:func:`~stillmotion.api.attempts.delay_or_raise` (GETs retried, creates never once they may have
reached the service), bodies are checked while streaming by
:class:`~stillmotion.api.download.ContentSink`. A dialect adds a ``refine`` hook that turns its
own refusals (policy, expired URLs, bad keys) into the error tree before the generic mapping.

The key is sent only to the configured root's origin (redirects included); signed result URLs
are fetched without it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from stillmotion.api.attempts import (
    StatusFailure,
    http_timeout,
)
from stillmotion.api.download import DEFAULT_MAX_DOWNLOAD_BYTES
from stillmotion.api.parse import request_id
from stillmotion.api.requests import ApiTarget, RequestSpec, is_loopback
from stillmotion.api.retry import RetryPolicy
from stillmotion.api.sending import download_once, send_checked, with_retries
from stillmotion.errors import ConfigError, ResponseValidationError, ServiceError
from stillmotion.files import check_output

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

Refine = Callable[[RequestSpec, int, Mapping[str, str], bytes], ServiceError | None]
"""A dialect's reading of an HTTP error answer: its own error, or None for the generic one."""
Normalize = Callable[[bytes], bytes]
"""Rewrites a dialect's error body into a shape the generic mapping reads (keeps its words)."""


@dataclass(frozen=True)
class DialectTarget:
    """A vendor API root, its key variable and the headers its own origin gets.

    ``headers`` (the key among them) stay out of ``repr`` and are sent only to ``root``'s origin.
    """

    root: str
    provider: str
    key_variable: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def resolve(cls, root: str, *, provider: str, key_variable: str, key: str | None,
                headers: Callable[[str], dict[str, str]],
                fixed: Mapping[str, str] | None = None) -> DialectTarget:
        """Check the root URL; insist on a key unless the root is loopback (a local server).

        ``headers`` builds the authentication headers from the key; ``fixed`` are sent with
        every request to the root whether or not there is a key (API versions).
        """
        url = root.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"The base URL '{root}' is not an http(s) URL; give the "
                              f"{provider} API root such as https://host or "
                              "http://127.0.0.1:PORT.")
        if not key and not is_loopback(parts.hostname):
            raise ConfigError(f"No API key for {provider}; set {key_variable} to your "
                              f"{provider} key.")
        sent = {**(fixed or {}), **(headers(key) if key else {})}
        return cls(url, provider, key_variable, sent)

    @property
    def api_target(self) -> ApiTarget:
        """The same service as the generic error mapping sees it (never holding the key)."""
        return ApiTarget(base_url=self.root, auth_style="bearer", provider=self.provider,
                         key_variable=self.key_variable)

    def url(self, path: str) -> str:
        """An absolute URL: ``path`` as-is when absolute, else under the root."""
        if path.startswith(("https://", "http://")):
            return path
        return self.root + path

    def same_origin(self, url: httpx.URL | str) -> bool:
        """Whether ``url`` is on the root's scheme, host and port (the only place for the key)."""
        parsed = httpx.URL(str(url))
        root = httpx.URL(self.root)
        return (parsed.scheme, parsed.host, parsed.port) == (root.scheme, root.host, root.port)


class DialectHttp:
    """Sends a dialect's request specs with retries; reads JSON answers; streams downloads."""

    def __init__(
        self,
        target: DialectTarget,
        *,
        refine: Refine | None = None,
        normalize: Normalize | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.target = target
        self.retry = retry or RetryPolicy(jitter=0.25)
        self.max_download_bytes = max_download_bytes
        self._refine = refine
        self._normalize = normalize
        self._sleep = sleep
        self._http = httpx.Client(timeout=http_timeout(timeout, connect_timeout),
                                  transport=transport, follow_redirects=False)

    def __repr__(self) -> str:
        return f"DialectHttp(root={self.target.root!r}, provider={self.target.provider!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- building and judging

    def _headers(self, url: httpx.URL | str, accept: str, *, with_key: bool) -> dict[str, str]:
        headers = {"Accept": accept}
        if with_key and self.target.same_origin(url):
            headers.update(self.target.headers)
        return headers

    def build(self, spec: RequestSpec, *, with_key: bool = True) -> httpx.Request:
        """The httpx request for ``spec`` (JSON body, query, the root's headers if same origin)."""
        url = self.target.url(spec.path)
        return self._http.build_request(spec.method, url, params=spec.params or None,
                                        headers=self._headers(url, spec.accept,
                                                              with_key=with_key),
                                        json=spec.json)

    def _judge(self, spec: RequestSpec, exc: Exception) -> None:
        """The dialect's own reading of an error answer, before the shared retry decision."""
        if isinstance(exc, StatusFailure):
            if self._refine is not None:
                refined = self._refine(spec, exc.status, exc.headers, exc.content)
                if refined is not None:
                    raise refined from None
            if self._normalize is not None:
                exc.content = self._normalize(exc.content)

    def _with_retries(self, spec: RequestSpec, attempt: Callable[[], T]) -> T:
        return with_retries(attempt, spec=spec, target=self.target.api_target,
                            policy=self.retry, sleep=self._sleep,
                            judge=lambda exc: self._judge(spec, exc))

    # -- the calls

    def call(self, model: type[M], spec: RequestSpec) -> M:
        """Send ``spec`` (retried by the shared rules) and read the 2xx JSON body as ``model``."""
        response = self._with_retries(spec,
                                      lambda: send_checked(self._http, self.build(spec)))
        return self.read(model, spec, response.headers, response.content)

    def read(self, model: type[M], spec: RequestSpec, headers: Mapping[str, str],
             content: bytes) -> M:
        """A 2xx body as ``model``; ResponseValidationError naming the dialect otherwise."""
        rid = request_id(headers)
        action = spec.action[:1].upper() + spec.action[1:]
        where = f"{self.target.provider} API root {self.target.root}"
        suffix = f" (request id {rid})" if rid else ""
        try:
            body: Any = json.loads(content) if content.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise ResponseValidationError(
                f"{action} got an answer that is not JSON; check that --base-url is the "
                f"{where}{suffix}.", provider=self.target.provider, request_id=rid) from None
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(part) for part in first["loc"]) or "body"
            raise ResponseValidationError(
                f"{action} got an answer that does not fit the {self.target.provider} job "
                f"model ({loc}: {first['msg']}); check that --base-url is the {where}{suffix}.",
                provider=self.target.provider, request_id=rid) from None

    def download(self, spec: RequestSpec, dest: Path, *, with_key: bool,
                 overwrite: bool = False) -> Path:
        """Stream ``spec``'s video to ``dest`` (sniffed, size-capped, complete, atomic).

        Redirects are followed (at most five); the key goes along only with ``with_key`` and
        only to the root's origin. A refused body leaves no file.
        """
        final = check_output(Path(dest), overwrite=overwrite)
        return self._with_retries(spec, lambda: self._download_once(spec, final, with_key))

    def _download_once(self, spec: RequestSpec, final: Path, with_key: bool) -> Path:
        def follow(response: httpx.Response) -> httpx.Request:
            url = response.request.url.join(response.headers["location"])
            return self._http.build_request(
                "GET", url, headers=self._headers(url, spec.accept, with_key=with_key))

        return download_once(
            self._http, self.build(spec, with_key=with_key), final, spec=spec,
            target=self.target.api_target, follow=follow, variant="video",
            max_bytes=self.max_download_bytes,
            what=f"The video of {spec.subject or 'the job'}")


def error_json(content: bytes) -> Any:
    """An error answer's JSON (any shape), or None when it is not JSON."""
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
