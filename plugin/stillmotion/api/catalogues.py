"""Vendor model lists: their capability fields as rows, and the one cache rule that keeps them.

Why one module: OpenRouter's ``GET /videos/models`` and a /v1/videos gateway's ``GET /models``
are read for the same reason (to know a model we have no row for) and must be kept by the same
rule: in the cache folder (``<cache dir>/catalogues/<provider>-<root hash>.json``, written
atomically) for ``catalogue_ttl`` seconds; a damaged, foreign or stale file is read afresh,
never trusted. The file holds the API root, the time it was read and the list as the service
sent it, never a key.

The capability fields are OpenRouter's (the only model list of video capabilities documented):
a model becomes a row when it names at least one size (``supported_sizes``, or
``supported_resolutions`` times ``supported_aspect_ratios``) and one duration
(``supported_durations``); ``supported_frame_images`` says first/last frame, ``generate_audio``
audio. Prices: ``pricing_skus`` ``per-video-second`` prices every size,
``per-video-second-<resolution>`` (``-720p``, ``-1080p``) the sizes of that resolution; a model
with neither is unpriced, and the budget guard refuses it until the user sets a price.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from stillmotion.api.capabilities import CATALOGUE, ModelCapability, short_side, sizes_for
from stillmotion.files import atomic_write_text
from stillmotion.timecode import format_size, parse_size

SECOND_SKU = "per-video-second"

Clock = Callable[[], float]


# -- the fields ------------------------------------------------------------------------------


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


def _prices(key: str, skus: Any, sizes: tuple[tuple[int, int], ...]) -> tuple[
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
            found.append((key, price))
            continue
        short = short_side(tier)
        found.extend((f"{key}/{format_size(s)}", price) for s in sizes
                     if short is not None and min(s) == short)
    return tuple(found)


def row_from(provider: str, entry: Mapping[str, Any]) -> ModelCapability | None:
    """One listed model as ``provider``'s row (None when it names no size or no duration)."""
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
    return ModelCapability(provider, model, sizes, seconds, seconds[0],
                           first_frame="first_frame" in frames,
                           last_frame="last_frame" in frames,
                           audio=entry.get("generate_audio") is True, source=CATALOGUE,
                           prices=_prices(f"{provider}/{model}", entry.get("pricing_skus"),
                                          sizes))


def entries(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The model objects of a list answer (``{"data": [...]}``), anything else skipped."""
    data = body.get("data")
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def rows_from(provider: str, body: Mapping[str, Any]) -> tuple[ModelCapability, ...]:
    """Every usable model of a list answer as ``provider``'s rows, in its order."""
    rows = (row_from(provider, e) for e in entries(body))
    return tuple(r for r in rows if r is not None)


# -- the cache -------------------------------------------------------------------------------


def cache_file(cache_dir: Path, provider: str, root: str) -> Path:
    """Where the list of ``provider``'s API at ``root`` is kept."""
    digest = hashlib.sha256(root.rstrip("/").encode()).hexdigest()[:16]
    return cache_dir / "catalogues" / f"{provider}-{digest}.json"


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


def cached_body(provider: str, root: str, cache_dir: Path, ttl: float, *,
                clock: Clock = time.time) -> dict[str, Any] | None:
    """The list kept for ``root`` if it is younger than ``ttl`` seconds (no network)."""
    return _cached(cache_file(cache_dir, provider, root), root, ttl, clock())


def read_through(provider: str, root: str, cache_dir: Path, ttl: float,
                 fetch: Callable[[], dict[str, Any] | None], *,
                 clock: Clock = time.time) -> dict[str, Any] | None:
    """The list of the API at ``root``: from the cache while fresh, else ``fetch``-ed and kept.

    ``fetch`` answers None when the service has no list; nothing is kept then, so a gateway
    that gains one is read on the next run.
    """
    path = cache_file(cache_dir, provider, root)
    now = clock()
    body = _cached(path, root, ttl, now)
    if body is not None:
        return body
    body = fetch()
    if body is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({"root": root.rstrip("/"), "fetched_at": now,
                                        "body": body}))
    return body
