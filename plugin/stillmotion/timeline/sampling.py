"""A clip's source frames as the editor sees them: where its edit points fall, its first file
frame, how fast it runs, and which file frame each of its record frames shows.

Why one module: ``locate`` (the still that is sent, and through it ``extend``'s last frame and
``fill-gap``'s frames before and after the gap) and the render plan (the frames the master
shows) must agree to the frame, so both read a clip through :func:`clip_sampling` and
:meth:`ClipSampling.frame_at`, which applies the one mixed-rate rule,
:func:`stillmotion.media.sampling.shown_frame` (ffmpeg's ``fps`` filter).

- **Edit points.** A clip or gap boundary at a fractional record position (a 26-frame 30 fps
  clip lasts 20.8 frames at 24) falls on record frame :func:`boundary` (halves up), and the clip
  shows on record frames ``[boundary(start), boundary(end))``.
- **First frame.** The clip's trimmed source start, in the media's own timecode space, minus
  the reference's ``available_range`` start, else minus the file's start timecode (when that
  lands outside the file, the start is taken as already counted from the file's first frame,
  as Kdenlive writes it), converted to the file's rate and floored: file frame ``first``.
- **Step.** File frames per record frame: the clip's ``LinearTimeWarp`` scalars (``FreezeFrame``
  is 0) times the rate changes from record to source range to file, where rates sharing a
  timecode base (24 and 23.976, 30 and 29.97) count frame for frame, like timecode labels.
- **Frame at record offset k** (k record frames after ``boundary(start)``):
  ``first + shown_frame(k, step)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.media.conform import round_half_up
from stillmotion.media.sampling import shown_frame
from stillmotion.timeline.timebase import (
    TimeBase,
    as_fraction,
    exact_rate,
    frames_at,
    same_timecode_base,
    whole,
)


@dataclass(frozen=True)
class ClipSampling:
    """How one clip reads its file.

    ``first`` is the file frame (0 = the file's first) of the clip's first source frame;
    ``step`` file frames per record frame (0: freeze); ``rate`` the file's own rate;
    ``origin`` the file frame 0's place in the source range's timecode space, at ``rate``.
    """

    first: int
    step: Fraction
    rate: Fraction
    origin: Fraction

    def frame_at(self, record_offset: int) -> int:
        """The file frame shown ``record_offset`` record frames after the clip's first."""
        return self.first + shown_frame(record_offset, self.step)


def boundary(position: Fraction) -> int:
    """The record frame an edit point at ``position`` (record frames, maybe fractional) is on."""
    return round_half_up(position)


def time_scalar(clip: Any) -> Fraction:
    """Product of the clip's LinearTimeWarp scalars (FreezeFrame = 0); others are refused."""
    scalar = Fraction(1)
    for effect in clip.effects:
        if isinstance(effect, otio.schema.LinearTimeWarp):
            scalar *= Fraction(effect.time_scalar).limit_denominator(10_000)
        elif isinstance(effect, otio.schema.TimeEffect):
            raise TimelineError(
                f"The clip '{clip.name}' has a {effect.effect_name or 'time'} effect that is not a "
                "constant speed change; render the retime in the editor first."
            )
    if scalar < 0:
        raise TimelineError(
            f"The clip '{clip.name}' plays in reverse, which stillmotion cannot follow; render "
            "the reversed clip in the editor first."
        )
    return scalar


def clip_sampling(
    clip: Any,
    timebase: TimeBase,
    *,
    media_rate: Fraction | None,
    start_frame: int = 0,
    frame_count: int | None = None,
) -> ClipSampling:
    """How ``clip`` reads its file (see the module docstring).

    ``media_rate`` is the file's picture rate (None for a file without picture: the source
    range's rate is used), ``start_frame`` its start timecode as frames at that rate and
    ``frame_count`` its length (None: unknown).
    """
    trimmed = clip.trimmed_range()
    range_rate = exact_rate(trimmed.start_time.rate)
    rate = media_rate if media_rate is not None else range_rate
    start = as_fraction(trimmed.start_time.value)
    at_media = start * _step(range_rate, rate)
    available = clip.media_reference.available_range
    if available is not None:
        origin = available_origin(trimmed.start_time, available, rate)
    else:
        origin = Fraction(start_frame)
        inside = frame_count is None or whole(at_media) < frame_count
        if whole(at_media - origin) < 0 <= whole(at_media) and inside:
            origin = Fraction(0)
    step = time_scalar(clip) * _step(timebase.rate, range_rate) * _step(range_rate, rate)
    return ClipSampling(whole(at_media - origin), step, rate, origin)


def available_origin(source_start: Any, available: Any, rate: Fraction) -> Fraction:
    """Where a reference's first frame sits in a clip's source-range timecode space, counted at
    the file's ``rate``: the source start less the clip's offset into the file (see _offset).

    One reading for locate, the render plan and Resolve shaping alike.
    """
    range_rate = exact_rate(source_start.rate)
    at_media = as_fraction(source_start.value) * _step(range_rate, rate)
    return at_media - _offset(source_start, available, range_rate) * _step(range_rate, rate)


def _offset(start: Any, available: Any, range_rate: Fraction) -> Fraction:
    """Source-range frames from the reference's first frame to the clip's start.

    Both are counted alike when their rates share a timecode base (labels: 01:00:00:10 at 24 is
    10 frames into a file starting at 01:00:00:00 at 23.976). But the FCP 7 XML adapter builds
    both through seconds: Premiere writes a 23.976 file's ``<timecode>`` at 24 fps and its
    ``<in>`` at 23.976, and the adapter adds ``<in>`` to the timecode converted to seconds, so
    the label difference is off by 0.1 % of the timecode while the seconds difference is the
    ``<in>`` exactly. Of the two, the one that is a whole frame inside the reference is taken
    (at round hours both are whole: 10:00:00:00 is 864 frames more at 24 than at 23.976).
    """
    own = exact_rate(available.start_time.rate)
    by_label = as_fraction(start.value) - frames_at(available.start_time, range_rate)
    if own == range_rate or not same_timecode_base(own, range_rate):
        return by_label
    seconds = as_fraction(start.value) / exact_rate(start.rate) - \
        as_fraction(available.start_time.value) / own
    by_seconds = seconds * range_rate
    length = frames_at(available.duration, range_rate)
    for candidate in (by_label, by_seconds):
        if _is_whole(candidate) and round(candidate) >= 0 and (
                length <= 0 or round(candidate) < length):
            return candidate
    return by_seconds if _is_whole(by_seconds) and not _is_whole(by_label) else by_label


def _is_whole(frames: Fraction) -> bool:
    """A whole frame count up to the float noise of OTIO's values (see timebase.whole)."""
    return abs(frames - round(frames)) < Fraction(1, 1000)


def _step(source: Fraction, target: Fraction) -> Fraction:
    """Frames at ``target`` per frame at ``source`` (1 when both count timecode alike)."""
    return Fraction(1) if same_timecode_base(source, target) else target / source
