"""The timeline side of a VFX turnover: which generated clips are shots, and the shots' edit.

Why here: OpenTimelineIO stays in the timeline layer, while ``stillmotion.finishing`` plans the
plates and writes files. Shots are named by their place in the cut (sh010, sh020 … over every
generated clip on the timeline, by record start then track), so a name stays the same whichever
tracks or marker colour a turnover picks, and ingest finds the same names again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.timeline.generated import GeneratedClip, find_generated_clips
from stillmotion.timeline.metadata import METADATA_NAMESPACE, GeneratedClipMetadata
from stillmotion.timeline.takes import media_in_of
from stillmotion.timeline.timebase import TimeBase

SHOT_STEP = 10


@dataclass(frozen=True)
class ShotSlot:
    """A generated clip as a shot: record frames are absolute (timeline start included);
    ``media_in`` is the first frame of the clip's media the cut shows."""

    shot: str
    generated: GeneratedClip
    record_start: int
    duration: int
    media_in: int
    media_path: str

    @property
    def metadata(self) -> GeneratedClipMetadata | None:
        return self.generated.metadata

    @property
    def track_name(self) -> str:
        return self.generated.track_name

    @property
    def clip_name(self) -> str:
        return str(self.generated.clip.name)


def _marker_colours(clip: Any) -> set[str]:
    return {str(m.color).upper() for m in clip.markers}


def shot_slots(timeline: Any) -> list[ShotSlot]:
    """Every generated clip on the timeline as a named shot, in cut order."""
    timebase = TimeBase.of(timeline)
    start = timebase.start_frame(timeline)
    found = sorted(find_generated_clips(timeline),
                   key=lambda g: (g.record_start_frame, g.track_index))
    slots: list[ShotSlot] = []
    for number, generated in enumerate(found, start=1):
        reference = generated.clip.media_reference
        slots.append(ShotSlot(
            shot=f"sh{number * SHOT_STEP:03d}",
            generated=generated,
            record_start=start + generated.record_start_frame,
            duration=generated.duration_frames,
            media_in=media_in_of(generated.clip, timebase),
            media_path=str(getattr(reference, "target_url", "") or ""),
        ))
    return slots


def choose_shots(
    slots: Sequence[ShotSlot], *, tracks: Sequence[str] = (), marker_colour: str | None = None
) -> list[ShotSlot]:
    """The slots on ``tracks`` (all when empty) whose clip carries a marker of
    ``marker_colour`` (all when None); TimelineError naming what was asked when none remain."""
    wanted = {t.strip().lower() for t in tracks}
    chosen = [s for s in slots if not wanted or s.track_name.lower() in wanted]
    if marker_colour is not None:
        colour = marker_colour.strip().upper()
        chosen = [s for s in chosen if colour in _marker_colours(s.generated.clip)]
    if not chosen:
        where = f"on the tracks {', '.join(tracks)}" if tracks else "on this timeline"
        if marker_colour is not None:
            where += f" with a {marker_colour.upper()} marker"
        raise TimelineError(
            f"There are no generated clips {where}; check the track names and marker colour "
            "(`--all` takes every generated clip).")
    return chosen


@dataclass(frozen=True)
class TurnoverEdit:
    """One shot of the turnover edit: its plate, the plate's timecode and the cut in it."""

    name: str
    reel: str
    record_start: int
    duration: int
    plate: Path
    plate_start_frame: int
    plate_frames: int
    plate_timecode_frame: int
    head: int
    sequence: bool
    comments: tuple[str, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)


def _reference(entry: TurnoverEdit, timebase: TimeBase) -> Any:
    available = timebase.span(entry.plate_timecode_frame, entry.plate_frames)
    if entry.sequence:
        stem, _, suffix = entry.plate.name.partition(".%04d")
        return otio.schema.ImageSequenceReference(
            target_url_base=str(entry.plate.parent) + "/",
            name_prefix=f"{stem}.", name_suffix=suffix, start_frame=entry.plate_start_frame,
            frame_step=1, rate=timebase.otio_rate, frame_zero_padding=4,
            available_range=available)
    return otio.schema.ExternalReference(target_url=str(entry.plate), available_range=available)


def turnover_timeline(name: str, rate: Fraction, global_start: int,
                      entries: Sequence[TurnoverEdit]) -> Any:
    """A one-track timeline of the shots over their plates, at their record frames.

    Each clip's source range is the cut inside its plate, in the plate's timecode (the record
    timecode of its first frame), so an EDL of it lists record and plate timecodes that agree.
    """
    otio_rate = float(rate) if rate.denominator == 1 else round(float(rate), 6)
    timebase = TimeBase(rate, otio_rate)
    track = otio.schema.Track(name="VFX", kind=otio.schema.TrackKind.Video)
    position = global_start
    for entry in sorted(entries, key=lambda e: e.record_start):
        if entry.record_start < position:
            raise TimelineError(
                f"The shots {entry.name} and the one before it overlap in record time; turn "
                "over one track at a time (--track).")
        if entry.record_start > position:
            track.append(otio.schema.Gap(
                source_range=timebase.span(0, entry.record_start - position)))
        clip = otio.schema.Clip(
            name=entry.name, media_reference=_reference(entry, timebase),
            source_range=timebase.span(entry.plate_timecode_frame + entry.head, entry.duration))
        clip.metadata["cmx_3600"] = {"reel": entry.reel, "comments": list(entry.comments)}
        clip.metadata[METADATA_NAMESPACE] = dict(entry.metadata)
        track.append(clip)
        position = entry.record_start + entry.duration
    timeline = otio.schema.Timeline(name=name, global_start_time=timebase.time(global_start))
    timeline.tracks.append(track)
    return timeline
