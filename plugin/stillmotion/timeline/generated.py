"""Find the clips stillmotion placed on a timeline, for takes, the media linker and review.

Why a marker as well as metadata: OTIO JSON keeps ``metadata["stillmotion"]``, but FCP 7 XML,
EDL and Kdenlive drop it; the "AI generated" marker survives FCP XML and EDL (as a LOC line,
upper-cased), so a generated clip is still recognised there, only without its provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.timeline.edit import spans
from stillmotion.timeline.metadata import (
    MARKER_NAME,
    METADATA_NAMESPACE,
    GeneratedClipMetadata,
    read_metadata,
)
from stillmotion.timeline.timebase import TimeBase, whole


@dataclass(frozen=True)
class GeneratedClip:
    """A generated clip found on a top-level video track (record frames timeline-relative).

    ``metadata`` is None when the format dropped it (only the marker identified the clip) or
    when it is damaged; ``problem`` then says which.
    """

    clip: Any
    track_index: int
    track_name: str
    record_start_frame: int
    duration_frames: int
    metadata: GeneratedClipMetadata | None
    problem: str | None = None


def is_generated(clip: Any) -> bool:
    """True for a clip carrying our metadata block or our marker."""
    if not isinstance(clip, otio.schema.Clip):
        return False
    if clip.metadata is not None and METADATA_NAMESPACE in clip.metadata:
        return True
    return any(str(m.name).strip().lower() == MARKER_NAME.lower() for m in clip.markers)


def generated_only(track: Any) -> bool:
    """Whether ``track`` holds clips and every one of them is generated (formats that drop
    track names still show which tracks are ours this way)."""
    clips = [c for c in track if isinstance(c, otio.schema.Clip)]
    return bool(clips) and all(is_generated(c) for c in clips)


def find_generated_clips(timeline: Any) -> list[GeneratedClip]:
    """Every generated clip on the timeline's top-level video tracks, bottom track first."""
    timebase = TimeBase.of(timeline)
    found: list[GeneratedClip] = []
    for index, track in enumerate(timeline.tracks):
        if not isinstance(track, otio.schema.Track) or track.kind != otio.schema.TrackKind.Video:
            continue
        offset = 0
        if track.source_range is not None:
            offset = -whole(timebase.frames(track.source_range.start_time))
        for span in spans(track, timebase):
            if not is_generated(span.item):
                continue
            metadata, problem = _metadata_of(span.item)
            found.append(GeneratedClip(
                clip=span.item,
                track_index=index,
                track_name=str(track.name or ""),
                record_start_frame=whole(span.start) + offset,
                duration_frames=whole(span.end - span.start),
                metadata=metadata,
                problem=problem,
            ))
    return found


def _metadata_of(clip: Any) -> tuple[GeneratedClipMetadata | None, str | None]:
    try:
        metadata = read_metadata(clip)
    except TimelineError as exc:
        return None, exc.message
    if metadata is None:
        return None, "The timeline format dropped the stillmotion metadata (marker only)."
    return metadata, None
