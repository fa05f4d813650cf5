"""Open the provider a job runs on: a /v1/videos gateway, or the embedded preview server.

Why here and not in ``api/``: the ``preview`` provider is the local server started in this
process (no key, no network), which belongs to the jobs layer's lifetime, not to the client.
Its data folder is persistent (``<data dir>/preview-server``) so a job survives a crash of the
process that started it: ``stillmotion jobs resume`` starts the server again on the same folder
and finds the job under the same id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from stillmotion.api.providers.base import Provider
from stillmotion.api.providers.openai_videos import VideosProvider
from stillmotion.errors import ConfigError
from stillmotion.settings import Settings

PROVIDERS = ("preview", "openai")
EMBEDDED = "embedded"


def embedded_server_dir(settings: Settings) -> str:
    """The folder the embedded preview server keeps its jobs and files in."""
    return str(settings.data_dir / "preview-server")


@contextlib.contextmanager
def open_provider(name: str, settings: Settings) -> Iterator[Provider]:
    """Yield a ready provider; the embedded server (for ``preview`` without a base URL) stops
    when the block ends."""
    if name not in PROVIDERS:
        raise ConfigError(f"Unknown provider '{name}'; choose one of: {', '.join(PROVIDERS)}.")
    if name == "preview" and not settings.base_url:
        from stillmotion.server import serve_in_background

        with serve_in_background(data_dir=embedded_server_dir(settings)) as server:
            local = settings.model_copy(update={"base_url": server.base_url, "api_key": None})
            provider = VideosProvider.from_settings(local, name="preview", default_base_url=None)
            try:
                yield provider
            finally:
                provider.close()
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
