"""OTIO adapter ``stillmotion_render`` (write only): render a timeline into a media file.

Usage::

    otio.adapters.write_to_file(
        timeline, "master.mov", adapter_name="stillmotion_render",
        preset="resolve-dnxhr-hq", size="1920x1080", rate="24000/1001",
        tracks=["AI Generated"], range=otio.opentime.TimeRange(...),
    )

Keywords (all optional): ``preset`` (a stillmotion conform preset), ``size`` ('WxH' or a pair;
default the first picture's), ``rate`` (default the timeline's), ``tracks`` (a name, ``V2``/``A1``,
or a list; default the flattened enabled video stack and every enabled audio track), ``range``
(TimeRange in track time or (first, end) frames), ``fit`` (letterbox or fill), ``base_dir``
(folder for relative media paths; default the current one), ``overwrite`` (default True, as OTIO
writers replace files; the write is atomic either way), ``on_progress`` (a callable given
``stillmotion.media.ffmpeg.Progress`` events), ``credentials`` (False writes no Content
Credentials; default: the user's settings, ``STILLMOTION_CREDENTIALS`` or the settings file) and
``on_note`` (a callable given the one line saying how the master was signed). The rules are
those of ``stillmotion.timeline.render``; the master is signed like ``stitch --timeline``'s
(``stillmotion.timeline.master``): every contributing clip an ingredient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.media.conform import DEFAULT_PRESET
from stillmotion.media.credentials import chosen_identity
from stillmotion.media.ffmpeg import ProgressCallback
from stillmotion.settings import load_settings
from stillmotion.timeline.render import render_timeline


def write_to_file(
    input_otio: Any,
    filepath: str,
    preset: str = DEFAULT_PRESET,
    size: tuple[int, int] | str | None = None,
    rate: Fraction | str | float | None = None,
    tracks: Sequence[str] | str | None = None,
    range: Any = None,  # the keyword OTIO callers pass
    fit: str = "letterbox",
    base_dir: str | Path | None = None,
    overwrite: bool = True,
    on_progress: ProgressCallback | None = None,
    credentials: bool | None = None,
    on_note: Callable[[str], None] | None = None,
) -> None:
    """Render ``input_otio`` (a Timeline) into the media file ``filepath``."""
    if not isinstance(input_otio, otio.schema.Timeline):
        raise TimelineError(
            f"stillmotion_render writes timelines, not a {input_otio.schema_name()}; put it in a "
            "Timeline first."
        )
    # Resolved before rendering, so a bad signing certificate stops the write before any work.
    identity = chosen_identity(load_settings(credentials=credentials))
    render_timeline(
        input_otio, Path(filepath), preset=preset, size=size, rate=rate, tracks=tracks,
        record_range=range, fit=fit, base_dir=Path(base_dir) if base_dir is not None else None,
        overwrite=overwrite, on_progress=on_progress, identity=identity, on_note=on_note,
    )
