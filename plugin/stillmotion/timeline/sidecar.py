"""``<name>.stillmotion.json``: our metadata beside a timeline whose format has no place for it.

Why: a CMX 3600 EDL keeps an event's reel, clip name, media path and a locator, nothing more, so
review, takes, the media linker and re-runs would find our clips (by the "AI generated"
locator) without their prompt, job, takes or provenance. The sidecar maps each generated clip's
identity to its ``metadata["stillmotion"]`` block:

- identity: the clip's media file name (the conformed file is named after its job, so it is
  unique), else its clip name when the timeline names no file (an EDL re-exported by an editor
  that keeps clip names only);
- written next to the timeline when it is written (``cut.stillmotion.edl`` ->
  ``cut.stillmotion.stillmotion.json``), atomically, only when there is something to keep;
- read back when the timeline is read, filling in clips that have no metadata of their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stillmotion.files import atomic_write_text
from stillmotion.timeline.generated import is_generated
from stillmotion.timeline.media import media_file_name
from stillmotion.timeline.metadata import METADATA_NAMESPACE, plain

SUFFIX = ".stillmotion.json"
FORMAT = "stillmotion-sidecar/1"


def sidecar_path(timeline_path: Path) -> Path:
    """Where the sidecar of ``timeline_path`` lives: ``<stem>.stillmotion.json`` beside it."""
    return timeline_path.with_name(f"{timeline_path.stem}{SUFFIX}")


def write_sidecar(timeline: Any, timeline_path: Path) -> Path | None:
    """Write the sidecar of the generated clips of ``timeline``; the path, or None if none."""
    clips = []
    for clip in timeline.find_clips():
        block = clip.metadata.get(METADATA_NAMESPACE)
        if is_generated(clip) and isinstance(block, Mapping):
            clips.append({"media": media_file_name(clip), "name": str(clip.name or ""),
                          METADATA_NAMESPACE: plain(block)})
    if not clips:
        return None
    path = sidecar_path(timeline_path)
    atomic_write_text(path, json.dumps({"format": FORMAT, "timeline": timeline_path.name,
                                        "clips": clips}, indent=2, sort_keys=True) + "\n")
    return path


def apply_sidecar(timeline: Any, timeline_path: Path) -> int:
    """Give clips without metadata theirs from the sidecar; how many were filled in.

    A missing or unreadable sidecar changes nothing (the timeline still reads without it).
    """
    try:
        data = json.loads(sidecar_path(timeline_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    entries = data.get("clips") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return 0
    by_media = {str(e.get("media", "")).lower(): e for e in entries
                if isinstance(e, dict) and e.get("media")}
    by_name = {str(e.get("name", "")): e for e in entries if isinstance(e, dict)}
    filled = 0
    for clip in timeline.find_clips():
        if METADATA_NAMESPACE in clip.metadata:
            continue
        media = media_file_name(clip).lower()
        entry = by_media.get(media) if media else by_name.get(str(clip.name or ""))
        block = entry.get(METADATA_NAMESPACE) if entry else None
        if isinstance(block, dict):
            clip.metadata[METADATA_NAMESPACE] = block
            filled += 1
    return filled
