"""Find the gap under the playhead: where the picture is empty between two clips.

Why whole-stack, not one track: the editor sees a gap where no enabled clip on any enabled video
track shows, so the gap runs from the last clip ending before the playhead (on any track) to
the first clip starting after it. Clips stillmotion generated are left out of the search, so a
gap already filled by a take can be filled again with a new take. ``fill-gap`` generates from the
last frame before the gap to the first frame after it and places the clip exactly in the gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.timeline.edit import spans
from stillmotion.timeline.generated import is_generated
from stillmotion.timeline.sampling import boundary
from stillmotion.timeline.timebase import TimeBase


@dataclass(frozen=True)
class GapSpan:
    """A gap in record frames (timeline-relative, ``end`` exclusive) and the clips around it.

    ``before_track``/``after_track`` index ``timeline.tracks``; the clip before ends at
    ``start`` and the clip after begins at ``end``.
    """

    start: int
    end: int
    before_name: str
    before_track: int
    after_name: str
    after_track: int

    @property
    def frames(self) -> int:
        """The gap's length in timeline frames."""
        return self.end - self.start


@dataclass(frozen=True)
class _Shown:
    start: int
    end: int
    name: str
    track: int


def _shown_clips(timeline: Any, timebase: TimeBase) -> list[_Shown]:
    """Every enabled, non-generated clip on an enabled top-level video track, on the record
    frames it shows (edit points rounded as the render and ``locate`` round them)."""
    found: list[_Shown] = []
    for index, track in enumerate(timeline.tracks):
        if not isinstance(track, otio.schema.Track) or track.kind != otio.schema.TrackKind.Video \
                or not track.enabled or track.source_range is not None:
            continue
        for span in spans(track, timebase):
            item = span.item
            if isinstance(item, otio.schema.Clip) and item.enabled and not is_generated(item):
                found.append(_Shown(boundary(span.start), boundary(span.end), str(item.name),
                                    index))
    return found


def gap_at(timeline: Any, frame: int, *, label: str) -> GapSpan:
    """The gap around timeline-relative ``frame`` (``label`` names the playhead in messages).

    TimelineError when a clip shows at the playhead, or the gap has no clip before or after
    it (a fill needs both frames).
    """
    timebase = TimeBase.of(timeline)
    shown = _shown_clips(timeline, timebase)
    here = [c for c in shown if c.start <= frame < c.end]
    if here:
        raise TimelineError(f"The clip '{here[-1].name}' shows at {label}, so there is no gap "
                            "there; park the playhead in the empty space between two clips.")
    before = [c for c in shown if c.end <= frame]
    after = [c for c in shown if c.start > frame]
    if not before or not after:
        side = "before" if not before else "after"
        raise TimelineError(f"The gap at {label} has no clip {side} it; fill-gap needs a clip on "
                            "each side to take the first and last frames from.")
    start = max(c.end for c in before)
    end = min(c.start for c in after)
    left = [c for c in before if c.end == start][-1]
    right = [c for c in after if c.start == end][-1]
    return GapSpan(start, end, left.name, left.track, right.name, right.track)
