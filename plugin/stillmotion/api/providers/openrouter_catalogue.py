"""OpenRouter's model catalogue (``GET /videos/models``) as capability rows and prices, cached.

Why: OpenRouter states each model's durations, resolutions, aspect ratios, sizes, frame image
types, audio and per-second price; reading that list lets any model it serves work by name,
checked before anything is sent, without a row of ours. How its fields become rows, and how the
list is kept (``catalogue_ttl`` seconds in the cache folder), is the shared rule of
:mod:`stillmotion.api.catalogues`; this module only reads OpenRouter's list.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from stillmotion.api import catalogues
from stillmotion.api.capabilities import ModelCapability
from stillmotion.api.providers.openrouter import NAME, OpenRouterProvider


def rows_from(body: Mapping[str, Any]) -> tuple[ModelCapability, ...]:
    """Every usable model of a ``/videos/models`` answer, in its order."""
    return catalogues.rows_from(NAME, body)


def cache_file(cache_dir: Path, root: str) -> Path:
    """Where the catalogue of the API at ``root`` is kept."""
    return catalogues.cache_file(cache_dir, NAME, root)


def cached_rows(root: str, cache_dir: Path, ttl: float, *,
                clock: Callable[[], float] = time.time) -> tuple[ModelCapability, ...] | None:
    """The rows of the catalogue kept for ``root`` (None when none is kept fresh)."""
    body = catalogues.cached_body(NAME, root, cache_dir, ttl, clock=clock)
    return None if body is None else rows_from(body)


def catalogue_body(root: str, key: str | None, cache_dir: Path, ttl: float, *,
                   timeout: float = 60.0, clock: Callable[[], float] = time.time,
                   transport: httpx.BaseTransport | None = None) -> dict[str, Any]:
    """The catalogue of the API at ``root``: from the cache while fresh, else read and kept."""
    def fetch() -> dict[str, Any]:
        provider = OpenRouterProvider.open(root, key, timeout=timeout, transport=transport)
        try:
            return provider.catalogue()
        finally:
            provider.close()

    body = catalogues.read_through(NAME, root, cache_dir, ttl, fetch, clock=clock)
    return body or {}


def catalogue_rows(root: str, key: str | None, cache_dir: Path, ttl: float, *,
                   timeout: float = 60.0, clock: Callable[[], float] = time.time,
                   transport: httpx.BaseTransport | None = None) -> tuple[ModelCapability, ...]:
    """The catalogue's rows (read through the cache)."""
    return rows_from(catalogue_body(root, key, cache_dir, ttl, timeout=timeout, clock=clock,
                                    transport=transport))
