"""Small frame-coded media at three source rates, a tone file, and the edit the render tests use.

Why here: the render and plugin tests need the same little edit (three clips at 24, 25 and
30000/1001 fps, a dissolve, a gap, a 2x time warp, a clip on a higher track, two audio tracks)
built on real files whose frames carry their index.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.media.ffmpeg import media_arg, run
from stillmotion.media.synth import ClipSpec, render_clip

RATE = 24
NTSC = Fraction(30000, 1001)
SPECS = {
    "a24.mp4": ClipSpec(320, 180, Fraction(24), 60, label="A"),
    "b25.mp4": ClipSpec(320, 180, Fraction(25), 50, label="B"),
    "c2997.mp4": ClipSpec(640, 360, NTSC, 90, label="C"),
}


def make_media(folder: Path) -> dict[str, Path]:
    """Render the SPECS clips and a 2 s mono 1 kHz tone (louder than the clips' sine)."""
    paths = {name: render_clip(folder / name, spec) for name, spec in SPECS.items()}
    tone = folder / "tone.wav"
    run(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "2",
         "-af", "volume=2", "-c:a", "pcm_s16le", "-y", media_arg(tone)],
        output=tone, what="test tone")
    paths["tone.wav"] = tone
    return paths


def rt(value: float, rate: float = RATE) -> Any:
    return otio.opentime.RationalTime(value, rate)


def clip(name: str, path: Path, start: float, duration: float, *, rate: float = RATE,
         duration_rate: float = RATE) -> Any:
    """A clip on ``path`` from source ``start`` (at ``rate``) lasting ``duration``."""
    return otio.schema.Clip(
        name=name,
        media_reference=otio.schema.ExternalReference(target_url=str(path)),
        source_range=otio.opentime.TimeRange(rt(start, rate), rt(duration, duration_rate)),
    )


def gap(frames: int) -> Any:
    return otio.schema.Gap(source_range=otio.opentime.TimeRange(rt(0), rt(frames)))


def dissolve(in_frames: int, out_frames: int) -> Any:
    return otio.schema.Transition(
        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=rt(in_frames), out_offset=rt(out_frames),
    )


def track(name: str, items: list[Any], *, kind: str = "Video", enabled: bool = True) -> Any:
    result = otio.schema.Track(name=name, kind=kind)
    result.enabled = enabled
    result.extend(items)
    return result


def sample_edit(media: dict[str, Path]) -> Any:
    """The edit, at 24 fps, 90 frames (record frames, timeline-relative)::

        V3 (disabled)  C over everything                     never shown
        V2             gap 0-44 | A@50 44-50 | gap | C off   A frames 50-55; disabled clip hidden
        V1             A@6 0-30 >dissolve 26-38< B@12(25fps) 30-54 | gap 54-66 | C@10 x2 66-90
        A1             A's sound 0-30 | gap
        A2             gap 0-20 | tone 20-60 | gap
    """
    a, b, c = media["a24.mp4"], media["b25.mp4"], media["c2997.mp4"]
    fast = clip("C fast", c, 10, 24, rate=float(NTSC))
    fast.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    hidden = clip("C hidden", c, 0, 5, rate=float(NTSC))
    hidden.enabled = False
    timeline = otio.schema.Timeline(name="render test")
    timeline.global_start_time = rt(86400)
    timeline.tracks.extend([
        track("V1", [clip("A", a, 6, 30), dissolve(4, 8),
                     clip("B", b, 12, 25, rate=25, duration_rate=25), gap(12), fast]),
        track("V2", [gap(44), clip("A top", a, 50, 6), gap(26), hidden]),
        track("V3", [clip("C disabled track", c, 0, 90, rate=float(NTSC))], enabled=False),
        track("A1", [clip("A sound", a, 6, 30), gap(60)], kind="Audio"),
        track("A2", [gap(20), clip("tone", media["tone.wav"], 0, 40), gap(30)], kind="Audio"),
    ])
    return timeline


def fps_pick(slot: int, source_rate: Fraction, out_rate: Fraction) -> int:
    """The source frame (counted from the clip's first) the fps rule puts on output ``slot``.

    Written out by brute force, independently of stillmotion: source frame i lands on slot
    floor(i * out_rate / source_rate + 1/2); a slot shows the last frame landing at or before it.
    """
    best = 0
    for i in range(10 * (slot + 2) * max(1, math.ceil(source_rate / out_rate))):
        if math.floor(Fraction(i) * out_rate / source_rate + Fraction(1, 2)) <= slot:
            best = i
    return best
