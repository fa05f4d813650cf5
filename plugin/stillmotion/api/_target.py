"""Where a service's requests go, and the one rule of which URLs may receive its key.

Why one type for every dialect: /v1/videos gateways, Veo, Runway and fal differ in how the key
is spelled (``Authorization: Bearer``, Azure's ``api-key``, ``x-goog-api-key``, ``Authorization:
Key``) and in fixed headers (``X-Runway-Version``), not in what decides where it may go. So the
URL checks, the loopback exemption and the origin rule live here once, and every request and
every redirect of every client takes its headers from :meth:`Target.headers_for`:
the key (and the fixed headers) go only to the configured root's own origin (scheme, host and
port); a result URL or redirect on any other origin (signed CDN links, storage buckets) is
fetched without them. The key stays out of every ``repr``.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from stillmotion.errors import ConfigError

AuthHeaders = Callable[[str], dict[str, str]]
"""Builds a dialect's authentication headers from the key."""


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (a key is optional there: a local server)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Target:
    """A service's API root, who it is (for messages) and the headers only its origin gets.

    Build it with :meth:`resolve`. ``kind`` names what the root should be, for messages ("a
    /v1/videos service", "the veo API root"); ``credentials`` (the key among them) never appear
    in ``repr`` and leave only through :meth:`headers_for`.
    """

    root: str
    provider: str
    key_variable: str
    kind: str
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def resolve(
        cls,
        root: str,
        *,
        provider: str,
        key_variable: str,
        key: str | None,
        auth: AuthHeaders,
        fixed: Mapping[str, str] | None = None,
        kind: str | None = None,
        example: str = "https://host or http://127.0.0.1:PORT",
    ) -> Target:
        """Check the root URL; insist on a key unless the root is loopback (a local server).

        ``auth`` builds the authentication headers from the key; ``fixed`` are sent to the
        root's origin with or without a key (API versions); ``example`` shows a good root.
        """
        url = root.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"The base URL '{root}' is not an http(s) URL; give the "
                              f"{provider} API root such as {example}.")
        if not key and not is_loopback(parts.hostname):
            raise ConfigError(f"No API key for {provider} at {parts.scheme}://{parts.netloc}; "
                              f"set {key_variable} to the service's key.")
        credentials = {**(fixed or {}), **(auth(key) if key else {})}
        return cls(url, provider, key_variable, kind or f"the {provider} API root",
                   credentials)

    @property
    def host(self) -> str:
        """The service's host and port, for messages."""
        return urlsplit(self.root).netloc

    def url(self, path: str) -> str:
        """An absolute URL: ``path`` as-is when absolute (a returned URL), else under the root."""
        if path.startswith(("https://", "http://")):
            return path
        return self.root + path

    @functools.cached_property
    def _origin(self) -> tuple[str, str, int | None]:
        return _origin(httpx.URL(self.root))

    def on_root_origin(self, url: httpx.URL | str) -> bool:
        """Whether ``url`` has the root's scheme, host and port (default ports normalised)."""
        return _origin(url if isinstance(url, httpx.URL) else httpx.URL(url)) == self._origin

    def headers_for(self, url: httpx.URL | str, accept: str) -> dict[str, str]:
        """The headers a request to ``url`` carries: the key only on the root's own origin.

        The one place the key-origin rule is decided; every request and redirect of every
        dialect is built with it.
        """
        headers = {"Accept": accept}
        if self.on_root_origin(url):
            headers.update(self.credentials)
        return headers
