"""Put an item into a track's free span without moving or covering anything else.

Why our own: OTIO 0.18.1 has no overwrite/insert algorithms in Python, and an NLE that finds two
items overlapping on one track drops or shifts one of them (Resolve silently keeps the first).
A track is kept as [Gap, Clip, Gap, Clip …]: an item goes only where the track holds nothing
but gaps (or past its end), the gaps around it are split so every later item keeps its record
time to the frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from stillmotion.timeline.timebase import TimeBase


@dataclass(frozen=True)
class Span:
    """One child of a track with its place in the track's own record frames (end exclusive)."""

    index: int
    start: Fraction
    end: Fraction
    item: Any


def spans(track: Any, timebase: TimeBase) -> list[Span]:
    """The track's non-transition children with their record frames (transitions take none)."""
    found: list[Span] = []
    position = Fraction(0)
    for index, child in enumerate(track):
        if isinstance(child, otio.schema.Transition):
            continue
        length = timebase.frames(child.duration())
        found.append(Span(index, position, position + length, child))
        position += length
    return found


def _transition_ranges(track: Any, timebase: TimeBase) -> list[tuple[Fraction, Fraction]]:
    """Where each transition shows, around the cut it sits on."""
    ranges = []
    position = Fraction(0)
    for child in track:
        if isinstance(child, otio.schema.Transition):
            ranges.append((position - timebase.frames(child.in_offset),
                           position + timebase.frames(child.out_offset)))
            continue
        position += timebase.frames(child.duration())
    return ranges


def is_free(track: Any, timebase: TimeBase, start: int, end: int) -> bool:
    """True when frames [start, end) of ``track`` hold only gaps (or lie past its end).

    A track trimmed by its own ``source_range`` is never treated as free: its record times are
    not the stack's, and editing it would shift what the editor sees.
    """
    if track.source_range is not None:
        return False
    for span in spans(track, timebase):
        if span.start < end and start < span.end and not isinstance(span.item, otio.schema.Gap):
            return False
    return all(not (low < end and start < high) for low, high in _transition_ranges(
        track, timebase))


def put_in_gap(track: Any, timebase: TimeBase, item: Any, start: int, length: int) -> None:
    """Place ``item`` at record frames [start, start + length) of a track free there.

    The gaps it lands on are replaced by [Gap before, item, Gap after]; past the end of the
    track a Gap pads up to ``start``. Callers check :func:`is_free` first; a busy span raises
    ValueError (a programming error, never a user one).
    """
    end = start + length
    if not is_free(track, timebase, start, end):
        raise ValueError(f"frames {start}-{end} of track '{track.name}' are not free")
    covered = [s for s in spans(track, timebase) if s.start < end and start < s.end]
    if not covered:
        track_end = spans(track, timebase)[-1].end if len(track) else Fraction(0)
        if start > track_end:
            track.append(_gap(timebase, start - track_end))
        track.append(item)
        return
    first, last = covered[0], covered[-1]
    pieces = []
    if start > first.start:
        pieces.append(_gap(timebase, start - first.start))
    pieces.append(item)
    if last.end > end:
        pieces.append(_gap(timebase, last.end - end))
    for index in range(last.index, first.index - 1, -1):
        del track[index]
    for offset, piece in enumerate(pieces):
        track.insert(first.index + offset, piece)


def _gap(timebase: TimeBase, length: Fraction) -> Any:
    return otio.schema.Gap(source_range=timebase.span(0, length))


def shows_over(track: Any, timebase: TimeBase, start: int, end: int) -> bool:
    """True when an enabled clip of an enabled ``track`` shows somewhere in frames [start, end).

    Such a track hides whatever lies below it there. A track trimmed by its own
    ``source_range`` is counted by what it holds at all, which errs on the side of "hidden".
    """
    if not track.enabled:
        return False
    trimmed = track.source_range is not None
    return any((trimmed or (span.start < end and start < span.end))
               and span.item.enabled and not isinstance(span.item, otio.schema.Gap)
               for span in spans(track, timebase))
