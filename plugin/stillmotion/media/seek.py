"""Where frame N of a file is and how ffmpeg reads it from there: one rule for grab and renders.

Why one module: the still that is sent (:mod:`stillmotion.media.frames`), the segment stitcher
(:mod:`stillmotion.media.stitch_graph`) and the timeline renderer (:mod:`stillmotion.media.graph`)
must agree on which picture is frame N in every container. Frame N is the picture presented
at the stream's start time + N / rate in the stream's own clock (MPEG-TS/PS start on the PCR
clock, not at zero; edit lists and B-frame reordering are applied by the demuxer and decoder
before timestamps are compared). ffmpeg keeps those timestamps (``-copyts``; a global option,
so every input of a graph keeps its own clock) and picks pictures by time: from half a frame
before frame N. Counting pictures from the first one decoded is wrong whenever the seek lands
elsewhere than intended.

A seek (``-ss``, counted from the container's start, ``-noaccurate_seek`` so ffmpeg drops
nothing itself) lands on a keyframe before the wanted time in an indexed container (MP4, MOV,
MKV, MXF), but MPEG-TS/PS have no index and ffmpeg's timestamp search can land past the
frame's keyframe (or on an open GOP whose leading pictures need the GOP before): decoding
from there never yields frame N. So seeks are tried from half a frame before it and then
further back (:data:`SEEK_BACKOFFS`), down to decoding from the first frame; the grab tries
them in turn, the renderers ask :func:`checked_seek` which first one yields the frame.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from stillmotion.media.ffmpeg import filter_arg, media_arg, run, seconds_arg
from stillmotion.media.probe import MediaInfo, VideoFacts

# How far (seconds) before the wanted frame each seek tries in turn, before decoding from the start.
# Indexed containers (MP4, MOV, MKV, MXF) land on the keyframe before the frame at the first try;
# MPEG-TS/PS GOPs are rarely over a second, long-GOP H.264 can reach ten.
SEEK_BACKOFFS = (Fraction(0), Fraction(1), Fraction(5), Fraction(30))
# How much earlier than the picture's seek a render's input seeks, so the sound (interleaved
# near, not exactly at, its picture in MPEG-TS/PS) is read from before the cut too.
SOUND_LEAD = Fraction(1)


def frame_time(video: VideoFacts, index: Fraction | int) -> Fraction:
    """The presentation time of frame ``index`` (fractional: a point inside it) in the stream's
    own clock; with ``-copyts`` this is the time ffmpeg's filters see."""
    return video.start_time + Fraction(index) / video.rate


def _half(video: VideoFacts) -> Fraction:
    return 1 / (2 * video.rate)


@dataclass(frozen=True)
class FrameWindow:
    """Frame ``index`` as a time window: pictures from ``since`` (half a frame before it) to
    ``until`` (half a frame after it) are that frame."""

    since: Fraction
    until: Fraction

    def select(self) -> str:
        """A ``select`` filter keeping only the pictures inside the window."""
        test = f"gte(t,{seconds_arg(self.since)})*lt(t,{seconds_arg(self.until)})"
        return f"select={filter_arg(test)}"

    def stop(self) -> str:
        """A ``trim`` that ends decoding a frame after the window (nothing later is wanted)."""
        return f"trim=end={seconds_arg(self.until + self.until - self.since)}"

    def from_since(self) -> str:
        """A ``select`` filter keeping every picture from the window on."""
        return f"select={filter_arg(f'gte(t,{seconds_arg(self.since)})')}"


def frame_window(video: VideoFacts, index: int) -> FrameWindow:
    shown = frame_time(video, index)
    return FrameWindow(shown - _half(video), shown + _half(video))


def seek_candidates(info: MediaInfo, index: int) -> list[Fraction]:
    """The ``-ss`` values (from the container's start) to try for frame ``index``, nearest
    first; empty when the frame is too near the start to seek (decode from the first frame)."""
    video = info.require_video()
    since = frame_window(video, index).since
    seeks = []
    for back in SEEK_BACKOFFS:
        seek = since - back - info.start_time
        if seek <= 0:
            break
        seeks.append(seek)
    return seeks


def input_args(info: MediaInfo, seek: Fraction | None) -> list[str]:
    """ffmpeg input options opening ``info``'s file at ``seek`` (None: from the start), keeping
    the file's own timestamps."""
    opened = ["-copyts"]
    if seek is not None and seek > 0:
        opened += ["-noaccurate_seek", "-ss", seconds_arg(seek)]
    return [*opened, "-i", media_arg(info.path)]


def cut_filters(video: VideoFacts, index: int, count: int) -> list[str]:
    """Filters keeping ``count`` pictures from frame ``index`` on: by time as the grab picks
    (``select``; ``trim=start`` would keep the frame before, whose duration reaches past the
    start), then by count."""
    return [frame_window(video, index).from_since(), f"trim=end_frame={count}"]


def sound_cut(begin: Fraction, length: Fraction) -> list[str]:
    """Filters cutting ``length`` seconds of sound from ``begin`` in the stream's own clock,
    restamped from 0 at ``begin``: a stream whose sound starts after ``begin`` (its picture
    starts first) is padded with silence in front (``first_pts=0``), so it stays in sync."""
    return [f"atrim=start={seconds_arg(begin)}:end={seconds_arg(begin + length)}",
            f"asetpts=PTS-{seconds_arg(begin)}/TB", "aresample=async=1:first_pts=0"]


def checked_seek(info: MediaInfo, index: int, *, lead: Fraction = Fraction(0)) -> Fraction | None:
    """The nearest seek from which decoding yields frame ``index``, ``lead`` seconds earlier
    still; None to decode from the start. Each candidate is tried by decoding up to the frame."""
    video = info.require_video()
    window = frame_window(video, index)
    for seek in seek_candidates(info, index):
        if _yields_frame(info, seek, window):
            earlier = seek - lead
            return earlier if earlier > 0 else None
    return None


def sound_seek(info: MediaInfo, time: Fraction) -> Fraction | None:
    """The seek for sound from ``time`` (stream clock) in a file without picture: any point
    decodes, so no check; :data:`SOUND_LEAD` early, as with picture. None: from the start."""
    seek = time - SOUND_LEAD - info.start_time
    return seek if seek > 0 else None


def _yields_frame(info: MediaInfo, seek: Fraction, window: FrameWindow) -> bool:
    """Whether decoding from ``seek`` gives a picture inside ``window``."""
    with tempfile.TemporaryDirectory(prefix="stillmotion-seek-") as work:
        listing = Path(work) / "frames.txt"
        run([*input_args(info, seek), "-map", "0:v:0", "-an", "-sn", "-dn",
             "-vf", f"{window.stop()},{window.select()}",
             "-frames:v", "1", "-fps_mode", "passthrough", "-f", "framecrc",
             media_arg(listing)],
            output=listing, what=f"Finding a frame in {info.path.name}")
        lines = listing.read_text(encoding="utf-8", errors="replace").splitlines()
    return any(line and not line.startswith("#") for line in lines)
