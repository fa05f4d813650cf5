"""The provenance chain of an artist's version on a generated clip's metadata.

Why one module: ingest writes it, and the review page, turnover and a later ingest read it to
tell an artist's take from an AI take; the key and its shape live here.
"""

from __future__ import annotations

from typing import Any

from stillmotion.timeline.metadata import GeneratedClipMetadata
from stillmotion.timeline.takes import FINISHING_KEY


def artist_chain(metadata: GeneratedClipMetadata, take: int) -> dict[str, Any] | None:
    """Where take ``take`` came from when it is an artist's version, else None."""
    table = metadata.extra.get(FINISHING_KEY)
    chain = table.get(str(take)) if isinstance(table, dict) else None
    return chain if isinstance(chain, dict) else None


def ai_take(metadata: GeneratedClipMetadata) -> int:
    """The AI take behind the take shown: itself, or the one an artist's version came from."""
    chain = artist_chain(metadata, metadata.take)
    if chain is None:
        return metadata.take
    value = chain.get("ai_take")
    return value if isinstance(value, int) else metadata.take


def with_chain(extra: dict[str, Any], take: int, chain: dict[str, Any]) -> dict[str, Any]:
    """``extra`` with ``chain`` recorded for take ``take``."""
    return {**extra, FINISHING_KEY: {**dict(extra.get(FINISHING_KEY) or {}), str(take): chain}}
