"""Exact conversions between OTIO's float-rate RationalTime and our Fraction rates and frames.

Why: OTIO stores rates as doubles (23.976023976023978) and values as doubles, while stillmotion
counts whole frames at exact rates (24000/1001). Every record or source frame number that leaves
``timeline/`` goes through here, so float noise is removed in one place and OTIO times built by
us reuse the float rate the timeline already uses (adapters compare rates by value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError
from stillmotion.timecode import nominal_fps, parse_rate

# A frame count closer than this to a whole number is that whole number (float noise).
_SNAP = Fraction(1, 10**6)


def exact_rate(rate: float) -> Fraction:
    """OTIO's float rate as an exact fraction (23.976… -> 24000/1001, 25.0 -> 25)."""
    return parse_rate(float(rate))


def as_fraction(value: float) -> Fraction:
    """An OTIO float value as an exact fraction (floats are exact binary fractions)."""
    return Fraction(value)


def whole(frames: Fraction) -> int:
    """The frame that contains ``frames``: nearest integer when within float noise, else floor."""
    nearest = round(frames)
    if abs(frames - nearest) < _SNAP:
        return int(nearest)
    return math.floor(frames)


def rate_text(rate: Fraction) -> str:
    """A rate as editors write it: '25', '23.976', '29.97', '59.94'."""
    if rate.denominator == 1:
        return str(rate.numerator)
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def same_timecode_base(first: Fraction, second: Fraction) -> bool:
    """True when two rates count timecode labels alike (24 and 24000/1001, 30 and 29.97).

    Why: interchange formats (EDL, XML) write source and record times as timecode labels; a
    23.976 file referenced at 24 (or the reverse) means the same frame numbers, not the same
    seconds, so such times are compared frame for frame.
    """
    return nominal_fps(first) == nominal_fps(second)


def frames_at(time: Any, rate: Fraction) -> Fraction:
    """A RationalTime as a (possibly fractional) frame count at ``rate``.

    Rates with the same timecode base are taken frame for frame; others convert through exact
    seconds.
    """
    own = exact_rate(time.rate)
    value = as_fraction(time.value)
    if own == rate or same_timecode_base(own, rate):
        return value
    return value * rate / own


@dataclass(frozen=True)
class TimeBase:
    """A timeline's record rate: exact for our arithmetic, float as OTIO spells it there."""

    rate: Fraction
    otio_rate: float

    @classmethod
    def of(cls, timeline: Any) -> TimeBase:
        """The record rate of ``timeline``: its global start time's, else its first item's."""
        sample = timeline.global_start_time
        if sample is None:
            sample = _first_item_duration(timeline)
        if sample is None:
            raise TimelineError(
                f"The timeline '{timeline.name}' has no clips, so its frame rate is unknown; "
                "export a timeline with at least one video clip."
            )
        return cls(exact_rate(sample.rate), float(sample.rate))

    def time(self, frames: int | Fraction) -> Any:
        """A RationalTime of ``frames`` at this rate."""
        return otio.opentime.RationalTime(float(frames), self.otio_rate)

    def span(self, start: int | Fraction, duration: int | Fraction) -> Any:
        """A TimeRange of whole frames at this rate."""
        return otio.opentime.TimeRange(self.time(start), self.time(duration))

    def frames(self, time: Any) -> Fraction:
        """A RationalTime as frames at this rate (see :func:`frames_at`)."""
        return frames_at(time, self.rate)

    def start_frame(self, timeline: Any) -> int:
        """The timeline's first record frame (its global start time, 0 when unset)."""
        start = timeline.global_start_time
        return 0 if start is None else whole(self.frames(start))


def _first_item_duration(timeline: Any) -> Any:
    tracks = list(timeline.video_tracks()) + list(timeline.audio_tracks())
    for track in tracks:
        for child in track:
            if isinstance(child, otio.schema.Transition):
                continue
            duration = child.duration()
            if duration.rate > 0:
                return duration
    return None
