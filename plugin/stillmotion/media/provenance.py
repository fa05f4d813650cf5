"""Provenance of a downloaded clip: C2PA manifest presence and summary, and the preview mark.

Why read the MP4 boxes ourselves: every remux or re-encode drops the C2PA ``uuid`` box, so the
fact must be recorded from the original download before conforming; detecting the box needs no
extra dependency (c2pa-python would add signature validation, which we do not claim to do).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

from stillmotion.media.probe import MediaInfo
from stillmotion.preview.render import is_preview

C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
_LABEL = re.compile(rb"(?:urn:uuid:[0-9a-f-]{36}|urn:c2pa:[0-9a-f-]{36}|c2pa\.[a-z_.]+)")
_MAX_BOX = 64 << 20


def _top_level_boxes(path: Path) -> list[tuple[bytes, int, int]]:
    """(type, offset, size) of each top-level ISO-BMFF box; stops at the first malformed one."""
    boxes: list[tuple[bytes, int, int]] = []
    with path.open("rb") as handle:
        handle.seek(0, 2)
        end = handle.tell()
        offset = 0
        while offset + 8 <= end:
            handle.seek(offset)
            size, kind = struct.unpack(">I4s", handle.read(8))
            header = 8
            if size == 1:
                if offset + 16 > end:  # truncated download: no room for the 64-bit size
                    break
                size = struct.unpack(">Q", handle.read(8))[0]
                header = 16
            elif size == 0:
                size = end - offset
            if size < header:
                break
            boxes.append((kind, offset, size))
            offset += size
    return boxes


def c2pa_summary(path: Path) -> dict[str, Any] | None:
    """Summary of the C2PA manifest store in an MP4 (None without one): size and labels."""
    for kind, offset, size in _top_level_boxes(path):
        if kind != b"uuid":
            continue
        with path.open("rb") as handle:
            handle.seek(offset + 8)
            if handle.read(16) != C2PA_UUID:
                continue
            body = handle.read(min(size, _MAX_BOX))
        labels = sorted({m.decode("ascii") for m in _LABEL.findall(body)})
        return {"bytes": size, "labels": labels[:20]}
    return None


def read_provenance(path: Path, info: MediaInfo) -> dict[str, Any]:
    """What the ledger and timeline metadata record about where a download came from."""
    manifest = c2pa_summary(path)
    return {
        "preview": is_preview(info),
        "c2pa": manifest is not None,
        "c2pa_manifest": manifest,
        "encoder": info.tags.get("encoder"),
    }
