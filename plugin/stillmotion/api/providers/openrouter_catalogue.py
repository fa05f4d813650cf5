"""OpenRouter's model catalogue (``GET /videos/models``) as capability rows and prices, cached.

Why: OpenRouter states each model's durations, resolutions, aspect ratios, sizes, frame image
types, audio and per-second price; reading that list lets any model it serves work by name,
checked before anything is sent, without a row of ours. The list is read once and kept in the
cache folder (``<cache dir>/catalogues/openrouter-<root hash>.json``, written atomically) for
``catalogue_ttl`` seconds; a damaged cache file is read afresh, never trusted.

A catalogue model becomes a row when it names at least one size (``supported_sizes``, or
resolutions times aspect ratios) and one duration. Prices: ``per-video-second`` prices every
size, ``per-video-second-<resolution>`` (``-720p``, ``-1080p``) the sizes of that resolution;
a model with neither is unpriced, and the budget guard refuses it until the user sets a price.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx

from stillmotion.api.capabilities import CATALOGUE, ModelCapability, short_side, sizes_for
from stillmotion.api.providers.openrouter import NAME, OpenRouterProvider
from stillmotion.files import atomic_write_text
from stillmotion.timecode import format_size, parse_size

SECOND_SKU = "per-video-second"


def _strings(entry: Mapping[str, Any], name: str) -> list[str]:
    value = entry.get(name)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _sizes(entry: Mapping[str, Any]) -> tuple[tuple[int, int], ...]:
    listed = []
    for text in _strings(entry, "supported_sizes"):
        try:
            listed.append(parse_size(text))
        except ValueError:  # ConfigError is a ValueError: a size we cannot use is skipped
            continue
    shaped = sizes_for(_strings(entry, "supported_resolutions"),
                       _strings(entry, "supported_aspect_ratios"))
    return tuple(dict.fromkeys((*listed, *shaped)))


def _price(text: Any) -> str | None:
    try:
        amount = Decimal(str(text))
    except InvalidOperation:
        return None
    return str(amount) if amount.is_finite() and amount >= 0 else None


def _prices(model: str, skus: Any, sizes: tuple[tuple[int, int], ...]) -> tuple[
        tuple[str, str], ...]:
    if not isinstance(skus, dict):
        return ()
    found: list[tuple[str, str]] = []
    for sku, text in skus.items():
        price = _price(text)
        if price is None or not isinstance(sku, str) or not sku.startswith(SECOND_SKU):
            continue
        tier = sku.removeprefix(SECOND_SKU).lstrip("-")
        if not tier:
            found.append((f"{NAME}/{model}", price))
            continue
        short = short_side(tier)
        found.extend((f"{NAME}/{model}/{format_size(s)}", price) for s in sizes
                     if short is not None and min(s) == short)
    return tuple(found)


def row_from(entry: Mapping[str, Any]) -> ModelCapability | None:
    """One catalogue model as a row (None when it names no size or no duration)."""
    model = entry.get("id")
    durations = entry.get("supported_durations")
    if not isinstance(model, str) or not model or not isinstance(durations, list):
        return None
    seconds = tuple(sorted({d for d in durations if isinstance(d, int) and not
                            isinstance(d, bool) and d > 0}))
    sizes = _sizes(entry)
    if not seconds or not sizes:
        return None
    frames = _strings(entry, "supported_frame_images")
    return ModelCapability(NAME, model, sizes, seconds, seconds[0],
                           first_frame="first_frame" in frames,
                           last_frame="last_frame" in frames,
                           audio=entry.get("generate_audio") is True, source=CATALOGUE,
                           prices=_prices(model, entry.get("pricing_skus"), sizes))


def rows_from(body: Mapping[str, Any]) -> tuple[ModelCapability, ...]:
    """Every usable model of a ``/videos/models`` answer, in its order."""
    data = body.get("data")
    rows = (row_from(e) for e in data if isinstance(e, dict)) if isinstance(data, list) else ()
    return tuple(r for r in rows if r is not None)


def cache_file(cache_dir: Path, root: str) -> Path:
    """Where the catalogue of the API at ``root`` is kept."""
    digest = hashlib.sha256(root.rstrip("/").encode()).hexdigest()[:16]
    return cache_dir / "catalogues" / f"{NAME}-{digest}.json"


def _cached(path: Path, root: str, ttl: float, now: float) -> dict[str, Any] | None:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("root") != root.rstrip("/") \
            or not isinstance(saved.get("body"), dict):
        return None
    fetched = saved.get("fetched_at")
    if not isinstance(fetched, (int, float)) or not 0 <= now - fetched <= ttl:
        return None
    body: dict[str, Any] = saved["body"]
    return body


def cached_body(root: str, cache_dir: Path, ttl: float, *,
                clock: Callable[[], float] = time.time) -> dict[str, Any] | None:
    """The catalogue kept for ``root`` if it is younger than ``ttl`` seconds (no network)."""
    return _cached(cache_file(cache_dir, root), root, ttl, clock())


def cached_rows(root: str, cache_dir: Path, ttl: float, *,
                clock: Callable[[], float] = time.time) -> tuple[ModelCapability, ...] | None:
    """The rows of the catalogue kept for ``root`` (None when none is kept fresh)."""
    body = cached_body(root, cache_dir, ttl, clock=clock)
    return None if body is None else rows_from(body)


def catalogue_body(root: str, key: str | None, cache_dir: Path, ttl: float, *,
                   timeout: float = 60.0, clock: Callable[[], float] = time.time,
                   transport: httpx.BaseTransport | None = None) -> dict[str, Any]:
    """The catalogue of the API at ``root``: from the cache while fresh, else read and kept."""
    path = cache_file(cache_dir, root)
    now = clock()
    body = _cached(path, root, ttl, now)
    if body is not None:
        return body
    provider = OpenRouterProvider.open(root, key, timeout=timeout, transport=transport)
    try:
        body = provider.catalogue()
    finally:
        provider.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({"root": root.rstrip("/"), "fetched_at": now,
                                        "body": body}))
    return body


def catalogue_rows(root: str, key: str | None, cache_dir: Path, ttl: float, *,
                   timeout: float = 60.0, clock: Callable[[], float] = time.time,
                   transport: httpx.BaseTransport | None = None) -> tuple[ModelCapability, ...]:
    """The catalogue's rows (read through the cache)."""
    return rows_from(catalogue_body(root, key, cache_dir, ttl, timeout=timeout, clock=clock,
                                    transport=transport))
