"""The pieces of a stitch: the segments a user names, and what each becomes at the output rate.

Why apart from the joins: both joins (stream copy and filter graph) work from the same plan, and
the command line, the demo and timeline rendering name pieces the same way.

Frame numbers: a :class:`Segment` counts source frames from 0 at the media's own rate, ``start``
inclusive and ``end`` exclusive (a Python slice). The text form ``clip.mp4@12-96`` is inclusive
at both ends (frames 12 to 96, 85 frames), as editors read it; ``clip.mov@01:00:00:12-01:00:01:00``
uses the media's own timecode (its start timecode is frame 0), also inclusive.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from stillmotion.errors import ConfigError
from stillmotion.media.conform import ConformTarget, output_frames, output_samples, round_half_up
from stillmotion.media.frames import frame_index_for_timecode
from stillmotion.media.probe import MediaInfo, probe
from stillmotion.timecode import format_rate

_TC = r"\d{1,2}[:;.]\d{2}[:;.]\d{2}[:;.,]\d{2,3}"
_FRAME_RANGE = re.compile(r"(\d+)-(\d*)")
_TC_RANGE = re.compile(rf"({_TC})-({_TC})")


@dataclass(frozen=True)
class Segment:
    """One piece of the output: source frames ``start`` (inclusive) to ``end`` (exclusive).

    ``end`` None means to the end of the clip. A gap (``path`` None, see :meth:`gap`) is ``end``
    frames of black picture and silence at the output rate.
    """

    path: Path | None
    start: int = 0
    end: int | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or (self.end is not None and self.end <= self.start):
            raise ConfigError(
                f"Frames {self.start}-{'' if self.end is None else self.end - 1} are not a "
                "range; give the first frame, then a last frame at or after it."
            )

    @classmethod
    def gap(cls, frames: int) -> Segment:
        """``frames`` frames of black and silence (at the output rate)."""
        if frames < 1:
            raise ConfigError(f"A gap of {frames} frames is empty; give at least one frame.")
        return cls(None, 0, frames)

    def describe(self) -> str:
        """The segment as a user wrote it (inclusive frames)."""
        if self.path is None:
            return f"a gap of {self.end} frames"
        if self.start == 0 and self.end is None:
            return self.path.name
        last = "" if self.end is None else str(self.end - 1)
        return f"{self.path.name}@{self.start}-{last}"


@dataclass(frozen=True)
class Part:
    """A planned segment: its probe (None for a gap), the source frames it takes (``first``,
    ``count``) and what it becomes at the output rate (``frames``, ``samples``)."""

    segment: Segment
    info: MediaInfo | None
    first: int
    count: int
    frames: int
    samples: int


def parse_segment(text: str) -> Segment:
    """Read ``clip.mp4``, ``clip.mp4@12-96``, ``clip.mp4@12-`` or ``clip.mov@TC-TC``.

    Frames and timecodes are inclusive; a timecode is in the media's own timecode (the media is
    probed). Only the last '@' splits, and only when what follows it is a range and the whole
    text is not itself an existing file, so names containing '@' still work.
    """
    head, at, tail = text.rpartition("@")
    frames = _FRAME_RANGE.fullmatch(tail.strip())
    codes = _TC_RANGE.fullmatch(tail.strip())
    whole_exists = Path(text).expanduser().exists() and not Path(head).expanduser().exists()
    if not at or not head or whole_exists or not (frames or codes):
        return Segment(Path(text).expanduser())
    path = Path(head).expanduser()
    if frames:
        start = int(frames.group(1))
        end = int(frames.group(2)) + 1 if frames.group(2) else None
        return Segment(path, start, end)
    assert codes is not None
    info = probe(path)
    first = frame_index_for_timecode(info, codes.group(1))
    last = frame_index_for_timecode(info, codes.group(2))
    if last < first:
        raise ConfigError(f"In {text} the end timecode is before the start; give the first "
                          "frame's timecode, then the last frame's.")
    return Segment(path, first, last + 1)


def parse_inputs(texts: Sequence[str]) -> list[Segment]:
    """The command line's input list as segments (one text per input; see parse_segment)."""
    if not texts:
        raise ConfigError("Give at least one input clip to stitch.")
    return [parse_segment(text) for text in texts]


def plan_part(segment: Segment, infos: dict[Path, MediaInfo], target: ConformTarget) -> Part:
    """What ``segment`` becomes in ``target``: its source frames, output frames and samples;
    ConfigError when it lies past the end of its clip or is shorter than one output frame."""
    if segment.path is None:
        assert segment.end is not None
        return Part(segment, None, 0, segment.end, segment.end,
                     output_samples(segment.end, target))
    info = infos[segment.path]
    video = info.require_video()
    end = video.frame_count if segment.end is None else segment.end
    if segment.start >= video.frame_count or end > video.frame_count:
        raise ConfigError(
            f"{segment.describe()} is past the end of {info.path.name}; it has frames 0-"
            f"{video.frame_count - 1}."
        )
    count = end - segment.start
    frames = output_frames(count, video.rate, target)
    if frames < 1:
        raise ConfigError(f"{segment.describe()} is shorter than one frame at "
                          f"{format_rate(target.rate)} fps; take more frames.")
    return Part(segment, info, segment.start, count, frames, output_samples(frames, target))


def crossfade_frames(
    crossfade: Fraction | None, parts: Sequence[Part], target: ConformTarget
) -> int:
    """The crossfade in whole output frames; ConfigError if a piece is not longer than it."""
    if crossfade is None or len(parts) < 2:
        return 0
    frames = round_half_up(Fraction(crossfade) * target.rate)
    if frames < 1:
        raise ConfigError(f"A crossfade of {float(crossfade):g} s is shorter than one frame at "
                          f"{format_rate(target.rate)} fps; give a longer one or none.")
    for part in parts:
        if part.frames <= frames:
            raise ConfigError(
                f"{part.segment.describe()} ({part.frames} frames) is not longer than the "
                f"crossfade ({frames} frames); shorten the crossfade or lengthen the piece."
            )
    return frames
