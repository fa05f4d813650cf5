"""Open the provider a job runs on: a /v1/videos gateway, the embedded preview server, or a
vendor dialect (Veo through the Gemini API, Runway, fal).

Why here and not in ``api/``: the ``preview`` provider is the local server run in this process
(no key, no network) for as long as a job needs it. The jobs layer does not import the server:
the entry points (the ``stillmotion`` command, the Resolve front end) hand it the way to start
one with :func:`embedded_server`, and :func:`open_provider` starts it only when a job runs on
``preview`` without a base URL (a job that is only reused starts nothing). Its data folder is
persistent (``<data dir>/preview-server``) so a job survives a crash of the process that started
it: ``stillmotion jobs resume`` starts the server again on the same folder and finds the job
under the same id.

The vendor dialects take their keys from the vendors' own variables (``GEMINI_API_KEY``,
``RUNWAYML_API_SECRET``, ``FAL_KEY``, ``ARK_API_KEY``, ``DASHSCOPE_API_KEY``, Kling's
``KLING_ACCESS_KEY``; the provider class reads the other half of Kling's pair, the registry
row's ``pair`` variable, itself), never from STILLMOTION_API_KEY, so a gateway key is not
sent to another vendor; ``--base-url`` replaces the vendor's root (the client appends the
documented paths), which is how they run against ``stillmotion serve``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from stillmotion.api.providers.registry import DIALECTS, load
from stillmotion.errors import ConfigError

if TYPE_CHECKING:  # the entry points import embedded_server on every command; pydantic waits
    from stillmotion.api.providers.base import Provider
    from stillmotion.api.providers.dialect import DialectProvider
    from stillmotion.settings import Settings

EMBEDDED = "embedded"
PROVIDERS = ("preview", "openai", *DIALECTS)
KEY_VARIABLES: dict[str, tuple[str, ...]] = {
    "preview": (), "openai": ("STILLMOTION_API_KEY", "OPENAI_API_KEY"),
    **{name: dialect.keys for name, dialect in DIALECTS.items()},
}
"""Where each provider's key is looked for, in order (preview needs none)."""

EmbeddedServer = Callable[[Path], AbstractContextManager[str]]
"""Starts the local preview server on a data folder for a ``with`` block, yielding its base URL
(``stillmotion.server.embedded_base_url``)."""

_EMBEDDED: list[EmbeddedServer] = []
"""The starters handed in by the entry points, innermost last. A plain list, not a context
variable, so a worker thread the entry point starts (the Resolve dialog's) sees it too."""


@contextlib.contextmanager
def embedded_server(start: EmbeddedServer) -> Iterator[None]:
    """Within the block, jobs on ``preview`` without a base URL run on a server ``start``
    opens. Entry points wrap their work in this; the jobs layer never starts a server itself."""
    _EMBEDDED.append(start)
    try:
        yield
    finally:
        _EMBEDDED.remove(start)


def key_variable_set(provider: str) -> str | None:
    """The first of ``provider``'s key variables that is set (its name, never its value)."""
    return next((name for name in KEY_VARIABLES.get(provider, ()) if os.environ.get(name)),
                None)


def open_dialect(name: str, settings: Settings) -> DialectProvider:
    """A vendor dialect's provider: its key from its own variable, ``base_url`` as the root."""
    found = key_variable_set(name)
    key = os.environ.get(found) if found else None
    provider = load(name).open(settings.base_url or DIALECTS[name].root, key,
                               default_model=settings.model, timeout=settings.request_timeout)
    provider.declare(settings.models)
    return provider


def embedded_server_dir(settings: Settings) -> Path:
    """The folder the embedded preview server keeps its jobs and files in."""
    return settings.data_dir / "preview-server"


@contextlib.contextmanager
def open_provider(name: str, settings: Settings) -> Iterator[Provider]:
    """Yield a ready provider; the embedded server (for ``preview`` without a base URL) stops
    when the block ends."""
    if name not in PROVIDERS:
        raise ConfigError(f"Unknown provider '{name}'; choose one of: {', '.join(PROVIDERS)}.")
    from stillmotion.api.providers.openai_videos import VideosProvider  # loads the HTTP stack

    if name == "preview" and not settings.base_url:
        if not _EMBEDDED:
            raise ConfigError(
                "The preview provider runs on a local server that only the stillmotion command "
                "and the Resolve script start; run `stillmotion serve` and pass its /v1 URL "
                "with --base-url."
            )
        with _EMBEDDED[-1](embedded_server_dir(settings)) as base_url:
            local = settings.model_copy(update={"base_url": base_url, "api_key": None})
            provider = VideosProvider.from_settings(local, name="preview", default_base_url=None)
            try:
                yield provider
            finally:
                provider.close()
        return
    if name in DIALECTS:
        dialect = open_dialect(name, settings)
        try:
            yield dialect
        finally:
            dialect.close()
        return
    if name == "openai" and not settings.base_url:
        raise ConfigError(
            "The openai provider needs a base URL (OpenAI's own endpoint closed on 2026-09-24); "
            "pass --base-url or set STILLMOTION_BASE_URL to your gateway's /v1 URL."
        )
    remote = VideosProvider.from_settings(settings, name=name, default_base_url=None)
    try:
        yield remote
    finally:
        remote.close()


def provider_base_url(name: str, settings: Settings) -> str:
    """What the ledger records as the job's service (never a key)."""
    if name == "preview" and not settings.base_url:
        return EMBEDDED
    return settings.base_url or ""
