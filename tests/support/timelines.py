"""Builders for OTIO timelines in tests, small frame-coded media at the editorial rates, hashes.

Why here: the timeline tests build many small timelines (23.976 from 01:00:00:00, 25, 29.97 DF,
59.94) on real media whose frames carry their index, and read the grabbed frame back to prove
the located source frame is the one the editor shows.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.media.frames import grab_frame
from stillmotion.media.synth import ClipSpec, render_clip
from support.framecode import luma_of_image, read_code

R23 = Fraction(24000, 1001)
R2997 = Fraction(30000, 1001)
R5994 = Fraction(60000, 1001)

# Small clips for the rates conftest.py does not cover (frame code readable at 320x180).
RATE_CLIPS: dict[str, ClipSpec] = {
    "pal_25_tc": ClipSpec(320, 180, Fraction(25), 50, audio_rate=None,
                          start_timecode="10:00:00:00", label="P25"),
    "hfr_5994_df": ClipSpec(320, 180, R5994, 120, audio_rate=None,
                            start_timecode="01:00:00;00", label="H59"),
    "plain_24": ClipSpec(320, 180, Fraction(24), 48, audio_rate=None, label="N24"),
}


def rate_clip(media_dir: Path, name: str) -> Path:
    """Render (once per session folder) the RATE_CLIPS entry ``name``."""
    spec = RATE_CLIPS[name]
    path = media_dir / f"{name}{'.mov' if spec.start_timecode else '.mp4'}"
    if not path.exists():
        render_clip(path, spec)
    return path


def rt(frames: float, rate: Fraction) -> Any:
    return otio.opentime.RationalTime(frames, float(rate))


def span(start: float, duration: float, rate: Fraction) -> Any:
    return otio.opentime.TimeRange(rt(start, rate), rt(duration, rate))


def gap(frames: int, rate: Fraction) -> Any:
    return otio.schema.Gap(source_range=span(0, frames, rate))


def media_clip(
    name: str,
    url: str | Path | None,
    *,
    rate: Fraction,
    source_start: int,
    duration: int,
    available: tuple[int, int] | None = None,
    enabled: bool = True,
) -> Any:
    """A clip on ``url`` (None: offline) showing ``duration`` frames from ``source_start``."""
    if url is None:
        reference: Any = otio.schema.MissingReference()
    else:
        reference = otio.schema.ExternalReference(target_url=str(url))
        if available is not None:
            reference.available_range = span(available[0], available[1], rate)
    clip = otio.schema.Clip(
        name=name, media_reference=reference, source_range=span(source_start, duration, rate)
    )
    clip.enabled = enabled
    return clip


def track(name: str, items: list[Any], *, enabled: bool = True, kind: str = "Video") -> Any:
    result = otio.schema.Track(name=name, kind=kind)
    result.enabled = enabled
    for item in items:
        result.append(item)
    return result


def timeline(name: str, rate: Fraction, start_frame: int | None, tracks: list[Any]) -> Any:
    result = otio.schema.Timeline(name=name)
    if start_frame is not None:
        result.global_start_time = rt(start_frame, rate)
    for item in tracks:
        result.tracks.append(item)
    return result


def code_at(media: Path, index: int, workdir: Path) -> int | None:
    """Grab frame ``index`` of ``media`` with stillmotion.media.frames and read its code."""
    still = workdir / f"{media.stem}-{index}.png"
    grab_frame(media, still, frame=index, overwrite=True)
    return read_code(luma_of_image(still))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record_layout(tl: Any) -> list[tuple[str, str, int, int]]:
    """(track name, item name, start, end) of every non-gap item, in timeline-relative frames."""
    rate = tl.global_start_time.rate if tl.global_start_time is not None else None
    rows = []
    for tr in tl.tracks:
        position = 0.0
        for child in tr:
            if isinstance(child, otio.schema.Transition):
                continue
            duration = child.duration()
            length = duration.rescaled_to(rate).value if rate else duration.value
            if not isinstance(child, otio.schema.Gap):
                rows.append((str(tr.name), str(child.name), round(position),
                             round(position + length)))
            position += length
    return rows
