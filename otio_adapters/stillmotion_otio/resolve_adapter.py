"""OTIO adapter ``stillmotion_resolve_otio`` (write only): OTIO JSON shaped for DaVinci Resolve.

``otio.adapters.write_to_file(tl, "x.otio", adapter_name="stillmotion_resolve_otio")`` writes
a copy shaped by ``stillmotion.timeline.resolve_shape.make_resolve_shaped`` (global start time,
``Clip.2`` with ``DEFAULT_MEDIA``, bare absolute paths, available ranges in the media's own
timecode space), so ``MediaPool.ImportTimelineFromFile`` accepts it. ``base_dir`` resolves
relative media paths (default: the current folder). The input timeline is not changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.files import atomic_write_text
from stillmotion.timeline.resolve_shape import make_resolve_shaped


def write_to_string(input_otio: Any, base_dir: str | Path | None = None) -> str:
    """The Resolve-shaped timeline as OTIO JSON text."""
    shaped = make_resolve_shaped(input_otio,
                                 base_dir=Path(base_dir) if base_dir is not None else None)
    return str(otio.adapters.write_to_string(shaped, "otio_json"))


def write_to_file(input_otio: Any, filepath: str, base_dir: str | Path | None = None) -> None:
    """Write the Resolve-shaped timeline to ``filepath`` atomically."""
    atomic_write_text(Path(filepath), write_to_string(input_otio, base_dir))
