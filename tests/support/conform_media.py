"""Small frame-coded clips and expectations shared by the conform and stitch tests.

Why small: the machine is shared and the rules under test (frame mapping, joins, tags) do not
depend on picture size; only the 1080p acceptance test uses the big session fixtures.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from stillmotion.media.synth import ClipSpec, render_clip
from support.framecode import fit_rect, luma_frames, read_code

SMALL_SPECS: dict[str, ClipSpec] = {
    "l30": ClipSpec(320, 180, Fraction(30), 30, audio_rate=44100, label="L"),
    "p30": ClipSpec(180, 320, Fraction(30), 30, audio_rate=48000, label="P"),
    "w30_silent": ClipSpec(448, 256, Fraction(30), 30, audio_rate=None, label="W"),
    "l25": ClipSpec(320, 180, Fraction(25), 25, audio_rate=48000, label="F"),
    "tc_23976": ClipSpec(320, 180, Fraction(24000, 1001), 24, audio_rate=48000,
                         start_timecode="01:00:00:00", label="T"),
}
SMALL = (320, 180)
NTSC_FILM = Fraction(24000, 1001)
_CACHE: dict[tuple[Path, str], Path] = {}


def small_clip(folder: Path, name: str) -> Path:
    """Render (once per folder) the small clip ``name`` of SMALL_SPECS."""
    key = (folder, name)
    if key not in _CACHE:
        spec = SMALL_SPECS[name]
        suffix = ".mov" if spec.start_timecode else ".mp4"
        _CACHE[key] = render_clip(folder / f"small_{name}{suffix}", spec)
    return _CACHE[key]


def fps_source_frame(k: int, src: Fraction, dst: Fraction, count: int) -> int:
    """The source frame (of ``count``) the fps filter shows at output frame ``k``.

    The rule, written out independently of stillmotion: input frame i lands on output slot
    round(i * dst / src) (halves up); slot k shows the last input frame landing at or before k.
    """
    best = 0
    for i in range(count):
        if math.floor(Fraction(i) * dst / src + Fraction(1, 2)) <= k:
            best = i
    return best


def codes(path: Path, src: tuple[int, int], fit: str = "letterbox") -> list[int | None]:
    """The frame code of every frame of ``path`` for a ``src``-shaped picture fitted into it."""
    frames = luma_frames(path)
    height, width = frames[0].shape
    rect = fit_rect(src, (width, height), fit)
    return [read_code(luma, rect) for luma in frames]


def audio_samples(path: Path) -> int:
    """Decoded audio samples per channel of the first audio stream (every frame decoded)."""
    with av.open(str(path)) as container:
        return sum(frame.samples for frame in container.decode(audio=0))


def audio_peak(path: Path, start: int, end: int) -> float:
    """The largest absolute sample (full scale = 1.0) in samples [start, end) of the sound."""
    peak = 0.0
    seen = 0
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            data = np.asarray(frame.to_ndarray(), dtype=np.float64)
            if not frame.format.is_planar:
                data = data.reshape(-1, len(frame.layout.channels)).T
            if frame.format.name.rstrip("p") in ("s16", "s32", "s64"):
                data = data / float(2 ** (8 * frame.format.bytes - 1))
            lo, hi = max(start - seen, 0), min(end - seen, frame.samples)
            if lo < hi:
                peak = max(peak, float(np.abs(data[:, lo:hi]).max()))
            seen += frame.samples
    return peak
