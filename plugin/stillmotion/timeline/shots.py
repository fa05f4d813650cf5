"""Choosing shots on a timeline other than by playhead: prompts on markers, clips by name.

Why: ``stillmotion batch --from-markers`` reads one prompt per marker (its name and note, as
editors leave them while reviewing), and ``stillmotion extend --clip NAME`` needs a clip's
record out point; both are OTIO reading, so they live here behind the timeline boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.timeline.edit import spans
from stillmotion.timeline.metadata import MARKER_NAME
from stillmotion.timeline.sampling import boundary
from stillmotion.timeline.timebase import TimeBase, whole


@dataclass(frozen=True)
class MarkerShot:
    """A marker asking for a generation: where (timeline-relative frame) and the prompt."""

    record_frame: int
    name: str
    note: str
    color: str

    @property
    def prompt(self) -> str:
        """Name and note joined: editors put the shot idea in either."""
        return ". ".join(p.strip() for p in (self.name, self.note) if p and p.strip())


@dataclass(frozen=True)
class ClipSpan:
    """A clip's record frames on a video track (timeline-relative, end exclusive), its edit
    points rounded as the render rounds them (:func:`stillmotion.timeline.sampling.boundary`),
    so ``end - 1`` is the last frame the master shows of it (``extend`` grabs it there)."""

    name: str
    start: int
    end: int
    track_index: int


def _video_tracks(timeline: Any) -> list[tuple[int, Any]]:
    return [(i, t) for i, t in enumerate(timeline.tracks)
            if isinstance(t, otio.schema.Track) and t.kind == otio.schema.TrackKind.Video]


def marker_shots(timeline: Any, *, color: str | None = None) -> list[MarkerShot]:
    """Markers on the timeline, its tracks and its clips, in record order, skipping ours."""
    timebase = TimeBase.of(timeline)
    found: list[MarkerShot] = []

    def add(marker: Any, frame: Fraction) -> None:
        if str(marker.name).strip().lower() == MARKER_NAME.lower():
            return
        if color is not None and str(marker.color).lower() != color.lower():
            return
        found.append(MarkerShot(whole(frame), str(marker.name or ""),
                                str(marker.comment or ""), str(marker.color or "")))

    for marker in timeline.tracks.markers:
        add(marker, timebase.frames(marker.marked_range.start_time))
    for _, track in _video_tracks(timeline):
        for marker in track.markers:
            add(marker, timebase.frames(marker.marked_range.start_time))
        for span in spans(track, timebase):
            item = span.item
            if not isinstance(item, otio.schema.Clip):
                continue
            first = timebase.frames(item.trimmed_range().start_time)
            for marker in item.markers:
                add(marker, span.start + timebase.frames(marker.marked_range.start_time) - first)
    return sorted(found, key=lambda shot: shot.record_frame)


def clip_by_name(timeline: Any, name: str) -> ClipSpan:
    """The clip called ``name`` on a video track (top-most if several); TimelineError if none."""
    timebase = TimeBase.of(timeline)
    hits: list[ClipSpan] = []
    for index, track in _video_tracks(timeline):
        for span in spans(track, timebase):
            if isinstance(span.item, otio.schema.Clip) and str(span.item.name) == name:
                hits.append(ClipSpan(name, boundary(span.start), boundary(span.end), index))
    if not hits:
        raise TimelineError(f"There is no video clip named '{name}' on the timeline; check the "
                            "name as the NLE shows it.")
    return hits[-1]


def clip_at(timeline: Any, frame: int) -> ClipSpan:
    """The top-most enabled video clip covering timeline-relative ``frame``."""
    timebase = TimeBase.of(timeline)
    for index, track in reversed(_video_tracks(timeline)):
        if not track.enabled:
            continue
        for span in spans(track, timebase):
            item = span.item
            start, end = boundary(span.start), boundary(span.end)
            if isinstance(item, otio.schema.Clip) and item.enabled and start <= frame < end:
                return ClipSpan(str(item.name), start, end, index)
    raise TimelineError("There is no enabled video clip under the playhead; park it on a shot.")


def sample_timeline(name: str, clips: list[tuple[Path, int]], rate: Fraction,
                    start_frame: int) -> Any:
    """A one-track timeline of whole clips (path, frames) at ``rate``, for the demo."""
    timebase = TimeBase(rate, float(rate))
    timeline = otio.schema.Timeline(name=name, global_start_time=timebase.time(start_frame))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for path, frames in clips:
        available = timebase.span(0, frames)
        reference = otio.schema.ExternalReference(target_url=str(path.absolute()),
                                                  available_range=available)
        track.append(otio.schema.Clip(name=path.stem, media_reference=reference,
                                      source_range=available))
    timeline.tracks.append(track)
    return timeline
