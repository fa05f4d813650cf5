"""The one HTTP client core under /v1/videos and every vendor dialect: send, retry, download.

Why one core: the /v1/videos client and the Veo, Runway and fal providers differ in the
requests they describe (:class:`~stillmotion.api._requests.RequestSpec`), in how the key is
spelled (their :class:`~stillmotion.api._target.Target`) and in how they read their own
refusals (a ``refine`` hook), not in how a request is sent. So the httpx client and its
explicit timeouts, the retry loop (:func:`~stillmotion.api._attempts.delay_or_raise` decides;
creates are never retried once they may have reached the service), the headers of every
request and redirect (:meth:`Target.headers_for`, the key-origin rule) and the streamed,
checked, atomic download live here once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import httpx
from pydantic import BaseModel

from stillmotion.api._attempts import FAILURES, StatusFailure, delay_or_raise
from stillmotion.api._download import DEFAULT_MAX_DOWNLOAD_BYTES, ContentSink
from stillmotion.api._parse import capital, parse_body
from stillmotion.api._requests import RequestSpec
from stillmotion.api._target import Target
from stillmotion.api.retry import RetryPolicy
from stillmotion.errors import ServiceConnectionError, ServiceError
from stillmotion.files import atomic_path, check_output

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

MAX_REDIRECTS = 5

Refine = Callable[[RequestSpec, int, Mapping[str, str], bytes], ServiceError | None]
"""A dialect's reading of an HTTP error answer: its own error, or None for the generic one."""
Normalize = Callable[[bytes], bytes]
"""Rewrites a dialect's error body into a shape the generic mapping reads (keeps its words)."""


def http_timeout(read: float, connect: float) -> httpx.Timeout:
    """Explicit connect/read/write/pool timeouts (every client has them)."""
    return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)


class HttpCore:
    """Sends request specs to one target with retries; reads JSON answers; streams downloads.

    ``refine`` and ``normalize`` are a dialect's error hooks: ``refine`` turns its own refusals
    (policy, expired URLs, bad keys) into the error tree before the generic mapping, and
    ``normalize`` rewrites its error bodies into the shape that mapping reads.
    """

    def __init__(
        self,
        target: Target,
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
        return f"HttpCore(root={self.target.root!r}, provider={self.target.provider!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- building and judging

    def build(self, spec: RequestSpec) -> httpx.Request:
        """The httpx request for ``spec``; its headers follow the key-origin rule."""
        url = httpx.URL(self.target.url(spec.path))
        files = {part.name: (part.filename, part.content, part.content_type)
                 for part in spec.files}
        return self._http.build_request(
            spec.method, url, params=spec.params or None,
            headers={**spec.headers, **self.target.headers_for(url, spec.accept)},
            json=spec.json,
            data=spec.form, files=files or None)

    def _follow(self, spec: RequestSpec, response: httpx.Response) -> httpx.Request:
        """The GET a redirect points to, its headers by the same key-origin rule."""
        url = response.request.url.join(response.headers["location"])
        return self._http.build_request("GET", url,
                                        headers=self.target.headers_for(url, spec.accept))

    def _judge(self, exc: Exception, spec: RequestSpec) -> None:
        """The dialect's own reading of an error answer, before the shared retry decision."""
        if isinstance(exc, StatusFailure):
            if self._refine is not None:
                refined = self._refine(spec, exc.status, exc.headers, exc.content)
                if refined is not None:
                    raise refined from None
            if self._normalize is not None:
                exc.content = self._normalize(exc.content)

    def _with_retries(self, spec: RequestSpec, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` until it succeeds or a failure is not to be retried (raised mapped)."""
        retries = 0
        while True:
            try:
                return attempt()
            except FAILURES as exc:
                self._judge(exc, spec)
                delay = delay_or_raise(self.retry, spec, self.target, retries, exc)
            self._sleep(delay)
            retries += 1

    # -- the calls

    def send(self, spec: RequestSpec) -> httpx.Response:
        """Send ``spec`` (retried by the shared rules); a 2xx answer, read."""
        def attempt() -> httpx.Response:
            response = self._http.send(self.build(spec))
            if not response.is_success:
                raise StatusFailure(response)
            return response

        return self._with_retries(spec, attempt)

    def read(self, model: type[M], spec: RequestSpec, response: httpx.Response) -> M:
        """A 2xx answer's JSON body as ``model`` (ResponseValidationError otherwise)."""
        return parse_body(model, spec, self.target, response.headers, response.content)

    def call(self, model: type[M], spec: RequestSpec) -> M:
        """Send ``spec`` and read its answer as ``model``."""
        return self.read(model, spec, self.send(spec))

    def download(self, spec: RequestSpec, dest: Path, *, variant: str = "video",
                 overwrite: bool = False) -> Path:
        """Stream ``spec``'s ``variant`` to ``dest``, returned made absolute.

        The body goes to a temporary sibling, is size-capped, sniffed and checked against
        Content-Length, and only then renamed onto ``dest``; a refused body leaves no file.
        Redirects are followed (at most five), the key only to the root's origin.
        """
        final = check_output(Path(dest), overwrite=overwrite)
        return self._with_retries(spec, lambda: self._download_once(spec, final, variant))

    def _download_once(self, spec: RequestSpec, final: Path, variant: str) -> Path:
        request = self.build(spec)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._http.send(request, stream=True)
            try:
                if response.is_redirect:
                    request = self._follow(spec, response)
                    continue
                if not response.is_success:
                    response.read()
                    raise StatusFailure(response)
                with atomic_path(final) as temp, temp.open("wb") as handle:
                    sink = ContentSink(handle, variant=variant, max_bytes=self.max_download_bytes,
                                       headers=response.headers,
                                       what=f"The {variant} of {spec.subject or 'the job'}")
                    for chunk in response.iter_bytes():
                        sink.write(chunk)
                    sink.finish()
                return final
            finally:
                response.close()
        raise ServiceConnectionError(
            f"{capital(spec.action)} was redirected more than {MAX_REDIRECTS} times; check the "
            "base URL.", provider=self.target.provider)
