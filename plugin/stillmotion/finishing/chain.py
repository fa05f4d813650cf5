"""The provenance chain of an artist's version on a generated clip's metadata.

Why one module: ingest writes it, and the review page, turnover and a later ingest read it to
tell an artist's take from an AI take; its shape lives here (its key in
:mod:`stillmotion.timeline.takes`, because a new take of the slot must keep it).
"""

from __future__ import annotations

from typing import Any

from stillmotion.timeline.metadata import GeneratedClipMetadata, TakeRecord
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


def version_label(chain: dict[str, Any]) -> str:
    """``comp v002``: the task and version an artist's take was named with."""
    version = chain.get("version")
    task = str(chain.get("task") or "version")
    return f"{task} v{version:03d}" if isinstance(version, int) else task


def take_summary(metadata: GeneratedClipMetadata, record: TakeRecord) -> dict[str, Any]:
    """One take of a slot for people and scripts (``stillmotion takes`` without ``--use``):
    AI or artist, who made it, its media, whether it is shown, and an artist's chain."""
    chain = artist_chain(metadata, record.take)
    label = record.label or f"{metadata.provider} {metadata.model}".strip()
    return {
        "take": record.take, "kind": "ai" if chain is None else "artist",
        "label": label if chain is None else f"artist {version_label(chain)}",
        "job_id": record.job_id, "media": record.media, "original": record.original,
        "in_use": record.take == metadata.take, "chain": chain,
    }
